import type { RecoveryPoint } from "../../lib/restore/points";
import { chooseRecoverySet, groupRecoverySets } from "../../lib/restore/sets";
import { testPoint } from "./helpers";

/** Recovery sets from recovery points: pure grouping and choice, expected values written by hand. */
function point(snapshotId: string, props: Partial<RecoveryPoint> & { tags?: Record<string, string> }) {
  return testPoint({ snapshotId, host: "db-1", ...props, tags: { "snapfleet:run": "r1", ...props.tags } });
}

describe("groupRecoverySets", () => {
  it("groups a set by snapfleet:set even when DR copies are dated apart, and reports its weakest consistency", () => {
    const sets = groupRecoverySets([
      point("snap-a", { tags: { "snapfleet:set": "r1/i-1", "snapfleet:consistency": "application" } }),
      point("snap-b", {
        device: "/dev/sdf",
        takenAt: "2026-11-20T03:00:05.000Z",
        tags: { "snapfleet:set": "r1/i-1", "snapfleet:consistency": "instance" },
      }),
    ]);

    expect(sets).toHaveLength(1);
    expect(sets[0]).toMatchObject({
      kind: "set",
      id: "r1/i-1",
      firstTakenAt: "2026-11-20T03:00:00.000Z",
      takenAt: "2026-11-20T03:00:05.000Z",
      consistency: "instance",
    });
  });

  it("keeps two instances of one host apart within a run, and calls a run volume-consistent", () => {
    const sets = groupRecoverySets([
      point("snap-a", { instanceId: "i-1" }),
      point("snap-b", { instanceId: "i-2", tags: { "snapfleet:consistency": "instance" } }),
    ]);

    expect(sets.map((s) => [s.kind, s.instanceId, s.consistency])).toEqual([
      ["run", "i-1", "volume"],
      ["run", "i-2", "volume"],
    ]);
  });
});

describe("chooseRecoverySet", () => {
  it("takes a run's completed snapshot of a drive over its failed one", () => {
    const choice = chooseRecoverySet(
      [
        point("snap-failed", { state: "error", takenAt: "2026-11-20T03:00:10.000Z" }),
        point("snap-ok", {}),
        point("snap-data", { device: "/dev/sdf" }),
      ],
      ["/dev/xvda", "/dev/sdf"],
    );

    expect(choice.chosen?.points.map((p) => p.snapshotId)).toEqual(["snap-data", "snap-ok"]);
  });

  it("does not require a drive that was never snapshotted, and skips nothing older than the choice", () => {
    const choice = chooseRecoverySet(
      [
        point("snap-new", { tags: { "snapfleet:run": "r2" }, takenAt: "2026-11-21T03:00:00.000Z" }),
        point("snap-old", {}),
      ],
      ["/dev/xvda", "/dev/sdg"],
    );

    expect(choice.required).toEqual(["/dev/xvda"]);
    expect(choice.chosen?.id).toBe("r2");
    expect(choice.skipped).toEqual([]);
  });
});
