/**
 * Client-side token buckets that mirror EC2's per-action, per-region API throttling
 * (../shared/aws-limits.md), so snapfleet paces its own calls instead of being throttled. They
 * run below AWS's rates by `headroom`, because the account's buckets are shared with every
 * other tool. Plan paces its Describe calls with them; the run's other calls keep to the
 * timetable (lib/timetable.ts), which uses the same bucket figures.
 */
export interface BucketSpec {
  capacity: number;
  perSecond: number;
}

export interface BucketState {
  tokens: number;
  at: number;
}

/** EC2 buckets by action class (aws-limits.md, "EC2 API throttling"). */
export const EC2_BUCKETS = {
  describe: { capacity: 100, perSecond: 20 },
  createSnapshot: { capacity: 100, perSecond: 5 },
  deleteSnapshot: { capacity: 100, perSecond: 5 },
  copySnapshot: { capacity: 50, perSecond: 5 },
} as const satisfies Record<string, BucketSpec>;

export type BucketName = keyof typeof EC2_BUCKETS;

export class Budgets {
  private readonly specs: Record<string, BucketSpec> = {};
  private readonly state: Record<string, BucketState> = {};

  constructor(headroom: number) {
    for (const [name, spec] of Object.entries(EC2_BUCKETS)) {
      this.specs[name] = {
        capacity: spec.capacity * (1 - headroom),
        perSecond: spec.perSecond * (1 - headroom),
      };
    }
  }

  private bucket(name: BucketName, region: string, now: number): BucketState {
    const key = `${name}:${region}`;
    const spec = this.specs[name] as BucketSpec;
    const b = this.state[key] ?? { tokens: spec.capacity, at: now };
    b.tokens = Math.min(spec.capacity, b.tokens + (Math.max(0, now - b.at) / 1000) * spec.perSecond);
    b.at = now;
    this.state[key] = b;
    return b;
  }

  /** Takes one token if there is one. */
  take(name: BucketName, region: string, now: number): boolean {
    const b = this.bucket(name, region, now);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Milliseconds until `n` tokens are available. */
  msUntil(name: BucketName, region: string, now: number, n = 1): number {
    const b = this.bucket(name, region, now);
    const spec = this.specs[name] as BucketSpec;
    const needed = Math.min(n, spec.capacity) - b.tokens;
    return needed <= 0 ? 0 : Math.ceil((needed / spec.perSecond) * 1000);
  }
}
