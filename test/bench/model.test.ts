import {
  cloudWatchApiCost,
  customMetricCostPerMonth,
  lambdaCost,
  metricMonths,
  monthlyOrchestrationCost,
  stepFunctionsCost,
  tieredMetricCost,
} from "../../bench/model";

/**
 * The benchmark's cost model, against prices in ../shared/aws-limits.md ("Prices (us-east-1)").
 * Every expected value is worked out by hand here, not by the functions under test.
 */
describe("custom metrics", () => {
  it("prorates a metric sent once a day to 30 of 730 hours: 30,000 per-drive metrics cost $369.86 a month", () => {
    // 30,000 metrics × 30 h / 730 h = 1,232.8767 metric-months, all in the first tier at $0.30.
    const months = (30_000 * 30) / 730;
    expect(metricMonths(30_000, 30)).toBeCloseTo(1232.8767, 4);
    expect(customMetricCostPerMonth([{ metrics: 30_000, hoursSentPerMonth: 30 }])).toBeCloseTo(
      months * 0.3,
      6,
    );
    expect(customMetricCostPerMonth([{ metrics: 30_000, hoursSentPerMonth: 30 }])).toBeCloseTo(369.86, 2);
  });

  it("does not count more hours than a month has", () => {
    expect(metricMonths(10, 1000)).toBe(10);
  });

  it("prices metric-months by tier: $0.30 for the first 10,000, $0.10 for the next 240,000, $0.05 for the next 750,000, $0.02 above", () => {
    expect(tieredMetricCost(0)).toBe(0);
    expect(tieredMetricCost(10_000)).toBeCloseTo(3_000, 6);
    // 10,000 × 0.30 + 2,000 × 0.10
    expect(tieredMetricCost(12_000)).toBeCloseTo(3_000 + 200, 6);
    // 10,000 × 0.30 + 240,000 × 0.10 + 50,000 × 0.05
    expect(tieredMetricCost(300_000)).toBeCloseTo(3_000 + 24_000 + 2_500, 6);
    // 10,000 × 0.30 + 240,000 × 0.10 + 750,000 × 0.05 + 200,000 × 0.02
    expect(tieredMetricCost(1_200_000)).toBeCloseTo(3_000 + 24_000 + 37_500 + 4_000, 6);
  });

  it("tiers the account's metric-months together, after prorating each group", () => {
    // 300,000 metrics every hour (300,000 metric-months) + 73,000 metrics sent daily (3,000):
    // 303,000 metric-months = 10,000 × 0.30 + 240,000 × 0.10 + 53,000 × 0.05
    const cost = customMetricCostPerMonth([
      { metrics: 300_000, hoursSentPerMonth: 730 },
      { metrics: 73_000, hoursSentPerMonth: 30 },
    ]);
    expect(cost).toBeCloseTo(3_000 + 24_000 + 2_650, 6);
  });
});

describe("orchestration prices", () => {
  it("Lambda at the arm64 price: $0.20 per million requests and $0.0000133334 per GB-s", () => {
    // 1,000,000 requests of 1 s at 512 MB: 500,000 GB-s
    expect(lambdaCost(1_000_000, 500_000)).toBeCloseTo(0.2 + 500_000 * 0.0000133334, 9);
    expect(lambdaCost(1_000_000, 500_000)).toBeCloseTo(6.8667, 4);
  });

  it("Step Functions Standard at $0.025 per 1,000 transitions, CloudWatch API at $0.01 per 1,000 requests", () => {
    expect(stepFunctionsCost(80_000)).toBeCloseTo(2, 9);
    expect(cloudWatchApiCost(31)).toBeCloseTo(0.00031, 9);
  });

  it("sums a daily run's costs over 30 days", () => {
    // 100,000 transitions ($2.50) + 80,000 invocations ($0.016) + 10,000 GB-s ($0.133334)
    // + 100 CloudWatch requests ($0.001) = $2.650334 a day; × 30 = $79.51002
    const cost = monthlyOrchestrationCost({
      transitions: 100_000,
      lambdaInvocations: 80_000,
      lambdaGbSeconds: 10_000,
      cloudWatchRequests: 100,
    });
    expect(cost).toBeCloseTo(79.51002, 6);
  });
});
