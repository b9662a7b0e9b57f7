import type { Instance, Snapshot, Volume } from "@aws-sdk/client-ec2";
import { type CoverageInput, coverageReport } from "../../lib/coverage";

/** The pure part of `snapfleet coverage`: lists in, one row per drive out. Times by hand. */
const NOW = new Date("2026-11-21T12:00:00Z");
const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));

const instance = (id: string, t: Record<string, string>, volumes: Record<string, string>): Instance => ({
  InstanceId: id,
  Tags: tags(t),
  BlockDeviceMappings: Object.entries(volumes).map(([DeviceName, VolumeId]) => ({
    DeviceName,
    Ebs: { VolumeId },
  })),
});
const volume = (id: string, t: Record<string, string> = {}): Volume => ({ VolumeId: id, Tags: tags(t) });
const snapshot = (
  id: string,
  volumeId: string,
  start: string,
  extra: {
    state?: string;
    size?: number;
    tags?: Record<string, string>;
    ec2VolumeId?: string;
    description?: string;
  } = {},
): Snapshot => ({
  SnapshotId: id,
  VolumeId: extra.ec2VolumeId ?? volumeId,
  State: (extra.state ?? "completed") as Snapshot["State"],
  StartTime: new Date(start),
  VolumeSize: extra.size ?? 8,
  Description: extra.description ?? "",
  Tags: tags({ "snapfleet:managed": "true", "snapfleet:volume-id": volumeId, ...extra.tags }),
});
const copy = (id: string, source: string, volumeId: string, start: string): Snapshot =>
  snapshot(id, volumeId, start, {
    ec2VolumeId: "vol-ffffffff",
    description: `snapfleet DR copy of ${source} from us-east-1 (run-1)`,
    tags: { "snapfleet:source-snapshot": source, "snapfleet:source-region": "us-east-1" },
  });

function input(overrides: Partial<CoverageInput>): CoverageInput {
  return {
    region: "us-east-1",
    drRegion: "us-west-2",
    selectionTag: "Backup",
    defaultRetention: "7",
    maxAgeHours: 26,
    now: NOW,
    instances: [],
    volumes: [],
    primarySnapshots: [],
    drSnapshots: [],
    ...overrides,
  };
}

describe("coverageReport", () => {
  it("takes the newest completed snapshot, ignoring a newer pending one, and counts every snapshot and its size", () => {
    const report = coverageReport(
      input({
        instances: [instance("i-1", { Backup: "yes" }, { "/dev/xvda": "vol-1" })],
        volumes: [volume("vol-1")],
        primarySnapshots: [
          snapshot("snap-old", "vol-1", "2026-11-19T03:00:00Z", { size: 8 }),
          snapshot("snap-new", "vol-1", "2026-11-21T03:00:00Z", {
            size: 8,
            tags: { "snapfleet:consistency": "application" },
          }),
          snapshot("snap-pending", "vol-1", "2026-11-21T11:00:00Z", { state: "pending", size: 8 }),
        ],
      }),
    );

    expect(report.drives[0]?.primary).toEqual({
      region: "us-east-1",
      newest: {
        snapshotId: "snap-new",
        takenAt: "2026-11-21T03:00:00.000Z",
        ageHours: 9,
        consistency: "application",
      },
      snapshots: 3,
      sizeGiB: 24,
    });
    expect(report.drives[0]?.breach).toBeNull();
  });

  it("dates a DR copy by its source's start, or by its own when the source is gone", () => {
    const report = coverageReport(
      input({
        instances: [instance("i-1", { Backup: "true" }, { "/dev/xvda": "vol-1", "/dev/sdf": "vol-2" })],
        volumes: [volume("vol-1"), volume("vol-2")],
        primarySnapshots: [snapshot("snap-1", "vol-1", "2026-11-21T03:00:00Z")],
        drSnapshots: [
          copy("snap-c1", "snap-1", "vol-1", "2026-11-21T03:30:00Z"),
          copy("snap-c2", "snap-gone", "vol-2", "2026-11-20T04:00:00Z"),
        ],
      }),
    );

    const dr = (volumeId: string) => report.drives.find((d) => d.volumeId === volumeId)?.dr?.newest;
    expect(dr("vol-1")).toMatchObject({
      snapshotId: "snap-c1",
      takenAt: "2026-11-21T03:00:00.000Z",
      ageHours: 9,
    });
    expect(dr("vol-2")).toMatchObject({
      snapshotId: "snap-c2",
      takenAt: "2026-11-20T04:00:00.000Z",
      ageHours: 32,
    });
  });

  it("does not count a managed-tagged snapshot that EC2 says is of another volume", () => {
    const report = coverageReport(
      input({
        instances: [instance("i-1", { Backup: "true" }, { "/dev/xvda": "vol-1" })],
        volumes: [volume("vol-1")],
        primarySnapshots: [snapshot("snap-x", "vol-1", "2026-11-21T03:00:00Z", { ec2VolumeId: "vol-9" })],
      }),
    );

    expect(report.drives[0]?.primary.newest).toBeNull();
    expect(report.drives[0]?.breach).toBe("no completed recovery point in us-east-1");
  });

  it("breaches just past --max-age, not at it", () => {
    const at = (start: string) =>
      coverageReport(
        input({
          instances: [instance("i-1", { Backup: "true" }, { "/dev/xvda": "vol-1" })],
          volumes: [volume("vol-1")],
          primarySnapshots: [snapshot("snap-1", "vol-1", start)],
        }),
      ).drives[0]?.breach;

    expect(at("2026-11-20T10:00:00Z")).toBeNull();
    expect(at("2026-11-20T09:54:00Z")).toBe("newest recovery point is 26.1h old (allowed: 26h)");
  });

  it("applies the volume's Retention over the instance's over the default, and reports conflicts and bad values", () => {
    const report = coverageReport(
      input({
        instances: [
          instance(
            "i-1",
            { Backup: "true", Retention: "14d", DrRetention: "30d" },
            { "/dev/xvda": "vol-1", "/dev/sdf": "vol-2", "/dev/sdg": "vol-3" },
          ),
          instance("i-2", { Backup: "true" }, { "/dev/xvda": "vol-4" }),
        ],
        volumes: [
          volume("vol-1"),
          volume("vol-2", { Retention: "3d" }),
          volume("vol-3", { Retention: "1d", retention: "2d" }),
          volume("vol-4", { Retention: "forever" }),
        ],
      }),
    );

    const retention = (v: string) => report.drives.find((d) => d.volumeId === v)?.retention;
    expect(retention("vol-1")).toEqual({
      primary: { policy: "14d", source: "instance tag", problem: null },
      dr: { policy: "30d", source: "instance tag", problem: null },
    });
    expect(retention("vol-2")?.primary).toEqual({ policy: "3d", source: "volume tag", problem: null });
    expect(retention("vol-3")?.primary.policy).toBeNull();
    expect(retention("vol-3")?.primary.problem).toMatch(/conflicting Retention tags/);
    expect(retention("vol-4")?.primary.problem).toMatch(/^Retention="forever": "forever" is not a rule/);
    expect(
      coverageReport(input({ instances: [instance("i-3", { Backup: "1" }, { "/dev/xvda": "vol-5" })] }))
        .drives[0]?.retention.primary,
    ).toEqual({ policy: "7", source: "default", problem: null });
  });

  it("lists volumes attached to nothing and instances without volumes, neither in breach", () => {
    const report = coverageReport(
      input({
        instances: [instance("i-1", { Backup: "true" }, {})],
        volumes: [volume("vol-loose", { Name: "scratch" })],
      }),
    );

    expect(
      report.drives.map((d) => [d.instanceId, d.volumeId, d.selected, d.notSelectedReason, d.breach]),
    ).toEqual([
      ["i-1", null, false, "the instance has no attached EBS volume", null],
      [null, "vol-loose", false, "not attached to an instance", null],
    ]);
  });
});
