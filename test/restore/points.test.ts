import fc from "fast-check";
import { chooseRecoveryPoint, type RecoveryPoint } from "../../lib/restore/points";
import { restoredVolumeTags } from "../../lib/restore/tags";
import { testPoint } from "./helpers";

const point = (snapshotId: string, takenAt: string, state = "completed"): RecoveryPoint =>
  testPoint({ snapshotId, takenAt, state, progress: state === "completed" ? "100%" : "40%" });

describe("chooseRecoveryPoint", () => {
  const points = [
    point("snap-3", "2026-11-22T03:00:00.000Z", "pending"),
    point("snap-2", "2026-11-21T03:00:00.000Z"),
    point("snap-1", "2026-11-20T03:00:00.000Z"),
    point("snap-0", "2026-11-19T03:00:00.000Z", "error"),
  ];

  it("takes the newest completed snapshot when no time is given, skipping pending ones", () => {
    expect(chooseRecoveryPoint(points)?.snapshotId).toBe("snap-2");
  });

  it("takes the newest completed snapshot at or before the time, inclusive", () => {
    expect(chooseRecoveryPoint(points, new Date("2026-11-21T02:59:59Z"))?.snapshotId).toBe("snap-1");
    expect(chooseRecoveryPoint(points, new Date("2026-11-21T03:00:00Z"))?.snapshotId).toBe("snap-2");
  });

  it("finds nothing before the oldest completed snapshot, never an errored one", () => {
    expect(chooseRecoveryPoint(points, new Date("2026-11-20T00:00:00Z"))).toBeUndefined();
  });

  it("always picks a completed point at or before T with no completed point between it and T", () => {
    const day = 86_400_000;
    const arbitraryPoint = fc.record({
      offset: fc.integer({ min: 0, max: 30 * day }),
      state: fc.constantFrom("completed", "pending", "error"),
    });
    fc.assert(
      fc.property(
        fc.array(arbitraryPoint, { maxLength: 40 }),
        fc.integer({ min: 0, max: 31 * day }),
        (raw, t) => {
          const base = Date.UTC(2026, 0, 1);
          const all = raw.map((p, i) => point(`snap-${i}`, new Date(base + p.offset).toISOString(), p.state));
          const at = new Date(base + t);

          const chosen = chooseRecoveryPoint(all, at);

          const eligible = all.filter(
            (p) => p.state === "completed" && Date.parse(p.takenAt) <= at.getTime(),
          );
          if (eligible.length === 0) return chosen === undefined;
          return (
            chosen !== undefined &&
            eligible.includes(chosen) &&
            eligible.every((p) => p.takenAt <= chosen.takenAt)
          );
        },
      ),
    );
  });
});

describe("restoredVolumeTags", () => {
  it("keeps the volume's own tags, drops aws: and snapfleet: ones, and names the snapshot", () => {
    const tags = restoredVolumeTags(
      {
        Name: "web-1-root",
        Role: "web",
        "aws:backup:source-resource": "x",
        "snapfleet:managed": "true",
        "snapfleet:instance-id": "i-1",
        "snapfleet:retention": "7",
      },
      "snap-9",
    );

    expect(tags).toEqual({ Name: "web-1-root", Role: "web", "snapfleet:restored-from": "snap-9" });
  });

  it("stays within AWS's 50 tags, keeping the restored-from tag", () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, `${i}`]));

    const tags = restoredVolumeTags(many, "snap-9");

    expect(Object.keys(tags)).toHaveLength(50);
    expect(tags["snapfleet:restored-from"]).toBe("snap-9");
  });
});
