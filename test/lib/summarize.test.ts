import type { DriveRecord } from "../../lib/drive";
import { LIST_SUCCESSES_UP_TO, summarizeRun } from "../../lib/summarize";

const record = (overrides: Partial<DriveRecord>): DriveRecord => ({
  instanceId: "i-1",
  host: "web-1",
  device: "/dev/xvda",
  volumeId: "vol-1",
  sizeGiB: 8,
  snapshotId: "snap-1",
  snapshotState: "completed",
  elapsedSeconds: 100,
  pruned: [],
  drSnapshotId: "snap-2",
  drPruned: [],
  status: "ok",
  reason: null,
  ...overrides,
});

describe("summarizeRun", () => {
  const base = { runId: "run-1", startedAt: "2026-01-01T03:00:00.000Z", region: "us-east-1", skipped: [] };

  it("puts the counts first and names each failed server and drive with a Logs Insights query", () => {
    const failed = record({
      instanceId: "i-9",
      host: "db-1",
      device: "/dev/sdg",
      volumeId: "vol-9",
      status: "failed",
      reason: "boom",
    });
    const summary = summarizeRun({ ...base, drives: [record({}), failed] }, new Date("2026-01-01T03:30:00Z"));
    expect(summary.subject).toBe("snapfleet us-east-1: 1 FAILED, 1/2 drives backed up");
    expect(summary.message.split("\n")[1]).toBe("Drives backed up: 1. Failed: 1. Skipped: 0.");
    expect(summary.message).toContain("- db-1 (i-9) /dev/sdg vol-9: boom");
    expect(summary.message).toContain('filter instanceId = "i-9" and volumeId = "vol-9"');
    expect(summary).toMatchObject({
      volumesBackedUp: 1,
      volumesFailed: 1,
      maxElapsedSeconds: 100,
      runDurationSeconds: 1800,
    });
  });

  it("counts successes instead of listing them in a large fleet", () => {
    const many = Array.from({ length: LIST_SUCCESSES_UP_TO + 1 }, (_, i) => record({ volumeId: `vol-${i}` }));
    const summary = summarizeRun({ ...base, drives: many }, new Date("2026-01-01T04:00:00Z"));
    expect(summary.subject).toBe(`snapfleet us-east-1: OK, ${many.length}/${many.length} drives backed up`);
    expect(summary.message).toContain(`${many.length} drives backed up without error (not listed).`);
    expect(summary.message).not.toContain("vol-3");
  });
});

describe("DR lag", () => {
  const base = { runId: "run-1", startedAt: "2026-01-02T03:00:00.000Z", region: "us-east-1", skipped: [] };

  it("is the age of the newest DR copy of the stalest drive, and names drives without any", () => {
    const summary = summarizeRun(
      {
        ...base,
        drives: [record({}), record({ volumeId: "vol-2" }), record({ volumeId: "vol-3" })],
        drCopyTimes: ["2026-01-02T03:00:00.000Z", "2026-01-01T03:00:00.000Z", null],
      },
      new Date("2026-01-02T04:00:00Z"),
    );
    expect(summary.drLagSeconds).toBe(25 * 3600);
    expect(summary.message).toContain("DR lag (newest DR copy of the stalest drive): 90000 s.");
    expect(summary.message).toContain("Drives without any DR copy: 1.");
  });

  it("is not reported when there is no DR region", () => {
    const summary = summarizeRun({ ...base, drives: [record({})] }, new Date("2026-01-02T04:00:00Z"));
    expect(summary.drLagSeconds).toBeNull();
    expect(summary.message).not.toContain("DR lag");
  });
});
