import type { EmulatorClock } from "../clock";
import { type Input, strList } from "../protocol/input";
import type { ServiceName } from "../routing";
import type { ParsedFaultPlan, RequestFaultKind, TriggerAction } from "./plan";
import { FAULT_KINDS } from "./plan";
import { uniform } from "./random";

export type FaultKind = RequestFaultKind | "snapshotError" | "copyError" | "kmsKeyMissing" | "trigger";

export interface FaultEvent {
  kind: FaultKind;
  region: string;
  /** The call the fault hit, or that fired the trigger. */
  action?: string;
  /** The resource concerned (volume, snapshot, key) when there is one. */
  resource?: string;
  detail?: string;
  /** The emulator's clock at the time. */
  at: Date;
}

export interface FaultStats {
  injected: number;
  byKind: Record<FaultKind, number>;
  /** region → action → faults injected into calls of that action (request faults only). */
  byRegion: Record<string, Record<string, number>>;
  /** Every fault in order, including triggers that had nothing to act on (their detail says skipped). */
  events: FaultEvent[];
}

export interface CallInfo {
  service: ServiceName | undefined;
  region: string;
  action: string;
  input: Input;
}

/** A trigger's action, due now; the caller runs it and records the outcome. */
export interface FiredAction {
  action: TriggerAction;
  label: string;
}

export type RequestFault =
  | { kind: "throttle" | "error" | "resourceLimit" }
  | { kind: "timeout"; holdMs: number; reset: boolean; applied: boolean };

const RESOURCE_KEYS = [
  "VolumeId",
  "SnapshotId",
  "SourceSnapshotId",
  "InstanceId",
  "ImageId",
  "ResourceId",
  "TopicArn",
];

/** The resource ids a call names, single (`VolumeId=`) or listed (`InstanceId.1=`). */
export function resourceIds(input: Input): string[] {
  return RESOURCE_KEYS.flatMap((k) => {
    const v = input[k];
    if (typeof v === "string") return [v];
    return v !== null && typeof v === "object" ? strList(input, k) : [];
  });
}

/** Whether `tags` carry the `Key=Value` of a selector. */
export function hasTag(tags: Map<string, string>, selector: string): boolean {
  const at = selector.indexOf("=");
  return tags.get(selector.slice(0, at)) === selector.slice(at + 1);
}

const matchesOne = (filter: string | string[] | undefined, value: string) =>
  filter === undefined ||
  filter === "*" ||
  (Array.isArray(filter) ? filter.includes(value) : filter === value);

export function emptyFaultStats(): FaultStats {
  return { injected: 0, byKind: emptyByKind(), byRegion: {}, events: [] };
}

function emptyByKind(): Record<FaultKind, number> {
  return {
    throttle: 0,
    error: 0,
    resourceLimit: 0,
    timeout: 0,
    snapshotError: 0,
    copyError: 0,
    kmsKeyMissing: 0,
    trigger: 0,
  };
}

/** Decides, from a parsed plan and its seed, which calls fail and how, and counts what it injected. */
export class FaultInjector {
  private readonly seed: number | string;
  private readonly ruleCalls = new Map<string, number>();
  private readonly ruleFaults = new Map<number, number>();
  private readonly triggerCalls = new Map<number, number>();
  private readonly fired = new Set<number>();
  private readonly ordinals = new Map<string, number>();
  private readonly counts: FaultStats = emptyFaultStats();

  constructor(
    readonly plan: ParsedFaultPlan,
    private readonly clock: EmulatorClock,
  ) {
    this.seed = plan.seed ?? 0;
  }

  /** The fault to inject into this call, if any. Every matching rule counts the call. */
  decide(call: CallInfo): RequestFault | undefined {
    const ids = resourceIds(call.input);
    let chosen: RequestFaultKind | undefined;
    let ordinal = "";
    (this.plan.rules ?? []).forEach((rule, index) => {
      if (!matchesOne(rule.service, call.service ?? "") || !matchesOne(rule.action, call.action)) return;
      if (!matchesOne(rule.region, call.region)) return;
      if (rule.resourceId !== undefined && !ids.includes(rule.resourceId)) return;
      const n = this.next(this.ruleCalls, `${index}|${call.region}|${call.action}`);
      if (chosen !== undefined) return;
      if (rule.maxFaults !== undefined && (this.ruleFaults.get(index) ?? 0) >= rule.maxFaults) return;
      let kind: RequestFaultKind | undefined;
      if (rule.calls !== undefined) {
        if (rule.calls.includes(n)) kind = rule.kind;
      } else {
        let u = uniform(this.seed, "rule", index, call.region, call.action, n);
        for (const k of FAULT_KINDS) {
          const r = rule[k] ?? 0;
          if (u < r) {
            kind = k;
            break;
          }
          u -= r;
        }
      }
      // ResourceLimitExceeded is an EC2 error; other services have no such code.
      if (kind === "resourceLimit" && call.service !== "ec2") kind = undefined;
      if (kind === undefined) return;
      chosen = kind;
      ordinal = `${index}|${n}`;
      this.ruleFaults.set(index, (this.ruleFaults.get(index) ?? 0) + 1);
    });
    if (chosen === undefined) return undefined;
    this.record(chosen, call.region, { action: call.action, ...(ids[0] ? { resource: ids[0] } : {}) });
    const counted = this.counts.byRegion[call.region] ?? {};
    counted[call.action] = (counted[call.action] ?? 0) + 1;
    this.counts.byRegion[call.region] = counted;
    if (chosen !== "timeout") return { kind: chosen };
    const t = this.plan.timeout ?? {};
    const applied =
      typeof t.applied === "number"
        ? uniform(this.seed, "applied", call.region, call.action, ordinal) < t.applied
        : (t.applied ?? false);
    return { kind: "timeout", holdMs: t.holdMs ?? 30_000, reset: t.reset ?? false, applied };
  }

  /**
   * A planned `error` end for a new snapshot of the volume: its state message, else undefined.
   * The draw is keyed by the region's snapshot ordinal, not the volume id: ids are random per run.
   */
  snapshotFailure(region: string, volumeId: string, tags: Map<string, string>): string | undefined {
    const s = this.plan.snapshots;
    if (!s) return undefined;
    const n = this.next(this.ordinals, `snapshot|${region}`);
    const listed =
      (s.errorVolumeIds?.includes(volumeId) ?? false) ||
      (s.errorVolumeTags ?? []).some((selector) => hasTag(tags, selector));
    if (!listed && !(uniform(this.seed, "snapshot", region, n) < (s.errorRate ?? 0))) return undefined;
    this.record("snapshotError", region, { action: "CreateSnapshot", resource: volumeId });
    return `Snapshot failed (injected by the fault plan for volume ${volumeId})`;
  }

  /** A planned `error` end for a new copy into `region`: its state message, else undefined. */
  copyFailure(region: string, sourceSnapshotId: string): string | undefined {
    const rate = this.plan.snapshots?.copyErrorRate ?? 0;
    if (rate === 0) return undefined;
    const n = this.next(this.ordinals, `copy|${region}`);
    if (!(uniform(this.seed, "copy", region, n) < rate)) return undefined;
    this.record("copyError", region, { action: "CopySnapshot", resource: sourceSnapshotId });
    return `Snapshot copy failed (injected by the fault plan for source ${sourceSnapshotId})`;
  }

  /** Time triggers due now; each fires once. Called before a request is handled. */
  dueAt(): FiredAction[] {
    const now = this.clock.nowMs();
    return this.fire((t) => t.at !== undefined && Date.parse(t.at) <= now, "clock");
  }

  /** Call-count triggers this call completes; each fires once. Called after the call was handled. */
  dueAfter(call: CallInfo): FiredAction[] {
    const ids = resourceIds(call.input);
    return this.fire((t, index) => {
      const a = t.after;
      if (!a || a.action !== call.action || !matchesOne(a.service, call.service ?? "")) return false;
      if (!matchesOne(a.region, call.region)) return false;
      if (a.resourceId !== undefined && !ids.includes(a.resourceId)) return false;
      return this.next(this.triggerCalls, index) >= (a.count ?? 1);
    }, `${call.region}/${call.action}`);
  }

  /** Logs a fault in `events`; counts it unless it was `skipped` (a trigger with nothing to act on). */
  record(
    kind: FaultKind,
    region: string,
    about: { action?: string; resource?: string; detail?: string } = {},
    skipped = false,
  ): void {
    if (!skipped) {
      this.counts.injected++;
      this.counts.byKind[kind]++;
    }
    this.counts.events.push({ kind, region, ...about, at: this.clock.now() });
  }

  stats(): FaultStats {
    return structuredClone(this.counts);
  }

  private fire(
    due: (t: NonNullable<ParsedFaultPlan["triggers"]>[number], index: number) => boolean,
    cause: string,
  ): FiredAction[] {
    const actions: FiredAction[] = [];
    (this.plan.triggers ?? []).forEach((t, index) => {
      if (this.fired.has(index) || !due(t, index)) return;
      this.fired.add(index);
      for (const action of Array.isArray(t.do) ? t.do : [t.do]) {
        actions.push({ action, label: `${action.type} (trigger ${index + 1}, after ${cause})` });
      }
    });
    return actions;
  }

  private next<K>(counters: Map<K, number>, key: K): number {
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    return n;
  }
}
