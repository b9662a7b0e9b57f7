import { CreateTagsCommand } from "@aws-sdk/client-ec2";
import type { CoverageReport, DriveCoverage } from "../../lib/coverage";
import { runBackupCycle } from "../../local/cycle";
import { launchInstance, startTestAws, type TestAws } from "../helpers/aws";
import { snapfleet } from "../restore/helpers";

/**
 * `snapfleet coverage` on the embedded AWS: one real backup run of part of a fleet, then the
 * command run in-process at chosen simulated times, its table, JSON and exit code read as a user would.
 */
const RUN_AT = Date.UTC(2026, 10, 20, 3);
const HOUR = 3_600_000;

let aws: TestAws;
let web: { instanceId: string; volumes: Record<string, string> };
let db: { instanceId: string; rootVolumeId: string };
let unselected: Record<string, string>;

async function coverage(args: string[] = []) {
  const result = await snapfleet(aws, ["coverage", "--dr-region", "us-west-2", ...args]);
  return {
    ...result,
    report: args.includes("--json") ? (JSON.parse(result.stdout) as CoverageReport) : null,
  };
}

const row = (report: CoverageReport | null, volumeId: string | undefined): DriveCoverage | undefined =>
  report?.drives.find((d) => d.volumeId === volumeId);

beforeAll(async () => {
  aws = await startTestAws(RUN_AT);
  web = await launchInstance(aws, {
    tags: { Name: "web-1", Backup: "true", Retention: "7d,4w" },
    volumes: [
      { device: "/dev/sdf", size: 20 },
      { device: "/dev/sdg", size: 5, tags: { Backup: "false" } },
    ],
  });
  const noTag = await launchInstance(aws, { tags: { Name: "app-1" } });
  const off = await launchInstance(aws, { tags: { Name: "app-2", Backup: "false" } });
  const conflicting = await launchInstance(aws, { tags: { Name: "app-3", Backup: "true", backup: "no" } });
  unselected = {
    noTag: noTag.rootVolumeId,
    off: off.rootVolumeId,
    conflicting: conflicting.rootVolumeId,
  };
  await runBackupCycle(aws.config(), aws.clock);
  // A server added after the run: selected, never backed up.
  db = await launchInstance(aws, { tags: { Name: "db-1", Backup: "true" } });
}, 120_000);
afterAll(() => aws.stop());

describe("snapfleet coverage", () => {
  it("shows a backed-up drive's newest recovery point and its age in both regions, and its retention", async () => {
    aws.clock.advance(RUN_AT + 2 * HOUR - aws.clock.nowMs());

    const { code, stdout, stderr } = await coverage(["--max-age", "26"]);

    const lines = stdout.split("\n");
    const webRoot = lines.find((l) => l.includes(web.volumes["/dev/xvda"] as string)) ?? "";
    expect(webRoot).toMatch(
      /^web-1\s+i-\w+\s+\/dev\/xvda\s+vol-\w+\s+snap-\w+\s+2h\s+volume\s+snap-\w+\s+2h\s+/,
    );
    expect(webRoot).toMatch(/7d,4w \(instance tag\)\s+ok$/);
    // db-1, launched after the run, is the one breach.
    expect(code).toBe(5);
    expect(stderr).toContain("1 selected drive without a completed recovery point in the last 26h");
  });

  it("exits 0 for a healthy fleet", async () => {
    await aws
      .ec2()
      .send(new CreateTagsCommand({ Resources: [db.instanceId], Tags: [{ Key: "Backup", Value: "false" }] }));
    try {
      const { code, stdout, stderr } = await coverage();

      expect(stderr).toBe("");
      expect(stdout).toMatch(/2 selected drives, 0 in breach/);
      expect(code).toBe(0);
    } finally {
      await aws
        .ec2()
        .send(
          new CreateTagsCommand({ Resources: [db.instanceId], Tags: [{ Key: "Backup", Value: "true" }] }),
        );
    }
  });

  it("flags a drive with no recovery point and drives whose newest one is stale, and exits 5", async () => {
    aws.clock.advance(RUN_AT + 30 * HOUR - aws.clock.nowMs());

    const { code, report, stdout } = await coverage(["--json"]);

    expect(code).toBe(5);
    expect(row(report, db.rootVolumeId)?.breach).toBe("no completed recovery point in us-east-1");
    expect(row(report, web.volumes["/dev/xvda"])?.breach).toBe(
      "newest recovery point is 30h old (allowed: 26h)",
    );
    expect(report?.summary).toEqual({ instances: 5, volumes: 7, selected: 3, notSelected: 4, breaches: 3 });
    // Breaches come first, so they are what a reader sees.
    expect(report?.drives.slice(0, 3).every((d) => d.breach !== null)).toBe(true);
    expect(JSON.parse(stdout)).toBeTruthy();
  });

  it("says why each unselected instance and volume is not backed up", async () => {
    const { report, stdout } = await coverage(["--json"]);

    expect(row(report, unselected.noTag)?.notSelectedReason).toBe("the instance has no Backup tag");
    expect(row(report, unselected.off)?.notSelectedReason).toBe('instance tag Backup="false"');
    expect(row(report, unselected.conflicting)?.notSelectedReason).toMatch(
      /^instance conflicting Backup tags \(Backup="true", backup="no"\): remove one/,
    );
    expect(row(report, web.volumes["/dev/sdg"])?.notSelectedReason).toBe("volume tag Backup=false");
    expect(
      [unselected.noTag, unselected.off, web.volumes["/dev/sdg"]].map((v) => row(report, v)?.breach),
    ).toEqual([null, null, null]);
    expect(JSON.parse(stdout)).toBeTruthy();
  });

  it("prints one JSON document of a pinned shape: both regions, the DR copy dated by its source", async () => {
    const { report } = await coverage(["--json", "--max-age", "48"]);

    expect(Object.keys(report ?? {})).toEqual([
      "region",
      "drRegion",
      "checkedAt",
      "maxAgeHours",
      "summary",
      "drives",
    ]);
    expect(report).toMatchObject({
      region: "us-east-1",
      drRegion: "us-west-2",
      checkedAt: new Date(RUN_AT + 30 * HOUR).toISOString(),
      maxAgeHours: 48,
    });
    expect(row(report, web.volumes["/dev/sdf"])).toEqual({
      instanceId: web.instanceId,
      host: "web-1",
      device: "/dev/sdf",
      volumeId: web.volumes["/dev/sdf"],
      selected: true,
      notSelectedReason: null,
      retention: {
        primary: { policy: "7d,4w", source: "instance tag", problem: null },
        dr: { policy: "7d,4w", source: "as Retention (instance tag)", problem: null },
      },
      primary: {
        region: "us-east-1",
        newest: {
          snapshotId: expect.stringMatching(/^snap-/),
          takenAt: new Date(RUN_AT).toISOString(),
          ageHours: 30,
          consistency: "volume",
        },
        snapshots: 1,
        sizeGiB: 20,
      },
      dr: {
        region: "us-west-2",
        newest: {
          snapshotId: expect.stringMatching(/^snap-/),
          takenAt: new Date(RUN_AT).toISOString(),
          ageHours: 30,
          consistency: "volume",
        },
        snapshots: 1,
        sizeGiB: 20,
      },
      breach: null,
    });
  });

  it("makes the same number of Describe calls for 4 volumes as for 80", async () => {
    const describes = async () => {
      const before = aws.emulator.requests().length;
      await coverage(["--json"]);
      return aws.emulator
        .requests()
        .slice(before)
        .filter((r) => r.action.startsWith("Describe"))
        .map((r) => `${r.region} ${r.action}`)
        .sort();
    };
    const small = await describes();
    for (let i = 0; i < 8; i++) {
      await launchInstance(aws, {
        tags: { Name: `bulk-${i}`, Backup: "true" },
        volumes: Array.from({ length: 9 }, (_, v) => ({ device: `/dev/sd${"fghijklmn"[v]}`, size: 1 })),
      });
    }

    const large = await describes();

    expect((await coverage(["--json"])).report?.summary.volumes).toBe(87);
    expect(large).toEqual(small);
    expect(small).toEqual([
      "us-east-1 DescribeInstances",
      "us-east-1 DescribeSnapshots",
      "us-east-1 DescribeVolumes",
      "us-west-2 DescribeSnapshots",
    ]);
  });
});
