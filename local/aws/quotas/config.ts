import type { EbsLimits } from "../ec2/policy";

/** A token bucket: `capacity` tokens, refilled at `refillPerSecond` of the emulator's clock. */
export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

/**
 * EC2 API throttling: one request bucket per account, region and action, sized by the action's
 * category; some actions also draw one resource token per instance they act on.
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
 */
export interface Ec2ThrottlingConfig {
  /** Describe and other non-mutating actions called with a filter or pagination. */
  nonMutating: BucketSpec;
  /** The smaller bucket for `unfilteredActions` called without filter and pagination. */
  unfiltered: BucketSpec;
  unfilteredActions: string[];
  /**
   * Whether explicit resource ids (`InstanceId.N`, `VolumeId.N`, `SnapshotId.N`) count as a filter.
   * AWS's page names only filters and pagination; a call for known ids is as cheap as a filtered one,
   * so by default it draws from the larger bucket.
   */
  idsCountAsFilter: boolean;
  /** Every mutating action without its own entry in `actions`. */
  mutating: BucketSpec;
  /** Actions with their own bucket ("uncategorized actions" on AWS's page). */
  actions: Record<string, BucketSpec>;
  /** Resource-token buckets, one token per instance acted on. */
  resources: Record<string, BucketSpec>;
}

export interface QuotaConfig {
  /** Token buckets; `false` turns API throttling off while keeping the EBS limits. */
  throttling: boolean;
  ec2: Ec2ThrottlingConfig;
  /** Per-action buckets for CloudWatch; actions not listed are not throttled. */
  cloudwatch: Record<string, BucketSpec>;
  /** Per-action buckets for SNS; actions not listed are not throttled. */
  sns: Record<string, BucketSpec>;
  /** Per-action buckets for SSM; actions not listed are not throttled (none by default: AWS publishes no per-action rates for Run Command). */
  ssm: Record<string, BucketSpec>;
  /** EBS snapshot limits; `false` turns them off while keeping throttling. */
  ebs: EbsLimits | false;
}

type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | undefined }
    : T;

/** What `EmulatorOptions.quotas` accepts: any part of `QuotaConfig`; the rest keeps its default. */
export type QuotaOptions = DeepPartial<QuotaConfig>;

const bucket = (capacity: number, refillPerSecond: number): BucketSpec => ({ capacity, refillPerSecond });

/**
 * Defaults: shared/aws-limits.md, which quotes
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html; the entries marked (page)
 * are actions this emulator implements that the page lists with their own bucket and aws-limits.md
 * does not mention. CloudWatch PutMetricData: about 500 requests/s (aws-limits.md, secondary source).
 */
export function defaultQuotaConfig(): QuotaConfig {
  return {
    throttling: true,
    ec2: {
      nonMutating: bucket(100, 20),
      unfiltered: bucket(50, 10),
      unfilteredActions: [
        "DescribeInstances",
        "DescribeInstanceStatus",
        "DescribeNetworkInterfaces",
        "DescribeSecurityGroups",
        "DescribeSnapshots",
        "DescribeSpotInstanceRequests",
        "DescribeVolumes",
      ],
      idsCountAsFilter: true,
      mutating: bucket(50, 5),
      actions: {
        CreateSnapshot: bucket(100, 5),
        CreateSnapshots: bucket(100, 5),
        DeleteSnapshot: bucket(100, 5),
        CreateVolume: bucket(100, 5),
        CreateTags: bucket(100, 10),
        DeleteTags: bucket(100, 10),
        DeleteVolume: bucket(100, 5), // (page)
        DeregisterImage: bucket(100, 5), // (page)
        RunInstances: bucket(5, 2), // (page)
        StartInstances: bucket(5, 2), // (page)
        TerminateInstances: bucket(100, 5), // (page)
      },
      resources: {
        RunInstances: bucket(1000, 2), // (page)
        TerminateInstances: bucket(1000, 20), // (page)
        StartInstances: bucket(1000, 2),
        StopInstances: bucket(1000, 20),
      },
    },
    cloudwatch: { PutMetricData: bucket(500, 500) },
    sns: {},
    ssm: {},
    ebs: {
      pendingSnapshotsPerVolume: { default: 5, st1: 1, sc1: 1 },
      countErrorSnapshots: true,
      snapshotIntervalSeconds: 15,
      concurrentCopiesPerRegion: 20,
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

/** `undefined` or `true`: the defaults; `false`: no quotas at all; an object: the defaults, overridden. */
export function resolveQuotaConfig(options: boolean | QuotaOptions | undefined): QuotaConfig | undefined {
  if (options === false) return undefined;
  if (options === undefined || options === true) return defaultQuotaConfig();
  return merge(defaultQuotaConfig(), options) as QuotaConfig;
}
