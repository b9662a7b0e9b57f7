import type { Instance } from "../ec2/model";
import { AwsError } from "../errors";
import { type Input, objList, str, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { DEFAULT_AGENT_VERSION } from "./agent";
import { type PlatformType, platformOf, type SsmContext } from "./model";
import { page } from "./paging";

interface Managed {
  instance: Instance;
  pingStatus: "Online" | "ConnectionLost";
  lastPingMs: number;
  platform: PlatformType;
  agentVersion: string;
}

/**
 * The region's managed instances: every instance not terminated whose agent is registered (any
 * mode but `unmanaged`). Online while running with an answering agent; ConnectionLost when stopped
 * or when the agent is `offline`, with its last ping when that began.
 */
function managed(ctx: SsmContext): Managed[] {
  const now = ctx.clock.nowMs();
  return [...ctx.ec2.instances.values()]
    .filter((i) => i.state !== "terminated" && i.state !== "shutting-down")
    .map((instance) => ({ instance, behaviour: ctx.agents.behaviourOf(instance.instanceId, instance.tags) }))
    .filter(({ behaviour }) => behaviour.mode !== "unmanaged")
    .map(({ instance, behaviour }) => {
      const online = instance.state === "running" && behaviour.mode !== "offline";
      const lost = ctx.agents.sinceMs(instance.instanceId) ?? instance.launchTime.getTime();
      return {
        instance,
        pingStatus: online ? "Online" : "ConnectionLost",
        lastPingMs: online ? now : Math.min(now, lost),
        platform: platformOf(instance),
        agentVersion: behaviour.agentVersion ?? DEFAULT_AGENT_VERSION,
      };
    });
}

const FILTER_VALUES: Record<string, (m: Managed) => string[]> = {
  InstanceIds: (m) => [m.instance.instanceId],
  PingStatus: (m) => [m.pingStatus],
  PlatformTypes: (m) => [m.platform],
  AgentVersion: (m) => [m.agentVersion],
  ResourceType: () => ["EC2Instance"],
};

function valuesOf(key: string, m: Managed): string[] {
  const field = FILTER_VALUES[key];
  if (field) return field(m);
  if (key.startsWith("tag:")) {
    const v = m.instance.tags.get(key.slice(4));
    return v === undefined ? [] : [v];
  }
  if (key === "tag-key") return [...m.instance.tags.keys()];
  throw new AwsError(
    "InvalidFilterKey",
    `Filter key '${key}' is not valid: use ${Object.keys(FILTER_VALUES).join(", ")}, tag:<key> or tag-key.`,
  );
}

function checkValues(key: string, values: string[]): void {
  const allowed: Record<string, string[]> = {
    PingStatus: ["Online", "ConnectionLost", "Inactive"],
    PlatformTypes: ["Windows", "Linux", "MacOS"],
  };
  for (const v of values) {
    if (allowed[key] && !allowed[key].includes(v))
      throw new AwsError(
        "InvalidInstanceInformationFilterValue",
        `'${v}' is not a valid ${key} value: use ${allowed[key].join(", ")}.`,
      );
    if (key === "InstanceIds" && !/^(i-(\w{8}|\w{17})|mi-\w{17})$/.test(v))
      throw new AwsError("InvalidInstanceId", `'${v}' is not a valid instance id.`);
  }
}

/** https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeInstanceInformation.html */
export function describeInstanceInformation(ctx: SsmContext, input: Input): Output {
  const legacy = objList(input, "InstanceInformationFilterList").map((f) => ({
    key: str(f, "key") ?? "",
    values: strList(f, "valueSet"),
  }));
  const modern = objList(input, "Filters").map((f) => ({
    key: str(f, "Key") ?? "",
    values: strList(f, "Values"),
  }));
  if (legacy.length > 0 && modern.length > 0)
    throw new AwsError("InvalidFilterKey", "Use either InstanceInformationFilterList or Filters, not both.");
  const filters = [...legacy, ...modern];
  for (const f of filters) checkValues(f.key, f.values);
  const matching = managed(ctx).filter((m) =>
    filters.every((f) => valuesOf(f.key, m).some((v) => f.values.includes(v))),
  );
  const { items, nextToken } = page(matching, input, 50);
  return {
    InstanceInformationList: items.map((m) => ({
      InstanceId: m.instance.instanceId,
      PingStatus: m.pingStatus,
      LastPingDateTime: new Date(m.lastPingMs),
      AgentVersion: m.agentVersion,
      IsLatestVersion: m.agentVersion === DEFAULT_AGENT_VERSION,
      PlatformType: m.platform,
      PlatformName: m.platform === "Windows" ? "Microsoft Windows Server 2022 Datacenter" : "Amazon Linux",
      PlatformVersion: m.platform === "Windows" ? "10.0.20348" : "2023",
      ResourceType: "EC2Instance",
      IPAddress: m.instance.privateIpAddress,
      ComputerName: `ip-${m.instance.privateIpAddress.replace(/\./g, "-")}.ec2.internal`,
      RegistrationDate: m.instance.launchTime,
    })),
    NextToken: nextToken,
  };
}
