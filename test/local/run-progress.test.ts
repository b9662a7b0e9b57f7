import { CycleProgress } from "../../local/run-progress";
import type { ProgressEvent } from "../../local/runner";

/** The progress of a backup cycle folded from the runner's events, as backup.asl.json names its states. */
const state = (execution: string, type: string, name: string, output?: unknown): ProgressEvent => ({
  type: "State",
  execution,
  event: { type, state: { name, output } },
});
const iteration = (execution: string): ProgressEvent => ({
  type: "State",
  execution,
  event: { type: "MapIterationStarted", parentState: { name: "Volumes" }, index: 0 },
});

describe("CycleProgress", () => {
  const started = new Date("2026-11-26T03:00:00Z");
  let now = started;
  const progress = () => new CycleProgress(started, () => now);

  it("takes the totals from Plan and counts drives ok, failed with a reason, and caught", () => {
    const p = progress();
    const events: ProgressEvent[] = [
      state("run", "StateExited", "Plan", { instances: 1, drives: 3 }),
      { type: "ChildStarted", execution: "run/Fleet:0" },
      iteration("run/Fleet:0"),
      iteration("run/Fleet:0"),
      iteration("run/Fleet:0"),
      state("run/Fleet:0", "StateExited", "DriveDone", { item: {}, progress: { done: true } }),
      state("run/Fleet:0", "StateExited", "DriveDone", {
        item: {},
        progress: { done: true, failed: "error" },
      }),
    ];
    for (const e of events) p.apply(e);
    now = new Date("2026-11-26T03:10:00Z");

    expect(p.current()).toEqual({
      servers: { total: 1, done: 0, failed: 0, inFlight: 1 },
      drives: { total: 3, done: 1, failed: 1, inFlight: 1 },
      startedAt: started,
      now,
    });
    p.apply(state("run/Fleet:0", "StateExited", "DriveFailed", { item: {}, progress: {}, error: {} }));
    p.apply({ type: "ChildFinished", execution: "run/Fleet:0", status: "SUCCEEDED" });
    expect([p.current().servers, p.current().drives]).toEqual([
      { total: 1, done: 1, failed: 0, inFlight: 0 },
      { total: 3, done: 1, failed: 2, inFlight: 0 },
    ]);
  });

  it("counts the drives still in flight as failed when their server's child execution fails", () => {
    const p = progress();
    for (const e of [
      state("run", "StateExited", "Plan", { instances: 2, drives: 3 }),
      { type: "ChildStarted", execution: "run/Fleet:0" },
      { type: "ChildStarted", execution: "run/Fleet:1" },
      iteration("run/Fleet:0"),
      iteration("run/Fleet:0"),
      iteration("run/Fleet:1"),
      state("run/Fleet:0", "StateExited", "DriveDone", { progress: { done: true } }),
      { type: "ChildFinished", execution: "run/Fleet:0", status: "FAILED" },
    ] as ProgressEvent[])
      p.apply(e);

    expect([p.current().servers, p.current().drives]).toEqual([
      { total: 2, done: 0, failed: 1, inFlight: 1 },
      { total: 3, done: 1, failed: 1, inFlight: 1 },
    ]);
  });

  it("ignores events that change no count", () => {
    expect(progress().apply(state("run/Fleet:0", "StateEntered", "Snapshot"))).toBe(false);
  });
});
