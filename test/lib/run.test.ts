import { backoffMs, isTransient } from "../../lib/retry";
import { Budgets } from "../../lib/run/budget";
import { predictCompletion } from "../../lib/run/checks";

describe("Budgets (client-side EC2 token buckets)", () => {
  it("allows CreateSnapshot's burst less the headroom, then refills at the reduced rate", () => {
    const budgets = new Budgets({}, 0.1);
    let granted = 0;
    while (budgets.take("createSnapshot", "us-east-1", 0)) granted += 1;
    expect(granted).toBe(90);
    expect(budgets.msUntil("createSnapshot", "us-east-1", 0)).toBe(Math.ceil((1 / 4.5) * 1000));
    expect(budgets.take("createSnapshot", "us-east-1", 1000)).toBe(true);
  });

  it("keeps a bucket per region", () => {
    const budgets = new Budgets({}, 0);
    while (budgets.take("copySnapshot", "us-west-2", 0));
    expect(budgets.take("copySnapshot", "eu-west-1", 0)).toBe(true);
  });

  it("carries its state from one invocation to the next", () => {
    const state = {};
    const first = new Budgets(state, 0);
    while (first.take("deleteSnapshot", "us-east-1", 0));
    expect(new Budgets(state, 0).take("deleteSnapshot", "us-east-1", 0)).toBe(false);
  });
});

describe("predictCompletion", () => {
  const options = { minWakeSeconds: 10, maxWakeSeconds: 300 };

  it("extrapolates from AWS's progress", () => {
    // 25% after 60 s: done at 240 s.
    expect(predictCompletion(0, 60_000, "25%", undefined, options)).toBe(240_000);
  });

  it("falls back to the durations seen in this run when progress says nothing", () => {
    expect(predictCompletion(0, 20_000, "0%", 90, options)).toBe(90_000);
  });

  it("never looks again sooner than the shortest pause nor later than the longest", () => {
    expect(predictCompletion(0, 100_000, "99%", undefined, options)).toBe(110_000);
    expect(predictCompletion(0, 10_000, "1%", 10_000, options)).toBe(310_000);
  });
});

describe("retry classification", () => {
  it.each(["RequestLimitExceeded", "ThrottlingException", "InternalError", "ServiceUnavailable"])(
    "retries %s",
    (name) => {
      expect(isTransient({ name })).toBe(true);
    },
  );

  it.each(["InvalidVolume.NotFound", "UnauthorizedOperation", "InvalidSnapshot.InUse"])(
    "does not retry %s",
    (name) => {
      expect(isTransient({ name, $metadata: { httpStatusCode: 400 } })).toBe(false);
    },
  );

  it("backs off with full jitter under an exponential cap", () => {
    expect(backoffMs(3, { baseMs: 100, random: () => 1 })).toBe(800);
    expect(backoffMs(30, { baseMs: 100, maxMs: 5000, random: () => 1 })).toBe(5000);
    expect(backoffMs(3, { random: () => 0 })).toBe(0);
  });
});
