import { AwsError } from "../errors";
import type { Ec2Context, Snapshot, Volume } from "./model";
import { snapshotState } from "./snapshot-state";

/**
 * EBS snapshot quotas (shared/aws-limits.md, "EBS snapshot quotas"). Their codes are client errors
 * (HTTP 400) in https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html.
 * A rejected call changes nothing.
 */
export const EBS_LIMIT_CODES = [
  "ConcurrentSnapshotLimitExceeded",
  "SnapshotCreationPerVolumeRateExceeded",
  "ResourceLimitExceeded",
] as const;

function exceeded(ctx: Ec2Context, action: string, code: string, message: string): AwsError {
  ctx.policy.limitExceeded(ctx.region.region, action, code);
  return new AwsError(code, message);
}

/**
 * CreateSnapshot (and each volume of CreateSnapshots): at least `snapshotIntervalSeconds` after the previous snapshot of the volume, and
 * at most N pending (plus, as AWS counts them, `error`) snapshots per volume: 5, or 1 for st1/sc1.
 * https://repost.aws/knowledge-center/ebs-snapshot-stuck
 */
export function checkSnapshotLimits(ctx: Ec2Context, volume: Volume, action = "CreateSnapshot"): void {
  const limits = ctx.policy.limits;
  if (!limits) return;
  const now = ctx.clock.nowMs();
  if (
    volume.lastSnapshotMs !== undefined &&
    now - volume.lastSnapshotMs < limits.snapshotIntervalSeconds * 1000
  ) {
    throw exceeded(
      ctx,
      action,
      "SnapshotCreationPerVolumeRateExceeded",
      "The maximum per volume CreateSnapshot request rate has been exceeded. Use an increasing or variable sleep interval between requests.",
    );
  }
  const allowed =
    limits.pendingSnapshotsPerVolume[volume.volumeType] ?? limits.pendingSnapshotsPerVolume.default ?? 5;
  const counted = unfinishedStates(ctx).filter(({ snapshot, state }) => {
    if (snapshot.volumeId !== volume.volumeId) return false;
    return state === "pending" || (limits.countErrorSnapshots && state === "error");
  }).length;
  if (counted >= allowed) {
    throw exceeded(
      ctx,
      action,
      "ConcurrentSnapshotLimitExceeded",
      `Volume ${volume.volumeId} (${volume.volumeType}) already has ${counted} pending or incomplete snapshots; ` +
        `the limit is ${allowed}. Wait until they complete, and delete snapshots in state 'error'.`,
    );
  }
}

/** CopySnapshot, in the destination region: at most N copies pending there at once (20 by default). */
export function checkCopyLimit(ctx: Ec2Context, isCopy: (s: { volumeId: string }) => boolean): void {
  const limits = ctx.policy.limits;
  if (!limits) return;
  const pending = unfinishedStates(ctx).filter(
    ({ snapshot, state }) => isCopy(snapshot) && state === "pending",
  ).length;
  if (pending >= limits.concurrentCopiesPerRegion) {
    throw exceeded(
      ctx,
      "CopySnapshot",
      "ResourceLimitExceeded",
      `You have reached the limit of ${limits.concurrentCopiesPerRegion} concurrent snapshot copies in ${ctx.region.region}. ` +
        "Wait for pending copies to complete.",
    );
  }
}

/**
 * The states of the region's unfinished snapshots, dropping those that completed or were deleted
 * since (an `error` snapshot stays until deleted: AWS keeps counting it).
 */
function unfinishedStates(ctx: Ec2Context): { snapshot: Snapshot; state: string }[] {
  const result: { snapshot: Snapshot; state: string }[] = [];
  for (const snapshot of ctx.region.unfinished) {
    const state = snapshotState(ctx.clock, snapshot).state;
    if (state === "completed" || ctx.region.snapshots.get(snapshot.snapshotId) !== snapshot) {
      ctx.region.unfinished.delete(snapshot);
      continue;
    }
    result.push({ snapshot, state });
  }
  return result;
}
