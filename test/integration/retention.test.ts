import { CreateVolumeCommand, DeleteVolumeCommand, RegisterImageCommand } from "@aws-sdk/client-ec2";
import type { DriveRecord } from "../../lib/drive";
import {
  DAY_MS,
  launchInstance,
  listSnapshots,
  runCycle,
  seedSnapshot,
  startTestAws,
  type TestAws,
} from "../helpers/aws";

/** Retention on the embedded AWS: the real state machine, then the snapshots that are left. */
const run = runCycle;

describe("invalid retention tags", () => {
  const INVALID = ["abc", "-1", "7x", "0", "", "100000d"];
  let aws: TestAws;
  let summary: Awaited<ReturnType<typeof run>>;
  const seeded = new Map<string, string[]>();
  const instances = new Map<string, string>();
  let volumeLevel: { instanceId: string; volumeId: string; seeded: string[] };
  let valid: { instanceId: string; seeded: string[] };

  beforeAll(async () => {
    aws = await startTestAws();
    for (const value of INVALID) {
      const i = await launchInstance(aws, {
        tags: { Name: `bad-${value || "empty"}`, Backup: "true", Retention: value },
      });
      instances.set(value, i.instanceId);
      seeded.set(value, [await seedSnapshot(aws, { volumeId: i.rootVolumeId, instanceId: i.instanceId })]);
    }
    const v = await launchInstance(aws, {
      tags: { Name: "bad-volume", Backup: "true", Retention: "1d" },
      volumes: [{ device: "/dev/sdf", size: 10, tags: { Retention: "1x" } }],
    });
    const volumeId = v.volumes["/dev/sdf"] ?? "";
    volumeLevel = {
      instanceId: v.instanceId,
      volumeId,
      seeded: [await seedSnapshot(aws, { volumeId, instanceId: v.instanceId, device: "/dev/sdf" })],
    };
    const ok = await launchInstance(aws, { tags: { Name: "good", Backup: "true", Retention: "1d" } });
    valid = {
      instanceId: ok.instanceId,
      seeded: [await seedSnapshot(aws, { volumeId: ok.rootVolumeId, instanceId: ok.instanceId })],
    };
    aws.clock.advance(10 * DAY_MS);
    summary = await run(aws);
  });
  afterAll(() => aws.stop());

  const driveOf = (instanceId: string, device = "/dev/xvda") =>
    summary.drives.find((d) => d.instanceId === instanceId && d.device === device) as DriveRecord;

  it.each(INVALID)("names the instance, the value %p and the grammar, and fails the drive", (value) => {
    const drive = driveOf(instances.get(value) ?? "");
    expect(drive.status).toBe("failed");
    expect(drive.reason).toContain(
      `Instance ${instances.get(value)} (bad-${value || "empty"}) has Retention="${value}"`,
    );
    expect(drive.reason).toContain("for example 7d,4w,12m");
    expect(drive.reason).toContain("Nothing of this volume is pruned until the tag is fixed.");
    expect(drive.snapshotState).toBe("completed");
  });

  it.each(INVALID)("deletes nothing of an instance tagged Retention=%p", async (value) => {
    const ids = new Set((await listSnapshots(aws)).map((s) => s.SnapshotId));
    const drIds = new Set((await listSnapshots(aws, "us-west-2")).map((s) => s.SnapshotId));
    const drive = driveOf(instances.get(value) ?? "");
    expect(drive.pruned).toEqual([]);
    expect(drive.drPruned).toEqual([]);
    for (const id of seeded.get(value) ?? []) expect(ids.has(id)).toBe(true);
    expect(drIds.has(drive.drSnapshotId ?? undefined)).toBe(true);
  });

  it("names the volume when the invalid tag is on the volume, and keeps its snapshots", async () => {
    const drive = driveOf(volumeLevel.instanceId, "/dev/sdf");
    const ids = new Set((await listSnapshots(aws)).map((s) => s.SnapshotId));
    expect(drive.reason).toContain(`Volume ${volumeLevel.volumeId} has Retention="1x"`);
    expect(ids.has(volumeLevel.seeded[0])).toBe(true);
    expect(driveOf(volumeLevel.instanceId).status).toBe("ok");
  });

  it("still prunes the instance whose tag is valid", () => {
    expect(driveOf(valid.instanceId).pruned).toEqual(valid.seeded);
  });

  it("says why in the digest, once per failed drive", () => {
    const digest = aws.emulator.published().at(-1)?.message ?? "";
    for (const value of INVALID) expect(digest).toContain(`has Retention="${value}"`);
    expect(summary.volumesFailed).toBe(INVALID.length + 1);
  });
});

describe("snapshots that must survive pruning", () => {
  it("skips a snapshot in use by an AMI (InvalidSnapshot.InUse) without failing the drive", async () => {
    const aws = await startTestAws();
    try {
      const i = await launchInstance(aws, { tags: { Name: "ami", Backup: "true", Retention: "1d" } });
      const inUse = await seedSnapshot(aws, { volumeId: i.rootVolumeId, instanceId: i.instanceId });
      aws.clock.advance(DAY_MS);
      const free = await seedSnapshot(aws, { volumeId: i.rootVolumeId, instanceId: i.instanceId });
      aws.clock.advance(DAY_MS);
      await aws.ec2().send(
        new RegisterImageCommand({
          Name: "golden",
          RootDeviceName: "/dev/xvda",
          BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: inUse } }],
        }),
      );

      const summary = await run(aws);

      const ids = new Set((await listSnapshots(aws)).map((s) => s.SnapshotId));
      expect(summary.drives[0]).toMatchObject({ status: "ok", pruned: [free] });
      expect(ids.has(inUse)).toBe(true);
      expect(ids.has(free)).toBe(false);
    } finally {
      await aws.stop();
    }
  });
});

describe("orphaned snapshots (volume deleted)", () => {
  const setUp = async () => {
    const aws = await startTestAws();
    const created = await aws
      .ec2()
      .send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8 }));
    const volumeId = created.VolumeId ?? "";
    const seeded: string[] = [];
    for (let day = 0; day < 3; day += 1) {
      seeded.push(await seedSnapshot(aws, { volumeId, instanceId: "i-gone", retention: "1d" }));
      aws.clock.advance(DAY_MS);
    }
    await aws.ec2().send(new DeleteVolumeCommand({ VolumeId: volumeId }));
    return { aws, volumeId, seeded };
  };

  it("keeps them by default and lists them in the digest", async () => {
    const { aws, volumeId, seeded } = await setUp();
    try {
      await run(aws);
      const ids = new Set((await listSnapshots(aws)).map((s) => s.SnapshotId));
      for (const id of seeded) expect(ids.has(id)).toBe(true);
      const digest = aws.emulator.published().at(-1)?.message ?? "";
      expect(digest).toContain(
        "Orphaned snapshots (volume gone or no longer selected): 1 volume(s), 3 snapshot(s), 0 deleted",
      );
      expect(digest).toContain(`us-east-1 ${volumeId} of i-gone: 3 snapshot(s)`);
    } finally {
      await aws.stop();
    }
  });

  it("prunes them by their recorded policy with OrphanSnapshots=apply-recorded, keeping the newest", async () => {
    const { aws, seeded } = await setUp();
    try {
      const summary = await run(aws, { orphans: "apply-recorded" });
      const ids = new Set((await listSnapshots(aws)).map((s) => s.SnapshotId));
      expect(seeded.filter((id) => ids.has(id))).toEqual([seeded[2]]);
      expect(summary.orphanSnapshotsDeleted).toBe(2);
    } finally {
      await aws.stop();
    }
  });
});
