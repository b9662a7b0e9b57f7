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
  const sleep = sleeper(deps);
  let progress = startProgress(plan);
  while (!progress.done) {
    const step = plan.steps[progress.index] as StepName;
    hooks.onStep?.(step, "start", progress);
    const started = progress;
    progress = await guarded(plan, started, () => performStep(plan, started, deps), deps);
    while (!progress.ready) {
      await sleep(progress.wait * 1000);
      const waiting = progress;
      progress = await guarded(plan, waiting, () => checkStep(plan, waiting, deps), deps);
    }
    hooks.onStep?.(step, "done", progress);
  }
  return outcome(plan, progress, deps);
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
