import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import type { DriveRecord } from "../../lib/drive";
import { toTagList } from "../../lib/tags";
import {
  DAY_MS,
  launchInstance,
  listSnapshots,
  runCycle,
  seedSnapshot,
  startTestAws,
  type TestAws,
} from "../helpers/aws";

/**
 * Deletion safety (issue 11): what snapfleet must never delete, checked end to end on the embedded
 * AWS. Each case was a reproduced defect; the expected survivors are named by hand here.
 */
const run = runCycle;

const ids = async (aws: TestAws, region = "us-east-1") =>
  new Set((await listSnapshots(aws, region)).map((s) => s.SnapshotId));

const managedTags = (volumeId: string, instanceId: string, extra: Record<string, string> = {}) =>
  toTagList({
    "snapfleet:managed": "true",
    "snapfleet:instance-id": instanceId,
    "snapfleet:device": "/dev/xvda",
    "snapfleet:volume-id": volumeId,
    "snapfleet:run": "someone-else",
    "snapfleet:retention": "1",
    ...extra,
  });

describe("a snapshot tagged as managed whose EC2 fields disagree", () => {
  let aws: TestAws;
  let result: Awaited<ReturnType<typeof run>>;
  let foreign: string;
  let foreignCopy: string;
  let aOwn: string;

  beforeAll(async () => {
    aws = await startTestAws();
    const a = await launchInstance(aws, { tags: { Name: "a", Backup: "true", Retention: "1" } });
    const b = await launchInstance(aws, { tags: { Name: "b" } });
    aOwn = await seedSnapshot(aws, { volumeId: a.rootVolumeId, instanceId: a.instanceId });
    // Another tool snapshots B's volume and writes snapfleet's tags naming A's volume.
    const created = await aws.ec2().send(
      new CreateSnapshotCommand({
        VolumeId: b.rootVolumeId,
        TagSpecifications: [{ ResourceType: "snapshot", Tags: managedTags(a.rootVolumeId, a.instanceId) }],
      }),
    );
    foreign = created.SnapshotId ?? "";
    aws.clock.advance(DAY_MS);
    // ...and copies it to the DR region, tagged as a DR copy of A's snapshot (its own description).
    const copied = await aws.ec2("us-west-2").send(
      new CopySnapshotCommand({
        SourceRegion: "us-east-1",
        SourceSnapshotId: foreign,
        TagSpecifications: [
          {
            ResourceType: "snapshot",
            Tags: managedTags(a.rootVolumeId, a.instanceId, {
              "snapfleet:source-snapshot": foreign,
              "snapfleet:source-region": "us-east-1",
            }),
          },
        ],
      }),
    );
    foreignCopy = copied.SnapshotId ?? "";
    aws.clock.advance(DAY_MS);
    result = await run(aws);
  });
  afterAll(() => aws.stop());

  it("does not delete another volume's snapshot that carries this volume's tags", async () => {
    expect(await ids(aws)).toContain(foreign);
    expect(result.drives[0]?.pruned).toEqual([aOwn]);
  });

  it("does not delete a DR-region snapshot that snapfleet did not copy", async () => {
    expect(await ids(aws, "us-west-2")).toContain(foreignCopy);
    expect(result.drives[0]?.drPruned).toEqual([]);
  });

  it('lists both in the digest as "tagged as managed but not ours", with their ids', () => {
    expect(result.digest).toContain("Snapshots tagged as managed but not ours (never deleted): 2.");
    expect(result.digest).toMatch(new RegExp(`us-east-1 ${foreign} .*EC2 says it is a snapshot of vol-`));
    expect(result.digest).toMatch(
      new RegExp(`us-west-2 ${foreignCopy} .*not copied from ${foreign} by snapfleet`),
    );
  });
});

describe("two overlapping runs", () => {
  let aws: TestAws;
  let first: Awaited<ReturnType<typeof run>>;
  let second: Awaited<ReturnType<typeof run>>;
  let primary: Snapshot[];
  let dr: Snapshot[];
  const INSTANCES = 16;

  beforeAll(async () => {
    aws = await startTestAws();
    for (let i = 0; i < INSTANCES; i += 1) {
      await launchInstance(aws, { tags: { Name: `web-${i}`, Backup: "true", Retention: "2d" } });
    }
    const config = { copyConcurrency: 1 };
    const firstRun = run(aws, config);
    // The second starts once the first run's snapshots completed, while its DR copies are still queued.
    while ((await listSnapshots(aws)).filter((s) => s.State === "completed").length < INSTANCES) {
      await aws.clock.sleep(5_000);
    }
    const secondRun = run(aws, config);
    [first, second] = await Promise.all([firstRun, secondRun]);
    expect(first.runId).not.toBe(second.runId);
    primary = await listSnapshots(aws);
    dr = await listSnapshots(aws, "us-west-2");
  }, 120_000);
  afterAll(() => aws.stop());

  const check = (drives: () => DriveRecord[]) => () => {
    expect(drives()).toHaveLength(INSTANCES);
    for (const drive of drives()) {
      expect(drive).toMatchObject({ status: "ok", reason: null });
      expect(primary.find((s) => s.SnapshotId === drive.snapshotId)?.State).toBe("completed");
      expect(dr.find((s) => s.SnapshotId === drive.drSnapshotId)?.State).toBe("completed");
    }
  };
  it(
    "leaves every drive of the first run with its snapshot and its DR copy",
    check(() => first.drives),
  );
  it(
    "leaves every drive of the second run with its snapshot and its DR copy",
    check(() => second.drives),
  );

  it("prunes the older of each drive's two same-day snapshots at the next run, once both have finished", async () => {
    const startOf = (id: string | null) =>
      primary.find((s) => s.SnapshotId === id)?.StartTime?.getTime() ?? 0;
    const pairs = first.drives.map((d) => {
      const other = second.drives.find((o) => o.volumeId === d.volumeId) as DriveRecord;
      const [older, newer] = [d.snapshotId, other.snapshotId].sort((a, b) => startOf(a) - startOf(b));
      return { older, newer, tie: startOf(older ?? null) === startOf(newer ?? null) };
    });
    aws.clock.advance(DAY_MS);

    const third = await run(aws);

    const left = await ids(aws);
    expect(third.drives.every((d) => d.status === "ok")).toBe(true);
    // Exactly one of each pair is left: the later one, or either when both started in the same second.
    expect(pairs.filter((p) => left.has(p.older ?? "") === left.has(p.newer ?? ""))).toEqual([]);
    expect(pairs.filter((p) => !p.tie && !left.has(p.newer ?? ""))).toEqual([]);
  });
});

describe("snapfleet's own snapshots that ended in error", () => {
  it("deletes them before the next snapshot, so they never block a volume, and keeps a manual one", async () => {
    const aws = await startTestAws(Date.UTC(2026, 0, 1, 3), { quotas: true });
    try {
      const i = await launchInstance(aws, {
        tags: { Name: "flaky", Backup: "true", Retention: "7" },
        rootTags: { "emulator:snapshot-result": "error" },
      });
      const failed: string[] = [];
      // AWS's limit is 5 unfinished snapshots per volume: four of snapfleet's and one manual block it.
      for (let n = 0; n < 4; n += 1) {
        failed.push(await seedSnapshot(aws, { volumeId: i.rootVolumeId, instanceId: i.instanceId }));
        aws.clock.advance(60_000);
      }
      const manual = await seedSnapshot(aws, {
        volumeId: i.rootVolumeId,
        instanceId: i.instanceId,
        managed: false,
      });
      await aws
        .ec2()
        .send(
          new DeleteTagsCommand({ Resources: [i.rootVolumeId], Tags: [{ Key: "emulator:snapshot-result" }] }),
        );
      aws.clock.advance(DAY_MS);
      const states = new Map((await listSnapshots(aws)).map((s) => [s.SnapshotId, s.State]));
      expect([...failed, manual].map((id) => states.get(id))).toEqual(Array(5).fill("error"));

      const result = await run(aws);

      const left = await ids(aws);
      expect(result.drives[0]).toMatchObject({ status: "ok", snapshotState: "completed" });
      expect(result.drives[0]?.errorsDeleted).toEqual([...failed].sort());
      for (const id of failed) expect(left.has(id)).toBe(false);
      expect(left.has(manual)).toBe(true);
      expect(result.digest).toContain("snapfleet snapshots in state error deleted (they held no data): 4.");
    } finally {
      await aws.stop();
    }
  });
});

describe("tag keys that differ only in case", () => {
  let aws: TestAws;
  let result: Awaited<ReturnType<typeof run>>;
  let conflicting: string;
  let enabled: string;
  let retention: { instanceId: string; seeded: string };

  beforeAll(async () => {
    aws = await startTestAws();
    conflicting = (await launchInstance(aws, { tags: { Name: "conflict", Backup: "true", backup: "false" } }))
      .instanceId;
    enabled = (await launchInstance(aws, { tags: { Name: "enabled", Backup: "enabled" } })).instanceId;
    const r = await launchInstance(aws, {
      tags: { Name: "retention", Backup: "true", Retention: "1", retention: "bogus" },
    });
    retention = {
      instanceId: r.instanceId,
      seeded: await seedSnapshot(aws, { volumeId: r.rootVolumeId, instanceId: r.instanceId }),
    };
    aws.clock.advance(DAY_MS);
    result = await run(aws);
  });
  afterAll(() => aws.stop());

  it('lists an instance tagged Backup=true and backup=false as "conflicting Backup tags"', () => {
    expect(result.drives.some((d) => d.instanceId === conflicting)).toBe(false);
    expect(result.digest).toContain(
      `conflict (${conflicting}): conflicting Backup tags (Backup="true", backup="false"): remove one`,
    );
  });

  it("lists an instance whose Backup value is neither true nor false", () => {
    expect(result.digest).toContain(`enabled (${enabled}): Backup="enabled" is neither true nor false`);
    expect(result.subject).toContain("2 NOT BACKED UP (tags)");
  });

  it("backs up but prunes nothing of an instance tagged Retention=1 and retention=bogus", async () => {
    const drive = result.drives.find((d) => d.instanceId === retention.instanceId);
    expect(drive).toMatchObject({ status: "failed", snapshotState: "completed", pruned: [], drPruned: [] });
    expect(drive?.reason).toContain('conflicting Retention tags (Retention="1", retention="bogus")');
    expect(await ids(aws)).toContain(retention.seeded);
  });
});

describe("guarantees that had no test", () => {
  it("prunes nothing in either region when DrRetention is invalid and Retention is valid", async () => {
    const aws = await startTestAws();
    try {
      const i = await launchInstance(aws, {
        tags: { Name: "dr-bad", Backup: "true", Retention: "1", DrRetention: "weekly" },
      });
      const old = await seedSnapshot(aws, { volumeId: i.rootVolumeId, instanceId: i.instanceId });
      aws.clock.advance(DAY_MS);
      const result = await run(aws);
      expect(result.drives[0]).toMatchObject({ status: "failed", pruned: [], drPruned: [] });
      expect(result.drives[0]?.reason).toContain('has DrRetention="weekly"');
      expect(await ids(aws)).toContain(old);
    } finally {
      await aws.stop();
    }
  });

  it("prunes nothing of a volume whose new snapshot fails", async () => {
    const aws = await startTestAws();
    try {
      const i = await launchInstance(aws, { tags: { Name: "fails", Backup: "true", Retention: "1" } });
      const old = [
        await seedSnapshot(aws, { volumeId: i.rootVolumeId, instanceId: i.instanceId }),
        await (async () => {
          aws.clock.advance(DAY_MS);
          return seedSnapshot(aws, { volumeId: i.rootVolumeId, instanceId: i.instanceId });
        })(),
      ];
      aws.clock.advance(DAY_MS);
      await aws.ec2().send(
        new CreateTagsCommand({
          Resources: [i.rootVolumeId],
          Tags: [{ Key: "emulator:snapshot-result", Value: "error" }],
        }),
      );
      const result = await run(aws);
      expect(result.drives[0]).toMatchObject({ status: "failed", snapshotState: "error", pruned: [] });
      const left = await ids(aws);
      for (const id of old) expect(left.has(id)).toBe(true);
    } finally {
      await aws.stop();
    }
  });
});
