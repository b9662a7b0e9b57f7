import type { BucketSpec } from "./config";

/**
 * A token bucket refilled continuously from the emulator's clock, so on a `VirtualClock` it refills
 * only as simulated time passes. It starts full.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly spec: BucketSpec,
    nowMs: number,
  ) {
    this.tokens = spec.capacity;
    this.lastMs = nowMs;
  }

  available(nowMs: number): number {
    if (nowMs > this.lastMs) {
      this.tokens = Math.min(
        this.spec.capacity,
        this.tokens + ((nowMs - this.lastMs) / 1000) * this.spec.refillPerSecond,
      );
      this.lastMs = nowMs;
    }
    return this.tokens;
  }

  take(count: number): void {
    this.tokens -= count;
  }
}

/** Buckets by key (`account/region/service/bucket`), created full on first use. */
export class BucketStore {
  private readonly buckets = new Map<string, TokenBucket>();

  get(key: string, spec: BucketSpec, nowMs: number): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(spec, nowMs);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
