import type { RestoreDeps } from "./deps";
import { NoRecoveryPointError, UnusableVolumeError } from "./errors";
import { describeVolume, type TargetInstance, type VolumeInfo } from "./instance";
import type { PlannedVolume, RestoreRequest } from "./plan";
import { chooseRecoveryPoint, findRecoveryPoints, type RecoveryPoint } from "./points";
import { RESTORE_TAG, restoredVolumeTags } from "./tags";
import { parseIsoTime } from "./time";

/** Where the new volume comes from: a recovery point, or (continuing) a volume made before. */
export interface Source {
  snapshot: Omit<RecoveryPoint, "tags"> | null;
  snapshotSizeGiB: number;
  volume: PlannedVolume;
}

/** The newest completed snapshot at or before the request's time, and the volume to make from it. */
export async function recoveryPoint(
  request: RestoreRequest,
  instance: TargetInstance,
  deps: RestoreDeps,
): Promise<Source> {
  const selector = request.host ? { host: request.host } : { instanceId: instance.instanceId };
  const what = request.host ? `host ${request.host}` : `instance ${instance.instanceId}`;
  const points = await findRecoveryPoints(
    { region: request.region, device: request.device, ...selector },
    deps,
  );
  const at = request.at ? parseIsoTime(request.at) : undefined;
  const chosen = chooseRecoveryPoint(points, at);
  if (!chosen) {
    throw new NoRecoveryPointError(await noPointMessage(request, what, points, selector, deps), {
      instanceId: instance.instanceId,
      region: request.region,
    });
  }
  return sourceFromPoint(request, instance, chosen);
}

/** The volume to make from a chosen point for `request.device`: the current volume's type and performance. */
export function sourceFromPoint(
  request: Pick<RestoreRequest, "device" | "az" | "sizeGiB" | "volumeType">,
  instance: TargetInstance,
  chosen: RecoveryPoint,
): Source {
  const current = instance.volumes.find((v) => v.attachedTo?.device === request.device);
  const volumeType = request.volumeType ?? current?.volumeType ?? "gp3";
  const sameType = current?.volumeType === volumeType;
  const { tags, ...snapshot } = chosen;
  return {
    snapshot,
    snapshotSizeGiB: chosen.sizeGiB,
    volume: {
      volumeId: null,
      availabilityZone: request.az ?? instance.availabilityZone,
      sizeGiB: request.sizeGiB ?? chosen.sizeGiB,
      volumeType,
      iops: sameType ? (current?.iops ?? null) : null,
      throughput: sameType && volumeType === "gp3" ? (current?.throughput ?? null) : null,
      encrypted: chosen.encrypted,
      kmsKeyId: chosen.kmsKeyId,
      tags: restoredVolumeTags(tags, chosen.snapshotId),
    },
  };
}

async function noPointMessage(
  request: RestoreRequest,
  what: string,
  points: RecoveryPoint[],
  selector: { host?: string; instanceId?: string },
  deps: RestoreDeps,
): Promise<string> {
  const where = `${what} ${request.device} in ${request.region}`;
  const completed = points.filter((p) => p.state === "completed");
  if (completed.length > 0 && request.at) {
    const oldest = completed[completed.length - 1] as RecoveryPoint;
    return (
      `No completed snapshot of ${where} was taken at or before ${request.at}. The oldest is ` +
      `${oldest.snapshotId} taken ${oldest.takenAt}: pass a later --at, or omit it for the newest.`
    );
  }
  const failed = points.filter((p) => p.state === "error");
  if (points.length > 0 && failed.length === points.length) {
    return (
      `Every snapshot of ${where} failed: ${failed.map((p) => p.snapshotId).join(", ")} ended in state error ` +
      "and will never complete, so there is nothing to restore. The backup run's digest and logs say why " +
      "(CloudWatch Logs); restore from the other region with --region if it holds a copy, and fix the cause " +
      "so that the next run succeeds."
    );
  }
  if (points.length > 0) {
    const pending = points.filter((p) => p.state !== "error" && p.state !== "completed");
    const alsoFailed = failed.length > 0 ? ` (${failed.map((p) => p.snapshotId).join(", ")} failed)` : "";
    return `No snapshot of ${where} has completed yet: ${pending.map((p) => `${p.snapshotId} ${p.state} ${p.progress}`.trim()).join(", ")}${alsoFailed}. Wait for it to complete and run the restore again.`;
  }
  const others = await findRecoveryPoints({ region: request.region, ...selector }, deps);
  const devices = [...new Set(others.map((p) => p.device))].sort();
  const hint =
    devices.length > 0
      ? `It has snapshots of ${devices.join(", ")}: check --device.`
      : "Check the name or id (`snapfleet snapshots` lists recovery points), or pass --region for the DR region.";
  return `No snapshot of ${where}. ${hint}`;
}

/** `--volume`: continue with a volume an earlier, interrupted restore created. */
export async function existingVolume(
  request: RestoreRequest,
  instance: TargetInstance,
  deps: RestoreDeps,
): Promise<Source> {
  const volumeId = request.volumeId as string;
  let volume: VolumeInfo;
  try {
    volume = await describeVolume(request.region, volumeId, deps);
  } catch (error) {
    throw new UnusableVolumeError(
      `Volume ${volumeId} cannot be read in ${request.region} (${(error as Error).name}). Check --volume and --region.`,
      { volumeId, region: request.region },
      { cause: error },
    );
  }
  const elsewhere =
    volume.attachedTo &&
    (volume.attachedTo.instanceId !== instance.instanceId || volume.attachedTo.device !== request.device);
  if (elsewhere) {
    throw new UnusableVolumeError(
      `Volume ${volumeId} is attached to ${volume.attachedTo?.instanceId} at ${volume.attachedTo?.device}; --volume needs an available volume.`,
      { volumeId, region: request.region },
    );
  }
  const snapshotId = volume.tags[RESTORE_TAG.restoredFrom] ?? null;
  return {
    snapshot: null,
    snapshotSizeGiB: 0,
    volume: {
      volumeId,
      availabilityZone: volume.availabilityZone,
      sizeGiB: volume.sizeGiB,
      volumeType: volume.volumeType,
      iops: volume.iops,
      throughput: volume.throughput,
      encrypted: volume.encrypted,
      kmsKeyId: volume.kmsKeyId,
      tags: snapshotId ? { [RESTORE_TAG.restoredFrom]: snapshotId } : {},
    },
  };
}
