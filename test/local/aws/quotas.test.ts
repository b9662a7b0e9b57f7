import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import type { EmulatorOptions } from "../../../local/aws/server";
import { failure, type Harness, startHarness } from "./harness";

/**
 * AWS's quotas as the emulator enforces them by default (shared/aws-limits.md):
 * - https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html (token buckets)
 * - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (codes)
 * - https://repost.aws/knowledge-center/ebs-snapshot-stuck (pending snapshots per volume)
 */
const THROTTLING = "https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html";
const ERRORS = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html";

let h: Harness;
let ec2: EC2Client;

async function start(options: Omit<EmulatorOptions, "clock"> = {}) {
  h = await startHarness(options);
  ec2 = h.ec2();
}
afterEach(() => h.emulator.stop());

async function volume(sizeGiB: number, type = "gp3", client = ec2, zone = "us-east-1a") {
  const out = await client.send(
    new CreateVolumeCommand({ AvailabilityZone: zone, Size: sizeGiB, VolumeType: type as "gp3" }),
  );
  return out.VolumeId ?? "";
}

const snapshot = (volumeId: string) => ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
const snapshotIds = async (client = ec2) =>
  (
    (await client.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], MaxResults: 1000 }))).Snapshots ??
    []
  ).map((s) => s.SnapshotId);

/** Sends `n` calls one after the other; the names of the errors, "ok" for successes. */
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

describe(`EC2 request token buckets (${THROTTLING})`, () => {
  it("lets a full bucket of 100 filtered DescribeSnapshots through, refuses the 101st with RequestLimitExceeded 503, and refills 20 per simulated second", async () => {
    await start();
    const describe = () =>
      ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: "status", Values: ["pending"] }] }));

    const burst = await outcomes(100, describe);
    const refused = await failure(describe());
    h.clock.advance(50);
    const afterOneToken = await outcomes(2, describe);
    h.clock.advance(5_000);
    const afterFiveSeconds = await outcomes(100, describe);

    expect(burst.every((o) => o === "ok")).toBe(true);
    expect(refused).toMatchObject({ name: "RequestLimitExceeded", status: 503 });
    expect(afterOneToken).toEqual(["ok", "RequestLimitExceeded"]);
    expect(afterFiveSeconds.every((o) => o === "ok")).toBe(true);
  });

  it("draws unfiltered, unpaginated DescribeSnapshots from a separate bucket of 50 (refill 10/s)", async () => {
    await start();
    const unfiltered = () => ec2.send(new DescribeSnapshotsCommand({}));
    const paginated = () => ec2.send(new DescribeSnapshotsCommand({ MaxResults: 5 }));

    const burst = await outcomes(51, unfiltered);
    const paginatedStillServed = await outcomes(1, paginated);
    h.clock.advance(100);
    const oneRefilled = await outcomes(2, unfiltered);

    expect(burst.slice(0, 50).every((o) => o === "ok")).toBe(true);
    expect(burst[50]).toBe("RequestLimitExceeded");
    expect(paginatedStillServed).toEqual(["ok"]);
    expect(oneRefilled).toEqual(["ok", "RequestLimitExceeded"]);
  });

  it("keeps one bucket per region and per action", async () => {
    await start({ quotas: { ec2: { actions: { CreateTags: { capacity: 2, refillPerSecond: 1 } } } } });
    const vol = await volume(1);
    const tag = (client: EC2Client, id: string) =>
      client.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "k", Value: "v" }] }));
    const west = h.ec2("us-west-2");
    const westVol = await volume(1, "gp3", west, "us-west-2a");

    const east = await outcomes(3, () => tag(ec2, vol));
    const untag = await outcomes(1, () => ec2.send(new DeleteTagsCommand({ Resources: [vol] })));
    const westTags = await outcomes(2, () =>
      west.send(new CreateTagsCommand({ Resources: [westVol], Tags: [{ Key: "k", Value: "v" }] })),
    );

    expect(east).toEqual(["ok", "ok", "RequestLimitExceeded"]);
    expect(untag).toEqual(["ok"]);
    expect(westTags).toEqual(["ok", "ok"]);
  });

  it("charges StopInstances one resource token per instance (bucket 1000, refill 20/s, here 3)", async () => {
    await start({ quotas: { ec2: { resources: { StopInstances: { capacity: 3, refillPerSecond: 20 } } } } });
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: "ami-12345678", MinCount: 2, MaxCount: 2 }),
    );
    const ids = (run.Instances ?? []).map((i) => i.InstanceId ?? "");

    const first = await outcomes(1, () => ec2.send(new StopInstancesCommand({ InstanceIds: ids })));
    const second = await outcomes(1, () => ec2.send(new StopInstancesCommand({ InstanceIds: ids })));
    h.clock.advance(50);
    const third = await outcomes(1, () => ec2.send(new StopInstancesCommand({ InstanceIds: ids })));

    expect([first, second, third]).toEqual([["ok"], ["RequestLimitExceeded"], ["ok"]]);
  });

  it("counts throttled calls by region and action in quotaStats()", async () => {
    await start({ quotas: { ec2: { actions: { CreateVolume: { capacity: 1, refillPerSecond: 1 } } } } });

    await outcomes(3, () => volume(1));

    expect(h.emulator.quotaStats()).toEqual({
      throttled: 2,
      limitErrors: 0,
      byService: { ec2: { throttled: 2, limitErrors: 0 } },
      byRegion: { "us-east-1": { CreateVolume: { throttled: 2, limitErrors: 0, codes: {} } } },
    });
  });
});

describe("CloudWatch PutMetricData (about 500 requests/s; https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html)", () => {
  it("answers Throttling (HTTP 400) when its bucket is empty, over the JSON protocol", async () => {
    await start({ quotas: { cloudwatch: { PutMetricData: { capacity: 2, refillPerSecond: 500 } } } });
    const cw = h.cloudwatch();
    const put = () =>
      cw.send(new PutMetricDataCommand({ Namespace: "Test", MetricData: [{ MetricName: "M", Value: 1 }] }));

    await put();
    await put();
    const refused = await failure(put());
    h.clock.advance(2);
    await put();

    expect(refused).toMatchObject({ name: "Throttling", status: 400 });
    expect(h.emulator.metrics()).toHaveLength(3);
    expect(h.emulator.quotaStats().byService).toEqual({ cloudwatch: { throttled: 1, limitErrors: 0 } });
  });
});

describe(`EBS snapshot limits (${ERRORS})`, () => {
  it("refuses a sixth pending snapshot of a gp3 volume with ConcurrentSnapshotLimitExceeded, and accepts it once one completes", async () => {
    await start();
    const vol = await volume(100); // 60 s + 5 s per GiB: 560 s pending
    for (let n = 0; n < 5; n++) {
      await snapshot(vol);
      h.clock.advance(15_000);
    }

    const sixth = await failure(snapshot(vol));
    const countAfterRefusal = (await snapshotIds()).length;
    h.clock.advance(560_000 - 75_000 + 1);
    const accepted = await snapshot(vol);

    expect(sixth).toMatchObject({ name: "ConcurrentSnapshotLimitExceeded", status: 400 });
    expect(countAfterRefusal).toBe(5);
    expect(accepted.State).toBe("pending");
  });

  it("allows one pending snapshot of an st1 volume", async () => {
    await start();
    const vol = await volume(500, "st1");
    await snapshot(vol);
    h.clock.advance(15_000);

    const second = await failure(snapshot(vol));

    expect(second.name).toBe("ConcurrentSnapshotLimitExceeded");
  });

  it("counts snapshots left in state error against the limit until they are deleted", async () => {
    await start({ faults: { snapshots: { errorRate: 1 } } });
    const vol = await volume(1); // 65 s
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      ids.push((await snapshot(vol)).SnapshotId ?? "");
      h.clock.advance(15_000);
    }
    h.clock.advance(120_000);

    const refused = await failure(snapshot(vol));
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: ids[0] }));
    const accepted = await snapshot(vol);

    expect(refused.name).toBe("ConcurrentSnapshotLimitExceeded");
    expect(accepted.State).toBe("pending");
  });

  it("refuses snapshots of one volume less than 15 s apart with SnapshotCreationPerVolumeRateExceeded, other volumes unaffected", async () => {
    await start();
    const vol = await volume(1);
    const other = await volume(1);
    await snapshot(vol);

    h.clock.advance(14_999);
    const tooSoon = await failure(snapshot(vol));
    const otherVolume = await snapshot(other);
    h.clock.advance(1);
    const onTime = await snapshot(vol);

    expect(tooSoon).toMatchObject({ name: "SnapshotCreationPerVolumeRateExceeded", status: 400 });
    expect(otherVolume.State).toBe("pending");
    expect(onTime.State).toBe("pending");
  });

  it("refuses a 21st concurrent copy into one region with ResourceLimitExceeded, accepts it in another region and after copies complete", async () => {
    await start();
    const sources: string[] = [];
    for (let n = 0; n < 21; n++) sources.push((await snapshot(await volume(1))).SnapshotId ?? "");
    h.clock.advance(120_000);
    const copy = (region: string, id: string) =>
      h.ec2(region).send(new CopySnapshotCommand({ SourceRegion: "us-east-1", SourceSnapshotId: id }));

    for (const id of sources.slice(0, 20)) await copy("us-west-2", id);
    const refused = await failure(copy("us-west-2", sources[20] ?? ""));
    const elsewhere = await copy("eu-west-1", sources[20] ?? "");
    h.clock.advance(120_000);
    const later = await copy("us-west-2", sources[20] ?? "");

    expect(refused).toMatchObject({ name: "ResourceLimitExceeded", status: 400 });
    expect((await snapshotIds(h.ec2("us-west-2"))).length).toBe(21);
    expect(elsewhere.SnapshotId).toMatch(/^snap-/);
    expect(later.SnapshotId).toMatch(/^snap-/);
    expect(h.emulator.quotaStats().byRegion["us-west-2"]?.CopySnapshot).toEqual({
      throttled: 0,
      limitErrors: 1,
      codes: { ResourceLimitExceeded: 1 },
    });
    expect(h.emulator.quotaStats().byService).toEqual({ ec2: { throttled: 0, limitErrors: 1 } });
  });
});

describe("switching quotas off", () => {
  it("with quotas: false, takes a burst of calls and back-to-back snapshots of one volume", async () => {
    await start({ quotas: false });
    const vol = await volume(100);

    const snapshots = await outcomes(12, () => snapshot(vol));
    const describes = await outcomes(120, () => ec2.send(new DescribeSnapshotsCommand({})));

    expect(snapshots.every((o) => o === "ok")).toBe(true);
    expect(describes.every((o) => o === "ok")).toBe(true);
    expect(h.emulator.quotaStats()).toEqual({ throttled: 0, limitErrors: 0, byService: {}, byRegion: {} });
  });

  it("turns off throttling alone (throttling: false) or the EBS limits alone (ebs: false)", async () => {
    await start({ quotas: { throttling: false } });
    const vol = await volume(1);
    const describes = await outcomes(60, () => ec2.send(new DescribeSnapshotsCommand({})));
    await snapshot(vol);
    const stillLimited = await failure(snapshot(vol));
    await h.emulator.stop();

    await start({ quotas: { ebs: false } });
    const vol2 = await volume(1);
    const backToBack = await outcomes(7, () => snapshot(vol2));
    const stillThrottled = await outcomes(51, () => ec2.send(new DescribeSnapshotsCommand({})));

    expect(describes.every((o) => o === "ok")).toBe(true);
    expect(stillLimited.name).toBe("SnapshotCreationPerVolumeRateExceeded");
    expect(backToBack.every((o) => o === "ok")).toBe(true);
    expect(stillThrottled[50]).toBe("RequestLimitExceeded");
  });
});
