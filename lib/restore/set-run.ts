import type { RestoreDeps } from "./deps";
import { RestoreIncompleteError } from "./errors";
import { observeNow, restoreCommand } from "./incomplete";
import { describeInstanceState } from "./instance";
import { describeInstance, type RestorePlan, type StepName } from "./plan";
import { type ExecuteHooks, runStep } from "./run";
import type { SetRestorePlan } from "./set-plan";
import { type Progress, startProgress } from "./steps";

export interface SetOutcome {
  mode: SetRestorePlan["mode"];
  instanceId: string;
  region: string;
  drives: {
    device: string;
    /** The volume now in place (or, without --attach, the new available volume). */
    volumeId: string | null;
    previousVolumeId: string | null;
    snapshotId: string | null;
  }[];
  attached: boolean;
  instanceState: string;
}

export interface SetHooks {
  onStep?(device: string | null, step: StepName, phase: "start" | "done", progress: Progress): void;
}

/** Where a set restore is: each drive's progress, and the instance's stop/start plan. */
interface SetProgress {
  drives: Map<string, Progress>;
  swapped: Set<string>;
}

/** A set failure that says, drive by drive, what was swapped and which commands continue or roll back. */
export class SetRestoreIncompleteError extends RestoreIncompleteError {
  constructor(
    message: string,
    step: string,
    readonly continueCommands: string[],
    rollbackCommand: string | null,
    ids: { instanceId: string; region: string },
    options: { cause?: unknown },
  ) {
    super(message, step, continueCommands[0] ?? null, rollbackCommand, ids, options);
  }
}

/**
 * Executes a set plan: every volume is created first, then the instance stops once, every drive is
 * swapped, and it starts once. On a failure it stops there and explains (SetRestoreIncompleteError).
 */
export async function executeSetPlan(
  plan: SetRestorePlan,
  deps: RestoreDeps,
  hooks: SetHooks = {},
): Promise<SetOutcome> {
  const state: SetProgress = {
    drives: new Map(plan.drives.map((d) => [d.plan.device, startProgress(d.plan)])),
    swapped: new Set(),
  };
  const instancePlan = instanceStepsPlan(plan);
  let instanceProgress = startProgress(instancePlan);
  let at: { device: string | null; step: StepName } | null = null;
  try {
    for (const next of plan.steps) {
      at = next;
      if (next.device === null) {
        instanceProgress = await runStep(instancePlan, instanceProgress, deps, driveHooks(hooks, null));
        continue;
      }
      const drive = plan.drives.find((d) => d.plan.device === next.device)?.plan as RestorePlan;
      const progress = state.drives.get(next.device) as Progress;
      state.drives.set(next.device, await runStep(drive, progress, deps, driveHooks(hooks, next.device)));
      if (next.step === "attach-volume") state.swapped.add(next.device);
    }
  } catch (error) {
    throw await explainSetFailure(plan, state, at, error, deps);
  }
  return {
    mode: plan.mode,
    instanceId: plan.instance.instanceId,
    region: plan.region,
    drives: plan.drives.map(({ plan: d }) => ({
      device: d.device,
      volumeId: state.drives.get(d.device)?.volumeId ?? null,
      previousVolumeId: plan.attach ? d.currentVolumeId : null,
      snapshotId: d.snapshot?.snapshotId ?? null,
    })),
    attached: plan.attach,
    instanceState: await describeInstanceState(plan.region, plan.instance.instanceId, deps),
  };
}

/** The instance's own steps, run through the one-drive step code (which needs only the instance). */
function instanceStepsPlan(plan: SetRestorePlan): RestorePlan {
  const first = plan.drives[0]?.plan as RestorePlan;
  const steps = plan.steps.filter((s) => s.device === null).map((s) => s.step);
  return { ...first, steps };
}

function driveHooks(hooks: SetHooks, device: string | null): ExecuteHooks {
  return { onStep: (step, phase, progress) => hooks.onStep?.(device, step, phase, progress) };
}

async function explainSetFailure(
  plan: SetRestorePlan,
  state: SetProgress,
  at: { device: string | null; step: StepName } | null,
  error: unknown,
  deps: RestoreDeps,
): Promise<SetRestoreIncompleteError> {
  const cause = `${(error as Error)?.name ?? "Error"}: ${(error as Error)?.message ?? String(error)}`;
  const where = at ? `${at.device ?? "the instance"} ${at.step}` : "the start";
  const instance = await describeInstanceState(plan.region, plan.instance.instanceId, deps).catch(
    (e: Error) => `unknown (DescribeInstances failed: ${e?.name})`,
  );
  const lines = [
    `The ${plan.mode} of every drive of ${describeInstance(plan.instance)} in ${plan.region} stopped at ${where}: ${cause}`,
    `Now: instance ${plan.instance.instanceId} is ${instance}.`,
  ];
  const swapStarted: string[] = [];
  const rest: RestorePlan[] = [];
  for (const { plan: drive } of plan.drives) {
    const progress = state.drives.get(drive.device) as Progress;
    const now = await observeNow(drive, progress, deps);
    const tagged = drive.steps.slice(0, progress.index).includes("tag-replaced");
    if (tagged) swapStarted.push(drive.device);
    const status = state.swapped.has(drive.device) ? "swapped" : tagged ? "swap started" : "not swapped";
    const made = progress.volumeId
      ? `; ${plan.mode === "rollback" ? "to swap back" : "restored"} ${progress.volumeId} is ${now.newVolume}`
      : "";
    const previous =
      drive.currentVolumeId && drive.currentVolumeId !== progress.volumeId
        ? `; previous ${drive.currentVolumeId} is ${now.oldVolume}`
        : "";
    lines.push(`  ${drive.device}: ${status}: ${now.atDevice}${made}${previous}.`);
    if (!state.swapped.has(drive.device)) rest.push(drive);
  }
  const start = plan.startAfter ? ["--start"] : [];
  let rollbackCommand: string | null = null;
  let continueCommands: string[];
  if (plan.mode === "rollback") {
    continueCommands = [restoreCommand(plan, ["--rollback", ...start])];
  } else if (swapStarted.length === 0) {
    const created = rest.map((d) => state.drives.get(d.device)?.volumeId).filter(Boolean);
    if (created.length > 0)
      lines.push(
        `No drive was swapped. The volumes created (${created.join(", ")}) are kept; delete them if you start over.`,
      );
    else lines.push("Nothing was changed.");
    const again = [`--at ${plan.recoveryPoint?.takenAt}`, ...(plan.attach ? ["--attach", ...start] : [])];
    continueCommands = [restoreCommand(plan, again)];
  } else {
    rollbackCommand = restoreCommand(plan, ["--rollback", ...start]);
    continueCommands =
      rest.length === 0 && plan.startAfter
        ? [`aws ec2 start-instances --instance-ids ${plan.instance.instanceId} --region ${plan.region}`]
        : [];
    continueCommands.push(
      ...rest.map((drive, i) => {
        const last = i === rest.length - 1 ? start : [];
        const volumeId = state.drives.get(drive.device)?.volumeId;
        const source = volumeId ? `--volume ${volumeId}` : `--at ${drive.snapshot?.takenAt}`;
        return restoreCommand(drive, [source, "--attach", ...last]);
      }),
    );
  }
  if (continueCommands.length === 1) lines.push(`To continue: ${continueCommands[0]}`);
  else if (continueCommands.length > 1)
    lines.push("To continue, drive by drive:", ...continueCommands.map((c) => `  ${c}`));
  if (rollbackCommand) lines.push(`To roll back the drives swapped so far: ${rollbackCommand}`);
  lines.push("Nothing was deleted.");
  return new SetRestoreIncompleteError(
    lines.join("\n"),
    at?.step ?? "plan",
    continueCommands,
    rollbackCommand,
    { instanceId: plan.instance.instanceId, region: plan.region },
    { cause: error },
  );
}
