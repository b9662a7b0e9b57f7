import type { EmulatorClock } from "../clock";
import { type Input, num, objList, str, strList } from "../protocol/input";
import type { ServiceName } from "../routing";
import { throttlingError } from "../service-errors";
import { BucketStore } from "./buckets";
import type { BucketSpec, QuotaConfig } from "./config";

export type { BucketSpec, Ec2ThrottlingConfig, QuotaConfig, QuotaOptions } from "./config";
export { defaultQuotaConfig, resolveQuotaConfig } from "./config";

export interface ActionQuotaStats {
  /** Calls refused because a token bucket was empty. */
  throttled: number;
  /** Calls refused by an EBS limit (ConcurrentSnapshotLimitExceeded, ...). */
  limitErrors: number;
  /** The limit errors by code. */
  codes: Record<string, number>;
}

/** Calls of one service refused by its quotas. */
export interface ServiceQuotaStats {
  /** Refused because a token bucket was empty. */
  throttled: number;
  /** Refused by an EBS limit (EC2 only). */
  limitErrors: number;
}

export interface QuotaStats {
  throttled: number;
  limitErrors: number;
  /** service → counts, e.g. the EC2 calls refused apart from CloudWatch's and SNS's. */
  byService: Partial<Record<ServiceName, ServiceQuotaStats>>;
  /** region → action → counts. */
  byRegion: Record<string, Record<string, ActionQuotaStats>>;
}

interface Draw {
  key: string;
  spec: BucketSpec;
  tokens: number;
}

const ID_LISTS = ["InstanceId", "VolumeId", "SnapshotId"];

/** Token buckets per account, region and action, and the counts behind `Emulator.quotaStats()`. */
export class Quotas {
  private readonly buckets = new BucketStore();
  private readonly counts: QuotaStats = { throttled: 0, limitErrors: 0, byService: {}, byRegion: {} };

  constructor(
    readonly config: QuotaConfig,
    private readonly clock: EmulatorClock,
    private readonly accountId: string,
  ) {}

  /** Takes the call's tokens, or throws the service's throttling error and takes none. */
  admit(service: ServiceName | undefined, region: string, action: string, input: Input): void {
    if (!this.config.throttling || service === undefined) return;
    const draws = this.draws(service, action, input).map((d) => ({
      ...d,
      key: `${this.accountId}/${region}/${service}/${d.key}`,
    }));
    const now = this.clock.nowMs();
    const buckets = draws.map((d) => ({ bucket: this.buckets.get(d.key, d.spec, now), tokens: d.tokens }));
    // A tiny tolerance: refills are computed in floating point.
    if (buckets.some((b) => b.bucket.available(now) + 1e-9 < b.tokens)) {
      this.entry(region, action).throttled++;
      this.service(service).throttled++;
      this.counts.throttled++;
      throw throttlingError(service);
    }
    for (const b of buckets) b.bucket.take(b.tokens);
  }

  /** An EBS limit error (EBS limits belong to EC2's API). */
  recordLimit(region: string, action: string, code: string): void {
    const e = this.entry(region, action);
    e.limitErrors++;
    e.codes[code] = (e.codes[code] ?? 0) + 1;
    this.service("ec2").limitErrors++;
    this.counts.limitErrors++;
  }

  stats(): QuotaStats {
    return structuredClone(this.counts);
  }

  private service(service: ServiceName): ServiceQuotaStats {
    const entry = this.counts.byService[service] ?? { throttled: 0, limitErrors: 0 };
    this.counts.byService[service] = entry;
    return entry;
  }

  private entry(region: string, action: string): ActionQuotaStats {
    const byAction = this.counts.byRegion[region] ?? {};
    this.counts.byRegion[region] = byAction;
    const entry = byAction[action] ?? { throttled: 0, limitErrors: 0, codes: {} };
    byAction[action] = entry;
    return entry;
  }

  private draws(service: ServiceName, action: string, input: Input): Draw[] {
    if (service === "cloudwatch" || service === "sns" || service === "ssm") {
      const spec = this.config[service][action];
      return spec ? [{ key: action, spec, tokens: 1 }] : [];
    }
    const ec2 = this.config.ec2;
    const draws: Draw[] = [];
    const own = ec2.actions[action];
    if (own) draws.push({ key: action, spec: own, tokens: 1 });
    else if (!/^(Describe|List|Get|Search)/.test(action))
      draws.push({ key: action, spec: ec2.mutating, tokens: 1 });
    else if (ec2.unfilteredActions.includes(action) && !this.filteredOrPaged(input))
      draws.push({ key: `${action}#unfiltered`, spec: ec2.unfiltered, tokens: 1 });
    else draws.push({ key: action, spec: ec2.nonMutating, tokens: 1 });
    const resources = ec2.resources[action];
    if (resources) {
      const count =
        action === "RunInstances" ? (num(input, "MaxCount") ?? 1) : strList(input, "InstanceId").length;
      draws.push({ key: `${action}#resources`, spec: resources, tokens: Math.max(1, count) });
    }
    return draws;
  }

  private filteredOrPaged(input: Input): boolean {
    if (objList(input, "Filter").length > 0) return true;
    if (str(input, "MaxResults") !== undefined || str(input, "NextToken") !== undefined) return true;
    return this.config.ec2.idsCountAsFilter && ID_LISTS.some((k) => strList(input, k).length > 0);
  }
}
