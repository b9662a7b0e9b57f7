import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorClock } from "./clock";
import type { Ec2Service } from "./ec2";
import { KmsKeys } from "./ec2/kms";
import type { Ec2Policy } from "./ec2/policy";
import { AwsError } from "./errors";
import {
  type CallInfo,
  emptyFaultStats,
  FaultInjector,
  type FaultStats,
  type FiredAction,
  hasTag,
  type RequestFault,
} from "./faults/injector";
import { type FaultPlan, parseFaultPlan, type TriggerAction } from "./faults/plan";
import { type QuotaOptions, type QuotaStats, Quotas, resolveQuotaConfig } from "./quotas";
import type { Route } from "./routing";
import { internalError, throttlingError } from "./service-errors";

export interface PolicyOptions {
  quotas: boolean | QuotaOptions | undefined;
  faults: FaultPlan | undefined;
  kmsKeys: Record<string, string[]> | undefined;
  clock: EmulatorClock;
  accountId: string;
  /** The EC2 service, for the plan's triggers (they bypass quotas and faults). */
  ec2: () => Ec2Service;
}

/** What happens to a request before the service sees it. */
export type Admission =
  | { kind: "proceed" }
  | { kind: "fail"; error: AwsError }
  | { kind: "timeout"; fault: Extract<RequestFault, { kind: "timeout" }> };

/**
 * The emulator's quotas and fault plan in one place: the server asks it to admit each request,
 * tells it when one has been handled, and hands it the requests it must stall; the EC2 operations
 * reach it through `ec2Policy`.
 */
export class RequestPolicy {
  readonly quotas: Quotas | undefined;
  private faults: FaultInjector | undefined;
  private kms: KmsKeys;
  readonly ec2Policy: Ec2Policy;
  private readonly stalled = new Set<NodeJS.Timeout>();

  constructor(private readonly options: PolicyOptions) {
    const config = resolveQuotaConfig(options.quotas);
    this.quotas = config ? new Quotas(config, options.clock, options.accountId) : undefined;
    this.kms = new KmsKeys(options.kmsKeys);
    this.setFaults(options.faults);
    this.ec2Policy = {
      limits: config && config.ebs !== false ? config.ebs : undefined,
      limitExceeded: (region, action, code) => this.quotas?.recordLimit(region, action, code),
      kmsKeyUsable: (region, ref) => {
        const usable = this.kms.usable(region, ref);
        if (!usable && this.kms.isRemoved(region, ref))
          this.faults?.record("kmsKeyMissing", region, { resource: ref });
        return usable;
      },
      snapshotFailure: (region, volumeId, tags) => this.faults?.snapshotFailure(region, volumeId, tags),
      copyFailure: (region, sourceId) => this.faults?.copyFailure(region, sourceId),
    };
  }

  /**
   * Installs a fault plan (or none), replacing the current one with its counters and its missing
   * KMS keys. Throws on an invalid plan, naming the offending path.
   */
  setFaults(plan: FaultPlan | undefined): void {
    this.faults = plan ? new FaultInjector(parseFaultPlan(plan), this.options.clock) : undefined;
    this.kms = new KmsKeys(this.options.kmsKeys);
    for (const m of this.faults?.plan.kms?.missing ?? []) {
      if (m.keyIds === undefined) this.kms.remove(m.region);
      for (const id of m.keyIds ?? []) this.kms.remove(m.region, id);
    }
  }

  /** Planned faults first (a refused call takes no tokens), then the token buckets. */
  admit(r: Route): Admission {
    if (r.service === undefined || r.action === "") return { kind: "proceed" };
    this.runTriggers(this.faults?.dueAt() ?? []);
    const fault = this.faults?.decide(this.call(r));
    if (fault?.kind === "timeout") return { kind: "timeout", fault };
    if (fault?.kind === "throttle") return { kind: "fail", error: throttlingError(r.service) };
    if (fault?.kind === "error") return { kind: "fail", error: internalError(r.service) };
    if (fault?.kind === "resourceLimit") {
      return {
        kind: "fail",
        error: new AwsError(
          "ResourceLimitExceeded",
          "You have exceeded an Amazon EC2 resource limit (injected by the fault plan).",
        ),
      };
    }
    try {
      this.quotas?.admit(r.service, r.region, r.action, r.input);
    } catch (err) {
      return { kind: "fail", error: err as AwsError };
    }
    return { kind: "proceed" };
  }

  /** After a request was handled (or lost to a timeout): fires the call-count triggers it completes. */
  handled(r: Route): void {
    if (r.service === undefined || r.action === "") return;
    this.runTriggers(this.faults?.dueAfter(this.call(r)) ?? []);
  }

  /**
   * A timeout: the operation runs first when the plan says it was applied, then the connection is
   * held for `holdMs` of real time and closed without an answer (or closed at once with `reset`).
   * The client sees a socket timeout (if it set one) or ECONNRESET; either way no response.
   */
  stall(
    r: Route,
    fault: Extract<Admission, { kind: "timeout" }>["fault"],
    req: IncomingMessage,
    res: ServerResponse,
    apply: () => void,
  ): void {
    if (fault.applied) apply();
    this.handled(r);
    const close = () => {
      res.destroy();
      req.socket.destroy();
    };
    if (fault.reset || fault.holdMs === 0) {
      close();
      return;
    }
    const timer = setTimeout(() => {
      this.stalled.delete(timer);
      close();
    }, fault.holdMs);
    this.stalled.add(timer);
    res.once("close", () => {
      clearTimeout(timer);
      this.stalled.delete(timer);
    });
  }

  /** Drops stalled requests' timers, when the emulator stops. */
  close(): void {
    for (const t of this.stalled) clearTimeout(t);
    this.stalled.clear();
  }

  quotaStats(): QuotaStats {
    return this.quotas?.stats() ?? { throttled: 0, limitErrors: 0, byService: {}, byRegion: {} };
  }

  faultStats(): FaultStats {
    return this.faults?.stats() ?? emptyFaultStats();
  }

  private call(r: Route): CallInfo {
    return { service: r.service, region: r.region, action: r.action, input: r.input };
  }

  /**
   * Trigger actions go through the EC2 operations themselves, so they obey AWS's rules (a running
   * instance's root volume cannot be detached); one that cannot apply is recorded as skipped.
   */
  private runTriggers(fired: FiredAction[]): void {
    for (const { action: a, label } of fired) {
      if (a.type === "deleteKmsKey") {
        this.kms.remove(a.region, a.keyId);
        this.faults?.record("trigger", a.region, {
          detail: label,
          ...(a.keyId ? { resource: a.keyId } : {}),
        });
        continue;
      }
      const targets = this.targets(a);
      if (targets.length === 0) {
        this.faults?.record("trigger", a.region, { detail: `${label}: skipped, no such resource` }, true);
      }
      for (const id of targets) {
        try {
          this.runOn(a, id);
          this.faults?.record("trigger", a.region, { detail: label, resource: id });
        } catch (err) {
          const detail = `${label}: skipped, ${(err as Error).message}`;
          this.faults?.record("trigger", a.region, { detail, resource: id }, true);
        }
      }
    }
  }

  /** The ids a trigger action names, directly or by tag. */
  private targets(a: Exclude<TriggerAction, { type: "deleteKmsKey" }>): string[] {
    const region = this.options.ec2().regionState(a.region);
    if (a.type === "terminateInstance") {
      if (a.instanceId !== undefined) return [a.instanceId];
      const selector = a.instanceTag ?? "";
      return [...region.instances.values()].filter((i) => hasTag(i.tags, selector)).map((i) => i.instanceId);
    }
    if (a.volumeId !== undefined) return [a.volumeId];
    const selector = a.volumeTag ?? "";
    return [...region.volumes.values()].filter((v) => hasTag(v.tags, selector)).map((v) => v.volumeId);
  }

  private runOn(a: Exclude<TriggerAction, { type: "deleteKmsKey" }>, id: string): void {
    const ec2 = this.options.ec2();
    if (a.type === "terminateInstance") {
      ec2.handle(a.region, "TerminateInstances", { InstanceId: { 1: id } });
      return;
    }
    if (a.type === "detachVolume") {
      ec2.handle(a.region, "DetachVolume", { VolumeId: id });
      return;
    }
    try {
      ec2.handle(a.region, "DetachVolume", { VolumeId: id });
    } catch {
      // Not attached, or not detachable: DeleteVolume's own error says which.
    }
    ec2.handle(a.region, "DeleteVolume", { VolumeId: id });
  }
}
