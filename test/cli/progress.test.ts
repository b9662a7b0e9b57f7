import { describeProgress, estimatedEnd, formatDuration, type RunProgress } from "../../cli/progress";

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 3) + seconds * 1000);
const progress = (
  done: number,
  failed: number,
  inFlight: number,
  total: number,
  seconds: number,
): RunProgress => ({
  servers: { total: 4, done: 1, failed: 0, inFlight: 3 },
  drives: { total, done, failed, inFlight },
  startedAt: at(0),
  now: at(seconds),
});

describe("the run's progress line (cli/progress.ts)", () => {
  it("extrapolates the end from the drives finished so far: 4 of 10 in 120 s leaves 180 s", () => {
    expect(estimatedEnd(progress(3, 1, 2, 10, 120))).toEqual(at(300));
    expect(describeProgress(progress(3, 1, 2, 10, 120))).toBe(
      "servers 1/4 (0 failed, 3 in flight) · drives 4/10 (1 failed, 2 in flight) · 2m00s · ends in ~3m00s",
    );
  });

  it("gives no estimate before a drive has finished, when the total is unknown, or once all have", () => {
    expect(estimatedEnd(progress(0, 0, 3, 10, 60))).toBeUndefined();
    expect(estimatedEnd(progress(2, 0, 1, 0, 60))).toBeUndefined();
    expect(describeProgress(progress(9, 1, 0, 10, 600))).toBe(
      "servers 1/4 (0 failed, 3 in flight) · drives 10/10 (1 failed, 0 in flight) · 10m00s",
    );
  });

  it.each([
    [42, "42s"],
    [185, "3m05s"],
    [3720, "1h02m"],
  ])("formats %i s as %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
