import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import type { Deps } from "../deps";
import { METRICS_PER_REQUEST, putMetrics } from "../metrics";
import { prune, pruneOrphans, startCopies, startSnapshots } from "./actions";
import { checkInFlight, reconcile } from "./checks";
import { type CoordinatorOptions, RunContext } from "./context";
import { recordMetrics, recordOf } from "./records";
import { initialState, isFinished, type Phase, type RunPlan, type RunState } from "./state";
import { getJson, planKey, putJson, stateKey } from "./store";

export interface CoordinateProps {
  bucket: string;
  runId: string;
  invocationId: string;
}

export interface CoordinateResult {
  done: boolean;
  /** Seconds the state machine waits before invoking the coordinator again. */
  waitSeconds: number;
  counts: Partial<Record<Phase, number>>;
  throttled: number;
}

/**
 * One invocation of the run's coordinator: it owns the account's API budgets and the 20 copy
 * slots for the whole fleet, so it can pace CreateSnapshot, CopySnapshot and DeleteSnapshot at
 * the rates AWS allows and check every snapshot in flight with a few batched DescribeSnapshots.
 * It works in rounds until its time budget is spent or the run is finished, then saves the
 * progress to S3 and tells the state machine when to call again.
 */
export async function coordinate(
  props: CoordinateProps,
  options: CoordinatorOptions,
  deps: Deps,
): Promise<CoordinateResult> {
  const plan = await getJson<RunPlan>(props.bucket, planKey(props.runId), deps);
  if (!plan)
    throw new Error(`No plan for run ${props.runId} at s3://${props.bucket}/${planKey(props.runId)}`);
  const state = (await getJson<RunState>(props.bucket, stateKey(props.runId), deps)) ?? initialState(plan);
  const crashed = state.inProgress !== null;
  state.inProgress = props.invocationId;
  state.invocations += 1;
  await putJson(props.bucket, stateKey(props.runId), state, deps);

  const ctx = new RunContext(plan, state, options, deps);
  if (crashed) await reconcile(ctx);
  // Largest volumes first: their snapshots and copies take longest, so they should not come last.
  const order = plan.drives
    .map((_, i) => i)
    .sort((a, b) => (plan.drives[b]?.sizeGiB ?? 0) - (plan.drives[a]?.sizeGiB ?? 0));
  const began = ctx.now();
  const pending: MetricDatum[] = [];
  let waitMs = 0;
  for (;;) {
    await checkInFlight(ctx, "snapshot");
    if (plan.drRegion) await checkInFlight(ctx, "copy");
    await prune(ctx);
    if (plan.drRegion) await startCopies(ctx);
    await startSnapshots(ctx, order);
    await pruneOrphans(ctx);
    collectMetrics(ctx, pending);
    if (pending.length >= METRICS_PER_REQUEST) await flush(ctx, pending);
    if (finished(ctx)) break;
    waitMs = nextWake(ctx);
    if (ctx.now() - began + waitMs > options.budgetSeconds * 1000) break;
    await deps.clock.sleep(waitMs);
    waitMs = 0;
  }
  await flush(ctx, pending);
  state.busySeconds += (ctx.now() - began) / 1000;
  state.inProgress = null;
  await putJson(props.bucket, stateKey(props.runId), state, deps);

  const counts: Partial<Record<Phase, number>> = {};
  for (const d of state.drives) counts[d.phase] = (counts[d.phase] ?? 0) + 1;
  deps.log.info("coordinator round finished", { counts, throttled: ctx.counters.throttled, waitMs });
  return {
    done: finished(ctx),
    waitSeconds: Math.ceil(waitMs / 1000),
    counts,
    throttled: ctx.counters.throttled,
  };
}

function finished(ctx: RunContext): boolean {
  return ctx.state.drives.every(isFinished) && ctx.state.orphanQueue.length === 0;
}

function collectMetrics(ctx: RunContext, pending: MetricDatum[]): void {
  const now = ctx.deps.clock.now();
  ctx.state.drives.forEach((drive, index) => {
    if (!isFinished(drive) || drive.reported) return;
    drive.reported = true;
    pending.push(...recordMetrics(recordOf(ctx.item(index), drive), drive, now));
  });
}

async function flush(ctx: RunContext, pending: MetricDatum[]): Promise<void> {
  if (pending.length === 0) return;
  const data = pending.splice(0, pending.length);
  try {
    await putMetrics(ctx.options.namespace, data, ctx.deps);
  } catch {
    // putMetrics has logged the data with the error; a metrics outage must not stop backups.
  }
}

/** The earliest moment something can be done: a check falls due, a backoff ends, a budget refills. */
function nextWake(ctx: RunContext): number {
  const now = ctx.now();
  const { minWakeSeconds, maxWakeSeconds } = ctx.options;
  let wake = now + maxWakeSeconds * 1000;
  const queued = { create: 0, copy: 0 };
  for (const drive of ctx.state.drives) {
    if (drive.nextCheckAt !== undefined) wake = Math.min(wake, drive.nextCheckAt);
    if (drive.notBefore !== undefined && !isFinished(drive)) wake = Math.min(wake, drive.notBefore);
    if (drive.phase === "queued") queued.create += 1;
    if (drive.phase === "copy-queued") queued.copy += 1;
  }
  if (queued.create > 0) {
    wake = Math.min(
      wake,
      now + ctx.budgets.msUntil("createSnapshot", ctx.plan.region, now, Math.min(queued.create, 50)),
    );
  }
  const copying = ctx.state.drives.filter((d) => d.phase === "copying").length;
  if (queued.copy > 0 && copying < ctx.options.copyConcurrency) {
    wake = Math.min(wake, now + ctx.budgets.msUntil("copySnapshot", ctx.plan.drRegion, now));
  }
  const deleting = ctx.ready(["pruning", "dr-pruning"]).length + ctx.state.orphanQueue.length;
  if (deleting > 0)
    wake = Math.min(wake, now + ctx.budgets.msUntil("deleteSnapshot", ctx.plan.region, now, 20));
  return Math.max(minWakeSeconds * 1000, wake - now);
}

export { initialState };
