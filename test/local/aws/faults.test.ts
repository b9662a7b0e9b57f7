import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  AttachVolumeCommand,
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CreateTopicCommand, PublishCommand } from "@aws-sdk/client-sns";
import { type FaultPlan, loadFaultPlan } from "../../../local/aws/faults/plan";
import type { EmulatorOptions } from "../../../local/aws/server";
import { credentials, failure, type Harness, startHarness } from "./harness";

const API = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference";
const ERRORS = `${API}/errors-overview.html`;

let h: Harness;
let ec2: EC2Client;
let running = false;

async function start(options: Omit<EmulatorOptions, "clock"> = {}) {
  h = await startHarness(options);
  ec2 = h.ec2();
  running = true;
}
async function stop() {
  if (running) await h.emulator.stop();
  running = false;
}
afterEach(stop);

async function volume(client = ec2, zone = "us-east-1a") {
  const out = await client.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 1 }));
  return out.VolumeId ?? "";
}

async function volumeIds(client = ec2) {
  return ((await client.send(new DescribeVolumesCommand({}))).Volumes ?? []).map((v) => v.VolumeId);
}

async function describeSnapshot(id: string, client = ec2) {
  const out = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }));
  return out.Snapshots?.[0];
}

/** An EC2 client with its own HTTP settings, for the timeout tests. */
function client(options: Partial<ConstructorParameters<typeof EC2Client>[0]> = {}) {
  return new EC2Client({
    endpoint: h.emulator.endpoint,
    region: "us-east-1",
    credentials,
    maxAttempts: 1,
    ...options,
  });
}

async function outcomes(n: number, call: () => Promise<unknown>): Promise<string[]> {
  const results: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      await call();
      results.push("ok");
    } catch (err) {
      results.push((err as Error).name);
    }
  }
  return results;
}

describe(`request faults (${ERRORS}#api-error-codes-table-server)`, () => {
  it("throttles with RequestLimitExceeded 503 before the operation runs, only in the rule's region", async () => {
    await start({ faults: { rules: [{ action: "CreateVolume", region: "us-east-1", throttle: 1 }] } });

    const east = await failure(volume());
    const west = await volume(h.ec2("us-west-2"), "us-west-2a");

    expect(east).toMatchObject({ name: "RequestLimitExceeded", status: 503 });
    expect(await volumeIds()).toEqual([]);
    expect(west).toMatch(/^vol-/);
    expect(h.emulator.faultStats()).toMatchObject({
      injected: 1,
      byKind: { throttle: 1, error: 0 },
      byRegion: { "us-east-1": { CreateVolume: 1 } },
    });
  });

  it("answers InternalError 500 for EC2, InternalServiceError 500 for CloudWatch and InternalError 500 for SNS (API_PutMetricData.html#API_PutMetricData_Errors, sns/latest/api/API_Publish.html)", async () => {
    await start({ faults: { rules: [{ action: ["CreateVolume", "PutMetricData", "Publish"], error: 1 }] } });
    const { TopicArn } = await h.sns().send(new CreateTopicCommand({ Name: "t" }));

    const e = await failure(volume());
    const cw = await failure(
      h
        .cloudwatch()
        .send(new PutMetricDataCommand({ Namespace: "T", MetricData: [{ MetricName: "M", Value: 1 }] })),
    );
    const sns = await failure(h.sns().send(new PublishCommand({ TopicArn, Message: "hi" })));

    expect(e).toMatchObject({ name: "InternalError", status: 500 });
    expect(cw).toMatchObject({ name: "InternalServiceFault", status: 500 });
    expect(sns).toMatchObject({ name: "InternalErrorException", status: 500 });
    expect(h.emulator.metrics()).toEqual([]);
    expect(h.emulator.published()).toEqual([]);
  });

  it(`injects ResourceLimitExceeded (400) into CopySnapshot on demand (${API}/API_CopySnapshot.html)`, async () => {
    await start({ faults: { rules: [{ action: "CopySnapshot", region: "us-west-2", resourceLimit: 1 }] } });
    const source = (await ec2.send(new CreateSnapshotCommand({ VolumeId: await volume() }))).SnapshotId;
    h.clock.advance(120_000);

    const err = await failure(
      h
        .ec2("us-west-2")
        .send(new CopySnapshotCommand({ SourceRegion: "us-east-1", SourceSnapshotId: source })),
    );
    const copies = await h.ec2("us-west-2").send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));

    expect(err).toMatchObject({ name: "ResourceLimitExceeded", status: 400 });
    expect(copies.Snapshots).toEqual([]);
    expect(h.emulator.faultStats().byKind.resourceLimit).toBe(1);
  });

  it("injects a fault on exactly the listed calls, and stops after maxFaults", async () => {
    await start({
      faults: {
        rules: [
          { action: "CreateVolume", calls: [2, 4], kind: "error" },
          { action: "DescribeVolumes", throttle: 1, maxFaults: 2 },
        ],
      },
    });

    const creates = await outcomes(5, () => volume());
    const describes = await outcomes(4, () => volumeIds());

    expect(creates).toEqual(["ok", "InternalError", "ok", "InternalError", "ok"]);
    expect(describes).toEqual(["RequestLimitExceeded", "RequestLimitExceeded", "ok", "ok"]);
  });

  it("gives the same faults for the same seed and calls, and other faults for another seed", async () => {
    const plan = (seed: number): FaultPlan => ({
      seed,
      rules: [{ action: "DescribeVolumes", throttle: 0.2, error: 0.2 }],
    });
    const run = async (seed: number) => {
      await start({ faults: plan(seed), quotas: false });
      const result = await outcomes(60, () => volumeIds());
      await stop();
      return result;
    };

    const first = await run(7);
    const again = await run(7);
    const other = await run(8);

    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    const share = (kind: string) => first.filter((o) => o === kind).length / first.length;
    expect(share("RequestLimitExceeded")).toBeGreaterThan(0.05);
    expect(share("InternalError")).toBeGreaterThan(0.05);
    expect(share("ok")).toBeGreaterThan(0.35);
  });
});

describe("timeouts", () => {
  it("holds the request unanswered: a client with a socket timeout gets TimeoutError, and nothing was created", async () => {
    await start({
      faults: {
        rules: [{ action: "CreateVolume", calls: [1], kind: "timeout" }],
        timeout: { holdMs: 5_000 },
      },
    });
    const impatient = client({ requestHandler: { socketTimeout: 200 } });

    const started = Date.now();
    const err = await failure(volume(impatient));

    expect(err.name).toBe("TimeoutError");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await volumeIds()).toEqual([]);
    expect(h.emulator.faultStats().byKind.timeout).toBe(1);
  });

  it("models 'applied but the answer was lost' (applied: true): the volume exists although the call failed", async () => {
    await start({
      faults: {
        rules: [{ action: "CreateVolume", calls: [1], kind: "timeout" }],
        timeout: { holdMs: 5_000, applied: true },
      },
    });
    const impatient = client({ requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true } });

    const err = await failure(volume(impatient));

    expect(err.name).toBe("TimeoutError");
    expect(await volumeIds()).toHaveLength(1);
  });

  it("closes the connection at once with reset: true, and the SDK's retry (maxAttempts 3) gets through on the next attempt", async () => {
    await start({
      faults: { rules: [{ action: "CreateVolume", calls: [1], kind: "timeout" }], timeout: { reset: true } },
    });
    const once = client();
    const retrying = client({ maxAttempts: 3 });

    const err = await failure(volume(once));
    const created = await volume(retrying);

    expect(err.name).not.toBe("InternalError");
    expect(created).toMatch(/^vol-/);
    expect(await volumeIds()).toEqual([created]);
  });
});

describe(`snapshots that end in error (${API}/API_Snapshot.html, StateMessage)`, () => {
  it("fails a seeded share of new snapshots (errorRate), the same share in every run with that seed", async () => {
    const run = async () => {
      await start({ faults: { seed: 3, snapshots: { errorRate: 0.5 } } });
      const ids = [];
      for (let n = 0; n < 20; n++) {
        ids.push((await ec2.send(new CreateSnapshotCommand({ VolumeId: await volume() }))).SnapshotId ?? "");
      }
      h.clock.advance(120_000);
      const states = [];
      for (const id of ids) states.push((await describeSnapshot(id))?.State);
      const counted = h.emulator.faultStats().byKind.snapshotError;
      await stop();
      return { states, counted };
    };

    const first = await run();
    const second = await run();

    expect(first.states.filter((s) => s === "error").length).toBeGreaterThan(3);
    expect(first.states.filter((s) => s === "completed").length).toBeGreaterThan(3);
    expect(first.counted).toBe(first.states.filter((s) => s === "error").length);
    expect(second.states).toEqual(first.states);
  });

  it("fails the snapshots of volumes named by id (setFaults once they exist) or by tag, with a state message", async () => {
    await start();
    const byId = await volume();
    const byTag = (
      await ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: "us-east-1a",
          Size: 1,
          TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Name", Value: "db-1-logs" }] }],
        }),
      )
    ).VolumeId;
    const healthy = await volume();
    h.emulator.setFaults({ snapshots: { errorVolumeIds: [byId], errorVolumeTags: ["Name=db-1-logs"] } });

    const ids = [];
    for (const v of [byId, byTag, healthy]) {
      ids.push((await ec2.send(new CreateSnapshotCommand({ VolumeId: v }))).SnapshotId ?? "");
    }
    h.clock.advance(120_000);
    const described = [];
    for (const id of ids) described.push(await describeSnapshot(id));

    expect(described.map((d) => d?.State)).toEqual(["error", "error", "completed"]);
    expect(described[0]?.StateMessage).toContain("fault plan");
    expect(h.emulator.faultStats().byKind.snapshotError).toBe(2);
  });

  it("fails a seeded share of copies with copyErrorRate", async () => {
    await start({ faults: { snapshots: { copyErrorRate: 1 } } });
    const source = (await ec2.send(new CreateSnapshotCommand({ VolumeId: await volume() }))).SnapshotId;
    h.clock.advance(120_000);
    const west = h.ec2("us-west-2");

    const copy = await west.send(
      new CopySnapshotCommand({ SourceRegion: "us-east-1", SourceSnapshotId: source }),
    );
    h.clock.advance(120_000);

    expect((await describeSnapshot(copy.SnapshotId ?? "", west))?.State).toBe("error");
    expect(h.emulator.faultStats().byKind.copyError).toBe(1);
  });
});

describe("triggers: resources that change under a running backup", () => {
  async function instanceWithDataVolume(name: string) {
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: "ami-12345678",
        MinCount: 1,
        MaxCount: 1,
        Placement: { AvailabilityZone: "us-east-1a" },
        TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: name }] }],
      }),
    );
    const instanceId = run.Instances?.[0]?.InstanceId ?? "";
    const data = (
      await ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: "us-east-1a",
          Size: 10,
          TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Name", Value: `${name}-data` }] }],
        }),
      )
    ).VolumeId;
    await ec2.send(new AttachVolumeCommand({ VolumeId: data, InstanceId: instanceId, Device: "/dev/sdf" }));
    return { instanceId, data: data ?? "" };
  }

  it("deletes an attached volume right after the 2nd CreateSnapshot in us-east-1", async () => {
    await start({
      faults: {
        triggers: [
          {
            after: { action: "CreateSnapshot", region: "us-east-1", count: 2 },
            do: { type: "deleteVolume", region: "us-east-1", volumeTag: "Name=web-1-data" },
          },
        ],
      },
    });
    const web = await instanceWithDataVolume("web-1");
    const other = await volume();

    await ec2.send(new CreateSnapshotCommand({ VolumeId: web.data }));
    const stillThere = await volumeIds();
    await ec2.send(new CreateSnapshotCommand({ VolumeId: other }));
    const gone = await failure(ec2.send(new DescribeVolumesCommand({ VolumeIds: [web.data] })));
    const snapshotOfGone = await failure(ec2.send(new CreateSnapshotCommand({ VolumeId: web.data })));
    const instance = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [web.instanceId] }));

    expect(stillThere).toContain(web.data);
    expect(gone.name).toBe("InvalidVolume.NotFound");
    expect(snapshotOfGone.name).toBe("InvalidVolume.NotFound");
    expect(instance.Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings?.map((m) => m.DeviceName)).toEqual(
      ["/dev/xvda"],
    );
    expect(h.emulator.faultStats().events).toMatchObject([
      { kind: "trigger", region: "us-east-1", resource: web.data },
    ]);
  });

  it("detaches a volume and terminates an instance at a simulated time, and records a trigger that cannot apply as skipped", async () => {
    await start();
    const db = await instanceWithDataVolume("db-1");
    const web = await instanceWithDataVolume("web-2");
    const rootOfWeb = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [web.instanceId] })))
      .Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId;
    h.emulator.setFaults({
      triggers: [
        {
          at: "2026-01-01T00:10:00Z",
          do: [
            { type: "detachVolume", region: "us-east-1", volumeId: web.data },
            { type: "detachVolume", region: "us-east-1", volumeId: rootOfWeb ?? "" },
            { type: "terminateInstance", region: "us-east-1", instanceTag: "Name=db-1" },
          ],
        },
      ],
    });

    const before = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [db.instanceId] }));
    h.clock.advance(600_000);
    const after = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [db.instanceId, web.instanceId] }),
    );
    const [dbAfter, webAfter] = (after.Reservations ?? []).flatMap((r) => r.Instances ?? []);

    expect(before.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe("running");
    expect(dbAfter?.State?.Name).toBe("terminated");
    expect(webAfter?.BlockDeviceMappings?.map((m) => m.DeviceName)).toEqual(["/dev/xvda"]);
    const details = h.emulator.faultStats().events.map((e) => e.detail);
    expect(details).toEqual([
      expect.stringContaining("detachVolume"),
      expect.stringMatching(/detachVolume.*skipped.*root volume/),
      expect.stringContaining("terminateInstance"),
    ]);
    expect(h.emulator.faultStats().byKind.trigger).toBe(2);
  });
});

describe(`missing KMS keys (${API}/API_CopySnapshot.html: "the action can appear to complete, but eventually fails")`, () => {
  const kmsKeys = { "us-west-2": ["alias/snapfleet-dr"] };
  const DR_KEY = "arn:aws:kms:us-west-2:000000000000:alias/snapfleet-dr";

  async function completedSnapshot() {
    const id = (await ec2.send(new CreateSnapshotCommand({ VolumeId: await volume() }))).SnapshotId ?? "";
    h.clock.advance(120_000);
    return id;
  }
  const copyWith = (source: string, keyId: string, encrypted = true) =>
    h.ec2("us-west-2").send(
      new CopySnapshotCommand({
        SourceRegion: "us-east-1",
        SourceSnapshotId: source,
        Encrypted: encrypted,
        KmsKeyId: keyId,
      }),
    );

  it("copies with a key the destination region has (by alias or alias ARN)", async () => {
    await start({ kmsKeys });
    const source = await completedSnapshot();

    const copy = await copyWith(source, DR_KEY);
    h.clock.advance(120_000);
    const done = await describeSnapshot(copy.SnapshotId ?? "", h.ec2("us-west-2"));

    expect(done).toMatchObject({ State: "completed", Encrypted: true, KmsKeyId: DR_KEY });
  });

  it("accepts a copy under a key the plan made missing, which then ends in error with a state message", async () => {
    await start({ kmsKeys, faults: { kms: { missing: [{ region: "us-west-2" }] } } });
    const source = await completedSnapshot();

    const copy = await copyWith(source, "alias/snapfleet-dr");
    h.clock.advance(120_000);
    const failed = await describeSnapshot(copy.SnapshotId ?? "", h.ec2("us-west-2"));
    const defaultKey = await copyWith(source, "alias/aws/ebs");

    expect(copy.SnapshotId).toMatch(/^snap-/);
    expect(failed?.State).toBe("error");
    expect(failed?.StateMessage).toContain("alias/snapfleet-dr");
    expect(defaultKey.SnapshotId).toMatch(/^snap-/);
    expect(h.emulator.faultStats().byKind.kmsKeyMissing).toBe(1);
  });

  it("fails a copy under a key the region never had, or a key of another region", async () => {
    await start({ kmsKeys });
    const source = await completedSnapshot();

    const unknown = await copyWith(source, "alias/typo");
    const eastKey = await copyWith(source, "arn:aws:kms:us-east-1:000000000000:alias/snapfleet-dr");
    h.clock.advance(120_000);

    expect((await describeSnapshot(unknown.SnapshotId ?? "", h.ec2("us-west-2")))?.State).toBe("error");
    expect((await describeSnapshot(eastKey.SnapshotId ?? "", h.ec2("us-west-2")))?.State).toBe("error");
    expect(h.emulator.faultStats().injected).toBe(0);
  });

  it("deletes the DR key mid-run with a deleteKmsKey trigger", async () => {
    await start({
      kmsKeys,
      faults: {
        triggers: [
          {
            after: { action: "CopySnapshot", region: "us-west-2" },
            do: { type: "deleteKmsKey", region: "us-west-2" },
          },
        ],
      },
    });
    const source = await completedSnapshot();

    const first = await copyWith(source, "alias/snapfleet-dr");
    const second = await copyWith(source, "alias/snapfleet-dr");
    h.clock.advance(120_000);
    const west = h.ec2("us-west-2");

    expect((await describeSnapshot(first.SnapshotId ?? "", west))?.State).toBe("completed");
    expect((await describeSnapshot(second.SnapshotId ?? "", west))?.State).toBe("error");
  });

  it("requires Encrypted with KmsKeyId (InvalidParameterDependency), and fails a volume under a missing key", async () => {
    await start({ kmsKeys: { "us-east-1": [] } });
    const source = await completedSnapshot();

    const noFlag = await failure(
      h.ec2("us-west-2").send(
        new CopySnapshotCommand({
          SourceRegion: "us-east-1",
          SourceSnapshotId: source,
          KmsKeyId: "alias/snapfleet-dr",
        }),
      ),
    );
    const created = await ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: "us-east-1a",
        Size: 1,
        Encrypted: true,
        KmsKeyId: "alias/gone",
      }),
    );
    const described = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [created.VolumeId ?? ""] }));

    expect(noFlag).toMatchObject({ name: "InvalidParameterDependency", status: 400 });
    expect(created.State).toBe("creating");
    expect(described.Volumes?.[0]?.State).toBe("error");
  });
});

describe("fault plans from JSON (local:aws --faults plan.json)", () => {
  const write = (content: string) => {
    const path = join(mkdtempSync(join(tmpdir(), "faults-")), "plan.json");
    writeFileSync(path, content);
    return path;
  };

  it("loads a valid plan, which setFaults installs", async () => {
    await start();
    const plan = loadFaultPlan(
      write(
        JSON.stringify({ seed: "run-1", rules: [{ action: "CreateVolume", calls: [1], kind: "throttle" }] }),
      ),
    );

    h.emulator.setFaults(plan);
    const first = await failure(volume());

    expect(plan.seed).toBe("run-1");
    expect(first.name).toBe("RequestLimitExceeded");
  });

  it("names the offending path of an invalid plan", async () => {
    await start();
    const path = write(JSON.stringify({ rules: [{ action: "CreateSnapshot", throttle: 0.8, error: 0.5 }] }));

    expect(() => loadFaultPlan(path)).toThrow(/rules\.0: throttle \+ error/);
    expect(() => loadFaultPlan(write("{"))).toThrow(/Cannot read the fault plan/);
    expect(() => loadFaultPlan(write(JSON.stringify({ rules: [{ acton: "X" }] })))).toThrow(/rules\.0/);
    expect(() =>
      h.emulator.setFaults({ triggers: [{ at: "soon", do: { type: "deleteKmsKey", region: "us-west-2" } }] }),
    ).toThrow(/triggers\.0\.at/);
  });
});
