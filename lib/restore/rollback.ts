import { randomUUID } from "node:crypto";
import { DescribeVolumesCommand } from "@aws-sdk/client-ec2";
import type { RestoreDeps } from "./deps";
import { NoPreviousVolumeError } from "./errors";
import { findTargetInstance, type TargetInstance, toVolumeInfo, type VolumeInfo } from "./instance";
import { filterValue } from "./match";
import { describeInstance, type RestorePlan, type RestoreRequest, swapSteps, validatePlan } from "./plan";
import { RESTORE_TAG } from "./tags";

/**
 * `--rollback`: swap back the volume that a restore (or an earlier rollback) took off this
 * instance's device: the newest available volume tagged as replaced there.
 */
export async function planRollback(request: RestoreRequest, deps: RestoreDeps): Promise<RestorePlan> {
  const instance = await findTargetInstance(request, deps);
  const previous = await replacedVolumes(request.region, instance.instanceId, request.device, deps);
  const target = previous[0];
  if (!target) {
    throw new NoPreviousVolumeError(
      `No earlier volume of ${describeInstance(instance)} ${request.device} is waiting to be swapped back ` +
        `in ${request.region} (none is available and tagged ${RESTORE_TAG.replacedInstance}=${instance.instanceId}, ` +
        `${RESTORE_TAG.replacedDevice}=${request.device}). --rollback undoes a restore made with --attach; ` +
        "to go back further, restore an older snapshot with --at.",
      { instanceId: instance.instanceId, region: request.region },
    );
  }
  const plan = rollbackPlanFor(request, instance, target);
  await validatePlan(plan, 0, deps, current(instance, request.device));
  return plan;
}

function current(instance: TargetInstance, device: string): VolumeInfo | null {
  return instance.volumes.find((v) => v.attachedTo?.device === device) ?? null;
}

/** The plan that swaps `target` back in at `request.device`, not checked yet (validatePlan). */
export function rollbackPlanFor(
  request: RestoreRequest,
  instance: TargetInstance,
  target: VolumeInfo,
): RestorePlan {
  const now = current(instance, request.device);
  const { volumes: _, ...summary } = instance;
  const isRootDevice = request.device === instance.rootDeviceName;
  const stopInstance = isRootDevice || Boolean(request.stop);
  const willStop = stopInstance && instance.state === "running";
  const startAfter = willStop || (Boolean(request.start) && instance.state !== "running");
  return {
    mode: "rollback",
    token: randomUUID(),
    request,
    region: request.region,
    device: request.device,
    at: null,
    instance: summary,
    isRootDevice,
    snapshot: null,
    volume: {
      volumeId: target.volumeId,
      availabilityZone: target.availabilityZone,
      sizeGiB: target.sizeGiB,
      volumeType: target.volumeType,
      iops: target.iops,
      throughput: target.throughput,
      encrypted: target.encrypted,
      kmsKeyId: target.kmsKeyId,
      tags: target.tags,
    },
    currentVolumeId: now?.volumeId ?? null,
    attach: true,
    stopInstance,
    stopReason: !stopInstance
      ? null
      : isRootDevice
        ? `${request.device} is its root device`
        : "--stop was given",
    startAfter,
    steps: [...swapSteps(willStop, now !== null), ...(startAfter ? (["start-instance"] as const) : [])],
    checks: [`${target.volumeId} was replaced at ${target.tags[RESTORE_TAG.replacedAt]} and is available`],
    notes: [],
    dryRun: Boolean(request.dryRun),
  };
}

/**
 * Available volumes once swapped off this instance's device (any device without `device`), most
 * recently replaced first.
 */
export async function replacedVolumes(
  region: string,
  instanceId: string,
  device: string | undefined,
  deps: RestoreDeps,
): Promise<VolumeInfo[]> {
  const result = await deps.ec2(region).send(
    new DescribeVolumesCommand({
      Filters: [
        { Name: `tag:${RESTORE_TAG.replacedInstance}`, Values: [filterValue(instanceId)] },
        ...(device === undefined
          ? []
          : [{ Name: `tag:${RESTORE_TAG.replacedDevice}`, Values: [filterValue(device)] }]),
        { Name: "status", Values: ["available"] },
      ],
    }),
  );
  return (result.Volumes ?? [])
    .map(toVolumeInfo)
    .filter(
      (v) =>
        v.tags[RESTORE_TAG.replacedInstance] === instanceId &&
        (device === undefined || v.tags[RESTORE_TAG.replacedDevice] === device),
    )
    .sort((a, b) =>
      (b.tags[RESTORE_TAG.replacedAt] ?? "").localeCompare(a.tags[RESTORE_TAG.replacedAt] ?? ""),
    );
}
