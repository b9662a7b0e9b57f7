import { type RestoreDeps, sleeper } from "./deps";
import { guarded } from "./incomplete";
import { describeInstanceState } from "./instance";
import type { RestorePlan, StepName } from "./plan";
import { checkStep, type Progress, performStep, startProgress } from "./steps";

export interface RestoreOutcome {
  mode: RestorePlan["mode"];
  instanceId: string;
  device: string;
  region: string;
  /** The volume now in place (or, without --attach, the new available volume). */
  volumeId: string | null;
  /** The volume that was at the device before, kept and tagged as replaced. */
  previousVolumeId: string | null;
  snapshotId: string | null;
  attached: boolean;
  instanceState: string;
}

export interface ExecuteHooks {
  /** Called when a step starts and when it is done. */
  onStep?(step: StepName, phase: "start" | "done", progress: Progress): void;
}

/**
 * Executes a plan step by step, the way the restore state machine does: perform, then check the
 * real state after each wait (doubling, capped) until it holds or the step's time is up.
 */
export async function executePlan(
  plan: RestorePlan,
  deps: RestoreDeps,
  hooks: ExecuteHooks = {},
): Promise<RestoreOutcome> {
  let progress = startProgress(plan);
  while (!progress.done) {
    progress = await runStep(plan, progress, deps, hooks, (at, action) => guarded(plan, at, action, deps));
  }
  return outcome(plan, progress, deps);
}

/** Wraps each perform and check; a set restore explains failures itself, a one-drive restore by `guarded`. */
export type StepGuard = (progress: Progress, action: () => Promise<Progress>) => Promise<Progress>;

/** Performs the plan's current step and checks its real state until it holds; returns the next progress. */
export async function runStep(
  plan: RestorePlan,
  progress: Progress,
  deps: RestoreDeps,
  hooks: ExecuteHooks = {},
  guard: StepGuard = (_, action) => action(),
): Promise<Progress> {
  const sleep = sleeper(deps);
  const step = plan.steps[progress.index] as StepName;
  hooks.onStep?.(step, "start", progress);
  let next = await guard(progress, () => performStep(plan, progress, deps));
  while (!next.ready) {
    await sleep(next.wait * 1000);
    const waiting = next;
    next = await guard(waiting, () => checkStep(plan, waiting, deps));
  }
  hooks.onStep?.(step, "done", next);
  return next;
}

export async function outcome(
  plan: RestorePlan,
  progress: Progress,
  deps: RestoreDeps,
): Promise<RestoreOutcome> {
  return {
    mode: plan.mode,
    instanceId: plan.instance.instanceId,
    device: plan.device,
    region: plan.region,
    volumeId: progress.volumeId,
    previousVolumeId: plan.attach ? plan.currentVolumeId : null,
    snapshotId: plan.snapshot?.snapshotId ?? null,
    attached: plan.attach,
    instanceState: await describeInstanceState(plan.region, plan.instance.instanceId, deps),
  };
}
