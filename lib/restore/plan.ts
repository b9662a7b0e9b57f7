import { randomUUID } from "node:crypto";
import type { RestoreDeps } from "./deps";
import { DeviceNotAttachedError, InvalidRestorePlanError } from "./errors";
import { findTargetInstance, type TargetInstance, type VolumeInfo } from "./instance";
import type { RecoveryPoint } from "./points";
import { existingVolume, recoveryPoint, type Source } from "./source";
import { REPLACED_TAG_KEYS, replacedTagProblems, SET_REPLACED_TAG_KEYS } from "./tags";
import { keyProblems, volumeSpecProblems, zoneProblems } from "./validate";

/** What the user asked for: CLI flags, or the restore state machine's input. */
export interface RestoreRequest {
  region: string;
  host?: string | undefined;
  instanceId?: string | undefined;
  device: string;
  /** ISO time: restore the newest completed snapshot taken at or before it. */
  at?: string | undefined;
  az?: string | undefined;
  sizeGiB?: number | undefined;
  volumeType?: string | undefined;
  attach?: boolean | undefined;
  stop?: boolean | undefined;
  /** Start the instance after the swap even if it is not running now (continuing a restore). */
  start?: boolean | undefined;
  rollback?: boolean | undefined;
  /** Continue with this already restored volume instead of creating one. */
  volumeId?: string | undefined;
  dryRun?: boolean | undefined;
}

export type StepName =
  | "create-volume"
  | "stop-instance"
  | "tag-replaced"
  | "detach-volume"
  | "attach-volume"
  | "start-instance";

export interface PlannedVolume {
  /** Set when the volume exists already: a restore being continued, or the rollback target. */
  volumeId: string | null;
  availabilityZone: string;
  sizeGiB: number;
  volumeType: string;
  iops: number | null;
  throughput: number | null;
  encrypted: boolean;
  kmsKeyId: string | null;
  tags: Record<string, string>;
}

/** Everything a restore will do, decided and checked before anything changes. */
export interface RestorePlan {
  mode: "restore" | "rollback";
  /** Idempotency token of this plan's CreateVolume, so a retried step never makes a second volume. */
  token: string;
  request: RestoreRequest;
  region: string;
  device: string;
  at: string | null;
  instance: Omit<TargetInstance, "volumes">;
  isRootDevice: boolean;
  /** The recovery point restored (without its tag list, which `volume.tags` already reflects). */
  snapshot: Omit<RecoveryPoint, "tags"> | null;
  volume: PlannedVolume;
  currentVolumeId: string | null;
  attach: boolean;
  stopInstance: boolean;
  stopReason: string | null;
  startAfter: boolean;
  steps: StepName[];
  checks: string[];
  notes: string[];
  dryRun: boolean;
  /** Set when this drive is one of a set restore (`--all-drives`): tagged on the volume it replaces. */
  setRestoreId?: string | undefined;
}

/**
 * Finds the instance and the recovery point, decides the volume and the steps, and checks that
 * the plan can work. Throws a RestoreRefusedError (nothing changed) when it cannot.
 */
export async function planRestore(request: RestoreRequest, deps: RestoreDeps): Promise<RestorePlan> {
  const instance = await findTargetInstance(request, deps);
  const current = instance.volumes.find((v) => v.attachedTo?.device === request.device) ?? null;
  const source = request.volumeId
    ? await existingVolume(request, instance, deps)
    : await recoveryPoint(request, instance, deps);
  if (request.attach && !current && !request.volumeId) {
    const attached = instance.volumes.map((v) => `${v.attachedTo?.device} (${v.volumeId})`).join(", ");
    throw new DeviceNotAttachedError(
      `Instance ${describeInstance(instance)} has nothing attached at ${request.device} ` +
        `(attached: ${attached || "nothing"}). --attach swaps the volume at a device: check --device, ` +
        `or restore without --attach and attach the new volume yourself.`,
      { instanceId: instance.instanceId, region: request.region },
    );
  }
  const plan = buildPlan(request, instance, current, source);
  await validatePlan(plan, source.snapshotSizeGiB, deps, current);
  return plan;
}

export function buildPlan(
  request: RestoreRequest,
  instance: TargetInstance,
  current: VolumeInfo | null,
  source: Source,
): RestorePlan {
  const { volumes: _, ...summary } = instance;
  const isRootDevice = request.device === instance.rootDeviceName;
  const attach = Boolean(request.attach);
  const alreadyInPlace = source.volume.volumeId !== null && current?.volumeId === source.volume.volumeId;
  const stopInstance = attach && !alreadyInPlace && (isRootDevice || Boolean(request.stop));
  const stopReason = !stopInstance
    ? null
    : isRootDevice
      ? `${request.device} is its root device`
      : "--stop was given";
  const willStop = stopInstance && instance.state === "running";
  const startAfter = attach && (willStop || (Boolean(request.start) && instance.state !== "running"));
  const steps: StepName[] = [];
  if (source.volume.volumeId === null) steps.push("create-volume");
  if (attach && !alreadyInPlace) steps.push(...swapSteps(willStop, current !== null));
  if (startAfter) steps.push("start-instance");
  const notes: string[] = [];
  if (attach && !stopInstance && current && instance.state === "running") {
    notes.push(`the instance keeps running: unmount ${request.device} inside it before the swap`);
  }
  if (!attach) notes.push("without --attach the new volume is left available, nothing else changes");
  return {
    mode: "restore",
    token: randomUUID(),
    request,
    region: request.region,
    device: request.device,
    at: request.at ?? null,
    instance: summary,
    isRootDevice,
    snapshot: source.snapshot,
    volume: source.volume,
    currentVolumeId: current?.volumeId ?? null,
    attach,
    stopInstance,
    stopReason,
    startAfter,
    steps,
    checks: [],
    notes,
    dryRun: Boolean(request.dryRun),
  };
}

/**
 * Zone, KMS key, size and type, instance state: every problem at once, or the checks that passed
 * (added to the plan's own).
 */
export async function validatePlan(
  plan: RestorePlan,
  snapshotSizeGiB: number,
  deps: RestoreDeps,
  current: VolumeInfo | null = null,
): Promise<void> {
  const problems: string[] = [];
  const checks: string[] = [];
  if (current && plan.steps.includes("tag-replaced")) {
    const keys = plan.setRestoreId ? SET_REPLACED_TAG_KEYS : REPLACED_TAG_KEYS;
    const tagProblems = replacedTagProblems(current, keys);
    problems.push(...tagProblems);
    if (tagProblems.length === 0)
      checks.push(`${current.volumeId} has room for the ${keys.length} snapfleet:replaced-* tags`);
  }
  const v = plan.volume;
  const zone = await zoneProblems(plan.region, v.availabilityZone, deps);
  problems.push(...zone);
  if (zone.length === 0) {
    if (v.availabilityZone === plan.instance.availabilityZone) {
      checks.push(`zone ${v.availabilityZone} exists and is the instance's`);
    } else if (plan.attach) {
      problems.push(
        `the volume would be in ${v.availabilityZone} but instance ${plan.instance.instanceId} is in ${plan.instance.availabilityZone}: ` +
          `EBS attaches only within one zone. Omit --az (or pass --az ${plan.instance.availabilityZone}), or drop --attach`,
      );
    } else {
      checks.push(
        `zone ${v.availabilityZone} exists (not the instance's ${plan.instance.availabilityZone}, as asked)`,
      );
    }
  }
  if (v.volumeId === null) {
    const key = await keyProblems(plan.region, v.kmsKeyId, v.encrypted, deps);
    problems.push(...key.problems);
    if (key.check) checks.push(key.check);
    const spec = volumeSpecProblems({
      sizeGiB: v.sizeGiB,
      volumeType: v.volumeType,
      iops: v.iops,
      snapshotSizeGiB,
      isRootDevice: plan.isRootDevice,
    });
    problems.push(...spec);
    if (spec.length === 0)
      checks.push(`${v.sizeGiB} GiB ${v.volumeType} is valid (snapshot ${snapshotSizeGiB} GiB)`);
  }
  if (plan.attach && !["running", "stopped"].includes(plan.instance.state)) {
    problems.push(
      `instance ${plan.instance.instanceId} is ${plan.instance.state}: wait until it is running or stopped, then run the restore again`,
    );
  }
  if (problems.length > 0) {
    throw new InvalidRestorePlanError(
      `The restore of ${describeInstance(plan.instance)} ${plan.device} cannot work, nothing was changed:\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
      problems,
      { instanceId: plan.instance.instanceId, region: plan.region },
    );
  }
  plan.checks = [...plan.checks, ...checks];
}

/** Stop if needed, keep the old volume findable, swap. Starting again is decided by the caller. */
export function swapSteps(willStop: boolean, hasCurrent: boolean): StepName[] {
  const steps: StepName[] = [];
  if (willStop) steps.push("stop-instance");
  if (hasCurrent) steps.push("tag-replaced", "detach-volume");
  steps.push("attach-volume");
  return steps;
}

export function describeInstance(instance: { instanceId: string; host: string }): string {
  return instance.host ? `${instance.instanceId} (${instance.host})` : instance.instanceId;
}
