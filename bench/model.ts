/**
 * Prices, durations and the lower bound of a run, from ../shared/aws-limits.md.
 */
export const PRICES = {
  /** Step Functions Standard, per state transition. */
  transition: 0.025 / 1000,
  /** Lambda, per request and per GB-second (x86). */
  lambdaRequest: 0.2 / 1_000_000,
  lambdaGbSecond: 0.0000166667,
  /** CloudWatch API requests (PutMetricData), per request. */
  cloudWatchRequest: 0.01 / 1000,
  /** CloudWatch custom metric, per metric-month (first 10,000). */
  customMetricMonth: 0.3,
};

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

export interface CostInputs {
  transitions: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  cloudWatchRequests: number;
}

/** Orchestration cost of a daily schedule over 30 days. */
export function monthlyOrchestrationCost(daily: CostInputs): number {
  const perDay =
    daily.transitions * PRICES.transition +
    daily.lambdaInvocations * PRICES.lambdaRequest +
    daily.lambdaGbSeconds * PRICES.lambdaGbSecond +
    daily.cloudWatchRequests * PRICES.cloudWatchRequest;
  return perDay * 30;
}

/** Lambda memory per function in GB, as serverless.yml configures it. */
export const LAMBDA_MEMORY_GB: Record<string, number> = { plan: 1, coordinate: 0.5, summarize: 0.5 };
