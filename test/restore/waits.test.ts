import type { EC2Client } from "@aws-sdk/client-ec2";
import { silentLog } from "../../lib/deps";
import type { RestoreDeps } from "../../lib/restore/deps";
import { RestoreIncompleteError } from "../../lib/restore/errors";
import type { RestorePlan } from "../../lib/restore/plan";
import { executePlan } from "../../lib/restore/run";
import { keyProblems } from "../../lib/restore/validate";
import { VirtualClock } from "../../local/clock";
import { testPoint } from "./helpers";

/**
 * Waiting for real states, with a fake EC2 that never gets there: every wait ends at its limit
 * with a clear error, and the delays between checks double up to 15 s, in simulated time.
 */
function plan(overrides: Partial<RestorePlan>): RestorePlan {
  return {
    mode: "restore",
    token: "t",
    request: { region: "us-east-1", instanceId: "i-1", device: "/dev/xvda", attach: true },
    region: "us-east-1",
    device: "/dev/xvda",
    at: null,
    instance: {
      instanceId: "i-1",
      host: "web-1",
      state: "running",
      availabilityZone: "us-east-1a",
      rootDeviceName: "/dev/xvda",
    },
    isRootDevice: true,
    snapshot: testPoint({ volumeId: "vol-old" }),
    volume: {
      volumeId: null,
      availabilityZone: "us-east-1a",
      sizeGiB: 8,
      volumeType: "gp3",
      iops: null,
      throughput: null,
      encrypted: false,
      kmsKeyId: null,
      tags: {},
    },
    currentVolumeId: "vol-old",
    attach: true,
    stopInstance: true,
    stopReason: "/dev/xvda is its root device",
    startAfter: true,
    steps: ["create-volume"],
    checks: [],
    notes: [],
    dryRun: false,
    ...overrides,
  };
}

/** EC2 as a function of the command's name; records when each DescribeVolumes was asked. */
function fakeEc2(clock: VirtualClock, answer: (command: string, input: unknown) => unknown) {
  const calls: { command: string; at: number }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      calls.push({ command: command.constructor.name, at: clock.nowMs() });
      return answer(command.constructor.name, command.input);
    },
  } as unknown as EC2Client;
  return { client, calls };
}

function deps(clock: VirtualClock, client: EC2Client): RestoreDeps {
  return { ec2: () => client, clock, sleep: (ms) => clock.sleep(ms), log: silentLog };
}

describe("waiting for a real state", () => {
  it("gives up on a volume that stays creating after 600 s, saying so and how to continue", async () => {
    const clock = new VirtualClock(Date.UTC(2026, 10, 24));
    const start = clock.nowMs();
    const ec2 = fakeEc2(clock, (command) => {
      if (command === "CreateVolumeCommand") return { VolumeId: "vol-new" };
      if (command === "DescribeVolumesCommand")
        return { Volumes: [{ VolumeId: "vol-new", State: "creating" }] };
      return { Reservations: [{ Instances: [{ State: { Name: "running" } }] }] };
    });

    const error = await executePlan(plan({}), deps(clock, ec2.client)).catch((e: unknown) => e);

    const checks = ec2.calls
      .filter((c) => c.command === "DescribeVolumesCommand")
      .map((c) => (c.at - start) / 1000);
    expect(error).toBeInstanceOf(RestoreIncompleteError);
    expect((error as Error).message).toContain(
      "Waited 600 s for volume vol-new to become available; it is still creating.",
    );
    expect((error as Error).message).toContain("The instance itself was not changed.");
    expect((error as RestoreIncompleteError).continueCommand).toBe(
      "npx snapfleet restore --instance i-1 --device /dev/xvda --region us-east-1 --volume vol-new --attach --start",
    );
    expect(checks.slice(0, 6)).toEqual([2, 6, 14, 29, 44, 59]);
    expect(Math.max(...checks)).toBeGreaterThanOrEqual(600);
  });

  it("gives up on an instance stuck stopping after 900 s, with the instance's state and the way back", async () => {
    const clock = new VirtualClock(Date.UTC(2026, 10, 24));
    const ec2 = fakeEc2(clock, (command) => {
      if (command === "DescribeInstancesCommand")
        return { Reservations: [{ Instances: [{ State: { Name: "stopping" } }] }] };
      if (command === "DescribeVolumesCommand")
        return {
          Volumes: [
            {
              VolumeId: "vol-x",
              State: "in-use",
              Attachments: [{ InstanceId: "i-1", Device: "/dev/xvda", State: "attached" }],
            },
          ],
        };
      return {};
    });
    const continued = plan({
      steps: ["stop-instance", "tag-replaced", "detach-volume", "attach-volume", "start-instance"],
      volume: { ...plan({}).volume, volumeId: "vol-new" },
    });

    const error = (await executePlan(continued, deps(clock, ec2.client)).catch(
      (e: unknown) => e,
    )) as RestoreIncompleteError;

    expect(error.message).toContain("stopped at step 1/5 (stop-instance)");
    expect(error.message).toContain("Waited 900 s for instance i-1 to stop; it is still stopping.");
    expect(error.message).toContain("Now: instance i-1 is stopping; /dev/xvda has vol-x attached.");
    expect(error.rollbackCommand).toBeNull();
    expect(error.message).toContain(
      "start the instance as it was: aws ec2 start-instances --instance-ids i-1 --region us-east-1",
    );
  });
});

describe("the KMS check", () => {
  const clock = new VirtualClock(0);
  const base = { ec2: () => ({}) as EC2Client, clock, log: silentLog };

  it("asks nothing for an unencrypted snapshot or AWS's own EBS key", async () => {
    const describeKey = jest.fn();

    expect((await keyProblems("us-east-1", null, false, { ...base, describeKey })).problems).toEqual([]);
    expect(
      (
        await keyProblems("us-east-1", "arn:aws:kms:us-east-1:1:alias/aws/ebs", true, {
          ...base,
          describeKey,
        })
      ).problems,
    ).toEqual([]);
    expect(describeKey).not.toHaveBeenCalled();
  });

  it("accepts an enabled customer key", async () => {
    const describeKey = async (keyId: string) => ({ keyId, state: "Enabled" });

    const result = await keyProblems("us-east-1", "arn:aws:kms:us-east-1:1:key/k", true, {
      ...base,
      describeKey,
    });

    expect(result).toEqual({ problems: [], check: "KMS key arn:aws:kms:us-east-1:1:key/k is enabled" });
  });

  it.each([
    ["Disabled", /KMS key key\/k is Disabled: EBS cannot decrypt the snapshot with it. Enable the key/],
    ["PendingDeletion", /is PendingDeletion.*cancel its deletion/],
  ])("refuses a key that is %s", async (state, message) => {
    const describeKey = async (keyId: string) => ({ keyId, state });

    const result = await keyProblems("us-east-1", "key/k", true, { ...base, describeKey });

    expect(result.problems.join("\n")).toMatch(message);
  });

  it("refuses a key it cannot read, naming the error", async () => {
    const describeKey = async () => {
      throw Object.assign(new Error("Key 'key/k' does not exist"), { name: "NotFoundException" });
    };

    const result = await keyProblems("us-west-2", "key/k", true, { ...base, describeKey });

    expect(result.problems[0]).toMatch(
      /KMS key key\/k is not usable from us-west-2 \(NotFoundException: Key 'key\/k' does not exist\)/,
    );
  });
});
