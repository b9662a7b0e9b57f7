import { bool, type Input, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { matchesAll, PAGE_RANGES, paginate, readFilters } from "./filters";
import { stateOf } from "./instances";
import type { Ec2Context, Instance } from "./model";
import { getInstance } from "./resources";

/**
 * Status checks always pass in the emulator: a running instance reports `ok` for both checks, any
 * other state `not-applicable`. Without `IncludeAllInstances`, only running instances are listed.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceStatus.html
 */
function checks(i: Instance): string {
  return i.state === "running" ? "ok" : "not-applicable";
}

function statusFilter(i: Instance, name: string): string[] | undefined {
  const fields: Record<string, string[]> = {
    "availability-zone": [i.availabilityZone],
    "instance-state-name": [i.state],
    "instance-state-code": [String((stateOf(i.state) as { code: number }).code)],
    "instance-status.status": [checks(i)],
    "instance-status.reachability": [checks(i) === "ok" ? "passed" : "not-applicable"],
    "system-status.status": [checks(i)],
    "system-status.reachability": [checks(i) === "ok" ? "passed" : "not-applicable"],
  };
  return fields[name];
}

export function describeInstanceStatus(ctx: Ec2Context, input: Input): Output {
  const ids = strList(input, "InstanceId");
  const all = bool(input, "IncludeAllInstances") === true;
  const selected =
    ids.length > 0 ? ids.map((id) => getInstance(ctx, id)) : [...ctx.region.instances.values()];
  const filters = readFilters(input);
  const matching = selected
    .filter((i) => all || i.state === "running")
    .filter((i) => matchesAll(filters, (name) => statusFilter(i, name)));
  const page = paginate(matching, input, PAGE_RANGES.DescribeInstanceStatus, ids.length > 0);
  return {
    instanceStatusSet: page.items.map((i) => {
      const status = checks(i);
      const details = [{ name: "reachability", status: status === "ok" ? "passed" : "not-applicable" }];
      return {
        instanceId: i.instanceId,
        availabilityZone: i.availabilityZone,
        instanceState: stateOf(i.state),
        systemStatus: { status, details },
        instanceStatus: { status, details },
        eventsSet: [],
      };
    }),
    nextToken: page.nextToken,
  };
}
