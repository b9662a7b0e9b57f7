import { DescribeVolumesCommand } from "@aws-sdk/client-ec2";
import type { RestoreDeps } from "./deps";
import { RestoreIncompleteError, RestoreRefusedError } from "./errors";
import { describeInstanceState } from "./instance";
import { describeInstance, type RestorePlan } from "./plan";
import type { Progress } from "./steps";

/** AWS error names worth retrying as they are (the state machine's Retry lists them). */
const TRANSIENT = new Set([
  "RequestLimitExceeded",
  "Throttling",
  "ThrottlingException",
  "InternalError",
  "InternalFailure",
  "ServiceUnavailable",
  "Unavailable",
]);

export function isTransient(error: unknown): boolean {
  return TRANSIENT.has((error as { name?: string } | undefined)?.name ?? "");
}

/**
 * The CLI command that does `request` again with some flags changed, for error messages: for one
 * drive, or (no `device`) for every drive of a set.
 */
export function restoreCommand(
  plan: { instance: { instanceId: string }; region: string; device?: string },
  flags: string[],
): string {
  const parts = [
    "npx snapfleet restore",
    `--instance ${plan.instance.instanceId}`,
    plan.device ? `--device ${plan.device}` : "--all-drives",
    `--region ${plan.region}`,
    ...flags,
  ];
  return parts.join(" ");
}

/**
 * Runs one step or check of a plan. A failure becomes a RestoreIncompleteError that says what
 * changed, the state the instance and volumes are in now, and the commands that continue or roll
 * back. With `passTransient` (the state machine, whose Retry handles them) throttling and
 * service errors are rethrown unchanged.
 */
export async function guarded<T>(
  plan: RestorePlan,
  progress: Progress,
  action: () => Promise<T>,
  deps: RestoreDeps,
  options: { passTransient?: boolean } = {},
): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof RestoreRefusedError || error instanceof RestoreIncompleteError) throw error;
    if (options.passTransient && isTransient(error)) throw error;
    throw await explainFailure(plan, progress, error, deps);
  }
}

export async function explainFailure(
  plan: RestorePlan,
  progress: Progress,
  error: unknown,
  deps: RestoreDeps,
): Promise<RestoreIncompleteError> {
  const step = plan.steps[progress.index] ?? "finish";
  const cause = `${(error as Error)?.name ?? "Error"}: ${(error as Error)?.message ?? String(error)}`;
  const now = await observeNow(plan, progress, deps);
  const swapStarted = plan.steps.slice(0, progress.index).some((s) => s !== "create-volume");
  const stopped = plan.steps.slice(0, progress.index + 1).includes("stop-instance");
  const tagged = plan.steps.slice(0, progress.index).includes("tag-replaced");
  const volumeFailed = now.newVolume?.startsWith("error") ?? false;
  const lines = [
    `The ${plan.mode} of ${describeInstance(plan.instance)} ${plan.device} in ${plan.region} stopped at step ` +
      `${progress.index + 1}/${plan.steps.length} (${step}): ${cause}`,
    `Now: instance ${plan.instance.instanceId} is ${now.instance}; ${plan.device} has ${now.atDevice}.`,
  ];
  if (progress.volumeId)
    lines.push(
      `${plan.mode === "rollback" ? "Volume to swap back" : "Restored volume"} ${progress.volumeId} is ${now.newVolume}.`,
    );
  if (plan.currentVolumeId && plan.currentVolumeId !== progress.volumeId)
    lines.push(`Previous volume ${plan.currentVolumeId} is ${now.oldVolume}.`);
  const startFlag = plan.startAfter ? ["--start"] : [];
  const stopFlag = plan.stopInstance && !plan.isRootDevice ? ["--stop"] : [];
  let continueCommand: string | null;
  let rollbackCommand: string | null = null;
  if (plan.mode === "rollback") {
    continueCommand = restoreCommand(plan, ["--rollback", ...stopFlag, ...startFlag]);
  } else if (!progress.volumeId || volumeFailed) {
    if (!progress.volumeId) lines.push("Nothing was changed.");
    continueCommand = restoreCommand(plan, requestFlags(plan));
  } else {
    const attach = plan.attach ? ["--attach", ...stopFlag, ...startFlag] : [];
    continueCommand = restoreCommand(plan, [`--volume ${progress.volumeId}`, ...attach]);
    if (!swapStarted && !stopped) lines.push("The instance itself was not changed.");
  }
  if (plan.mode === "restore" && tagged)
    rollbackCommand = restoreCommand(plan, ["--rollback", ...stopFlag, ...startFlag]);
  lines.push(`To continue: ${continueCommand}`);
  if (rollbackCommand) lines.push(`To roll back: ${rollbackCommand}`);
  else if (stopped && now.instance !== "running" && plan.startAfter)
    lines.push(
      `To leave its volumes as they are and start the instance as it was: aws ec2 start-instances --instance-ids ${plan.instance.instanceId} --region ${plan.region}`,
    );
  lines.push("Nothing was deleted.");
  return new RestoreIncompleteError(
    lines.filter((l) => l !== "").join("\n"),
    step,
    continueCommand,
    rollbackCommand,
    { instanceId: plan.instance.instanceId, volumeId: progress.volumeId ?? undefined, region: plan.region },
    { cause: error },
  );
}

/** The flags of the original request, to run it again from the start. */
function requestFlags(plan: RestorePlan): string[] {
  const r = plan.request;
  const flags: string[] = [];
  if (r.at) flags.push(`--at ${r.at}`);
  if (r.az) flags.push(`--az ${r.az}`);
  if (r.sizeGiB !== undefined) flags.push(`--size ${r.sizeGiB}`);
  if (r.volumeType) flags.push(`--type ${r.volumeType}`);
  if (r.attach) flags.push("--attach");
  if (r.stop) flags.push("--stop");
  if (r.start) flags.push("--start");
  return flags;
}

export interface Observed {
  instance: string;
  atDevice: string;
  newVolume: string | null;
  oldVolume: string | null;
}

/** What is true now, each read on its own so that one failing read does not hide the others. */
export async function observeNow(
  plan: RestorePlan,
  progress: Progress,
  deps: RestoreDeps,
): Promise<Observed> {
  const unknown = (what: string) => (error: unknown) => `unknown (${what} failed: ${(error as Error)?.name})`;
  const instance = await describeInstanceState(plan.region, plan.instance.instanceId, deps).catch(
    unknown("DescribeInstances"),
  );
  const ec2 = deps.ec2(plan.region);
  const atDevice = await ec2
    .send(
      new DescribeVolumesCommand({
        Filters: [
          { Name: "attachment.instance-id", Values: [plan.instance.instanceId] },
          { Name: "attachment.device", Values: [plan.device] },
        ],
      }),
    )
    .then((r) => r.Volumes?.[0]?.VolumeId ?? null)
    .then((id) => (id ? `${id} attached` : "nothing attached"), unknown("DescribeVolumes"));
  const volume = async (id: string | null) =>
    id === null
      ? null
      : ec2
          .send(new DescribeVolumesCommand({ VolumeIds: [id] }))
          .then((r) => {
            const v = r.Volumes?.[0];
            const a = v?.Attachments?.[0];
            return a ? `${v?.State}, attached to ${a.InstanceId} at ${a.Device}` : (v?.State ?? "unknown");
          })
          .catch(unknown("DescribeVolumes"));
  return {
    instance,
    atDevice,
    newVolume: await volume(progress.volumeId),
    oldVolume: await volume(plan.currentVolumeId),
  };
}
