import type { Deps } from "../deps";
import type { DriveItem } from "../drive";
import { backoffMs, isThrottle } from "../retry";
import { type BucketName, Budgets } from "./budget";
import type { DriveProgress, RunPlan, RunState } from "./state";

export interface CoordinatorOptions {
  /** Concurrent snapshot copies per destination region (AWS allows 20). */
  copyConcurrency: number;
  /** Share of each EC2 API bucket left to other tools in the account. */
  headroom: number;
  /** Seconds one invocation works before it hands back to the state machine. */
  budgetSeconds: number;
  /** Attempts per operation and drive before a transient error fails the drive. */
  maxAttempts: number;
  /** Shortest and longest pause between two rounds of work. */
  minWakeSeconds: number;
  maxWakeSeconds: number;
  /** A snapshot or copy still pending after this long fails its drive. */
  maxPendingSeconds: number;
  namespace: string;
}

export const DEFAULT_COORDINATOR_OPTIONS: Omit<CoordinatorOptions, "namespace"> = {
  copyConcurrency: 20,
  headroom: 0.1,
  budgetSeconds: 600,
  maxAttempts: 8,
  minWakeSeconds: 20,
  maxWakeSeconds: 300,
  maxPendingSeconds: 24 * 3600,
};

/** What one coordinator invocation works with: the plan, the progress, budgets, counters. */
export class RunContext {
  readonly budgets: Budgets;
  readonly counters = { throttled: 0, apiCalls: 0 };

  constructor(
    readonly plan: RunPlan,
    readonly state: RunState,
    readonly options: CoordinatorOptions,
    readonly deps: Deps,
  ) {
    this.budgets = new Budgets(state.budgets, options.headroom);
  }

  now(): number {
    return this.deps.clock.now().getTime();
  }

  item(index: number): DriveItem {
    return this.plan.drives[index] as DriveItem;
  }

  /** Indexes of drives in one of the phases, ready to act on now (no backoff pending). */
  ready(phases: DriveProgress["phase"][], now = this.now()): number[] {
    const result: number[] = [];
    this.state.drives.forEach((d, i) => {
      if (phases.includes(d.phase) && !(d.notBefore !== undefined && d.notBefore > now)) result.push(i);
    });
    return result;
  }

  take(bucket: BucketName, region: string): boolean {
    return this.budgets.take(bucket, region, this.now());
  }

  /** A transient error on one drive: back off, or fail the drive once attempts run out. */
  backOff(index: number, error: unknown, what: string): void {
    const drive = this.state.drives[index] as DriveProgress;
    if (isThrottle(error)) this.counters.throttled += 1;
    if (waitsForCapacity(error) || isThrottle(error)) {
      // The copy slots, the volume's pending snapshots or the API bucket are held by another run
      // or tool: they free up as those complete or refill, so this waits its turn (jittered)
      // instead of using up its attempts. The run's own timeout bounds the wait.
      drive.notBefore = this.now() + backoffMs(4, { baseMs: 2000, maxMs: 120_000 });
      return;
    }
    drive.attempts += 1;
    if (drive.attempts >= this.options.maxAttempts) {
      this.fail(index, `${what} kept failing after ${drive.attempts} attempts: ${describe(error)}`);
      return;
    }
    drive.notBefore = this.now() + backoffMs(drive.attempts, { baseMs: 2000, maxMs: 120_000 });
  }

  fail(index: number, reason: string): void {
    const drive = this.state.drives[index] as DriveProgress;
    drive.phase = "failed";
    drive.reason = reason;
    delete drive.nextCheckAt;
    delete drive.notBefore;
    const item = this.item(index);
    this.deps.log.error("drive backup failed", {
      instanceId: item.instanceId,
      volumeId: item.volumeId,
      device: item.device,
      reason,
    });
  }

  /** Moves a drive to its next phase, resetting the per-operation retry state. */
  advance(index: number, phase: DriveProgress["phase"], changes: Partial<DriveProgress> = {}): void {
    const drive = this.state.drives[index] as DriveProgress;
    Object.assign(drive, changes, { phase, attempts: 0 });
    delete drive.notBefore;
  }
}

/** AWS's capacity limits: a wait for a slot, not a fault. */
const CAPACITY_ERRORS = new Set(["ResourceLimitExceeded", "ConcurrentSnapshotLimitExceeded"]);
const waitsForCapacity = (error: unknown) => CAPACITY_ERRORS.has((error as { name?: string })?.name ?? "");

export function describe(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e?.name ?? "Error"}: ${e?.message ?? String(error)}`;
}

export function average(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const recent = values.slice(-50);
  return recent.reduce((a, b) => a + b, 0) / recent.length;
}
