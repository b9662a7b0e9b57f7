/**
 * Prices, durations and the lower bound of a run, from ../shared/aws-limits.md ("Prices
 * (us-east-1)"; Lambda's arm64 price and the CloudWatch API price are from secondary sources there).
 */
export const PRICES = {
  /** Step Functions Standard, per state transition ($0.025 per 1,000; retries count). */
  transition: 0.025 / 1000,
  /** Lambda, per request ($0.20 per million). */
  lambdaRequest: 0.2 / 1_000_000,
  /** Lambda on arm64 (serverless.yml: `architecture: arm64`), per GB-second. */
  lambdaGbSecondArm64: 0.0000133334,
  /** CloudWatch API requests (PutMetricData), per request ($0.01 per 1,000). */
  cloudWatchRequest: 0.01 / 1000,
};

/**
 * CloudWatch custom metrics, per metric-month, by tier: each tier's price applies to the
 * metric-months that fall in it (the first 10,000, the next 240,000, the next 750,000, the rest).
 */
export const CUSTOM_METRIC_TIERS: readonly { upTo: number; perMetricMonth: number }[] = [
  { upTo: 10_000, perMetricMonth: 0.3 },
  { upTo: 250_000, perMetricMonth: 0.1 },
  { upTo: 1_000_000, perMetricMonth: 0.05 },
  { upTo: Number.POSITIVE_INFINITY, perMetricMonth: 0.02 },
];

/** CloudWatch meters custom metrics by the hour: a month is 730 hours. */
export const HOURS_PER_MONTH = 730;

/** Days of a daily schedule counted in a month (aws-limits.md: "about 30 of 730 hours"). */
export const DAYS_PER_MONTH = 30;

/** EC2 rates that bound a run (aws-limits.md, "EC2 API throttling", "EBS snapshot quotas"). */
export const LIMITS = {
  createPerSecond: 5,
  createBurst: 100,
  deletePerSecond: 5,
  deleteBurst: 100,
  copyConcurrency: 20,
};

/** The benchmark's simulated durations: incremental daily snapshots and copies. */
export const snapshotSeconds = (sizeGiB: number) => 30 + sizeGiB;
export const copySeconds = (sizeGiB: number) => 30 + sizeGiB / 2;

/**
 * No schedule can finish sooner than the largest of: creating every snapshot at 5/s (after the
 * burst) and then the shortest snapshot and copy; for any moment t, t plus the copies of every
 * snapshot that cannot be completed before t, spread perfectly over the 20 copy slots (each
 * snapshot taken at the very start at best); the longest single snapshot-plus-copy chain;
 * deleting at 5/s once the first snapshot is done.
 */
export function lowerBoundSeconds(sizes: number[], deletesPerRegion: number): number {
  if (sizes.length === 0) return 0;
  const snaps = sizes.map(snapshotSeconds);
  const copies = sizes.map(copySeconds);
  const minSnap = Math.min(...snaps);
  const minCopy = Math.min(...copies);
  const createFloor =
    Math.max(0, sizes.length - LIMITS.createBurst) / LIMITS.createPerSecond + minSnap + minCopy;
  let copyFloor = 0;
  for (const t of new Set(snaps)) {
    const after = copies.filter((_, i) => (snaps[i] ?? 0) >= t).reduce((a, b) => a + b, 0);
    copyFloor = Math.max(copyFloor, t + after / LIMITS.copyConcurrency);
  }
  const chain = Math.max(...sizes.map((_, i) => (snaps[i] ?? 0) + (copies[i] ?? 0)));
  const deleteFloor = minSnap + Math.max(0, deletesPerRegion - LIMITS.deleteBurst) / LIMITS.deletePerSecond;
  return Math.max(createFloor, copyFloor, chain, deleteFloor);
}

/** Step Functions Standard cost of `transitions` state transitions. */
export function stepFunctionsCost(transitions: number): number {
  return transitions * PRICES.transition;
}

/** Lambda cost on arm64: requests plus GB-seconds of duration. */
export function lambdaCost(requests: number, gbSeconds: number): number {
  return requests * PRICES.lambdaRequest + gbSeconds * PRICES.lambdaGbSecondArm64;
}

/** CloudWatch API cost of `requests` requests (PutMetricData and the like). */
export function cloudWatchApiCost(requests: number): number {
  return requests * PRICES.cloudWatchRequest;
}

/**
 * Metric-months of `metrics` custom metrics that each receive data in `hoursSentPerMonth` distinct
 * hours a month: CloudWatch prorates a metric by the hour and meters only the hours it is sent in,
 * so a metric sent once a day counts about 30/730 of a metric-month.
 */
export function metricMonths(metrics: number, hoursSentPerMonth: number): number {
  return (metrics * Math.min(hoursSentPerMonth, HOURS_PER_MONTH)) / HOURS_PER_MONTH;
}

/** The tiered price of `months` metric-months (CUSTOM_METRIC_TIERS). */
export function tieredMetricCost(months: number): number {
  let cost = 0;
  let from = 0;
  for (const tier of CUSTOM_METRIC_TIERS) {
    if (months <= from) break;
    cost += (Math.min(months, tier.upTo) - from) * tier.perMetricMonth;
    from = tier.upTo;
  }
  return cost;
}

/** Groups of custom metrics by how many hours a month each metric is sent in. */
export interface MetricGroup {
  metrics: number;
  hoursSentPerMonth: number;
}

/** The monthly cost of an account's custom metrics: prorated by group, then tiered together. */
export function customMetricCostPerMonth(groups: MetricGroup[]): number {
  const months = groups.reduce((sum, g) => sum + metricMonths(g.metrics, g.hoursSentPerMonth), 0);
  return tieredMetricCost(months);
}

/** What one daily run uses, for the orchestration cost. */
export interface CostInputs {
  transitions: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  cloudWatchRequests: number;
}

/**
 * Orchestration cost of a daily schedule over DAYS_PER_MONTH days: Step Functions Standard,
 * Lambda (arm64) and CloudWatch API requests. Free tiers are not subtracted.
 */
export function monthlyOrchestrationCost(daily: CostInputs, days = DAYS_PER_MONTH): number {
  const perDay =
    stepFunctionsCost(daily.transitions) +
    lambdaCost(daily.lambdaInvocations, daily.lambdaGbSeconds) +
    cloudWatchApiCost(daily.cloudWatchRequests);
  return perDay * days;
}

/** Lambda memory per function in GB, as serverless.yml configures it. */
export const LAMBDA_MEMORY_GB: Record<string, number> = { plan: 1, step: 0.25, report: 0.25, summarize: 1 };
