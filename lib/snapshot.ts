import { CopySnapshotCommand, CreateSnapshotCommand, DescribeSnapshotsCommand } from "@aws-sdk/client-ec2";
import type { Deps } from "./deps";
import type { DriveItem } from "./drive";
import { SnapshotFailedError, SnapshotTimeoutError } from "./errors";
import { copyTags, toTagList } from "./tags";

export interface StartedSnapshot {
  snapshotId: string;
  region: string;
  /** Seconds to wait before the first status check. */
  wait: number;
  attempt: number;
}

export const FIRST_WAIT_SECONDS = 30;
export const MAX_WAIT_SECONDS = 300;
/** About 24 hours of polling at the capped interval: beyond that a snapshot is reported stuck. */
export const MAX_STATUS_CHECKS = 300;

/** Tags go on with the CreateSnapshot call itself, so a snapshot never exists untagged. */
export async function createSnapshot(item: DriveItem, deps: Deps): Promise<StartedSnapshot> {
  const result = await deps.ec2(item.region).send(
    new CreateSnapshotCommand({
      VolumeId: item.volumeId,
      Description: `snapfleet ${item.runId} ${item.host} ${item.device}`,
      TagSpecifications: [{ ResourceType: "snapshot", Tags: toTagList(item.tags) }],
    }),
  );
  if (!result.SnapshotId) throw new Error(`CreateSnapshot for ${item.volumeId} returned no snapshot id`);
  deps.log.info("snapshot started", { snapshotId: result.SnapshotId });
  return { snapshotId: result.SnapshotId, region: item.region, wait: FIRST_WAIT_SECONDS, attempt: 0 };
}

/** The DR copy is requested in the destination region and carries the source's tags. */
export async function copyToDr(
  item: DriveItem,
  sourceSnapshotId: string,
  deps: Deps,
  options: { kmsKeyId?: string | undefined } = {},
): Promise<StartedSnapshot> {
  // An encrypted snapshot's copy needs a key in the destination region: the configured one, or
  // the region's default EBS key when none is configured.
  const encryption = item.encrypted
    ? { Encrypted: true, ...(options.kmsKeyId ? { KmsKeyId: options.kmsKeyId } : {}) }
    : {};
  const result = await deps.ec2(item.drRegion).send(
    new CopySnapshotCommand({
      SourceRegion: item.region,
      SourceSnapshotId: sourceSnapshotId,
      ...encryption,
      Description: `snapfleet DR copy of ${sourceSnapshotId} from ${item.region} (${item.host} ${item.device})`,
      TagSpecifications: [
        {
          ResourceType: "snapshot",
          Tags: toTagList(copyTags(item.tags, sourceSnapshotId, item.region, item.drRetention)),
        },
      ],
    }),
  );
  if (!result.SnapshotId) throw new Error(`CopySnapshot of ${sourceSnapshotId} returned no snapshot id`);
  deps.log.info("DR copy started", { snapshotId: result.SnapshotId, drRegion: item.drRegion });
  return { snapshotId: result.SnapshotId, region: item.drRegion, wait: FIRST_WAIT_SECONDS, attempt: 0 };
}

export interface SnapshotStatus extends StartedSnapshot {
  state: string;
  progress: string;
  startTime: string | null;
  completionTime: string | null;
  sizeGiB: number | null;
}

/**
 * One status check. Pending: the next wait doubles up to five minutes. `error`: a
 * SnapshotFailedError with AWS's state message. Too many checks: SnapshotTimeoutError.
 */
export async function checkSnapshot(props: StartedSnapshot, deps: Deps): Promise<SnapshotStatus> {
  const ids = { snapshotId: props.snapshotId, region: props.region };
  const result = await deps
    .ec2(props.region)
    .send(new DescribeSnapshotsCommand({ SnapshotIds: [props.snapshotId] }));
  const snapshot = result.Snapshots?.[0];
  if (!snapshot)
    throw new SnapshotFailedError(`Snapshot ${props.snapshotId} in ${props.region} disappeared`, ids);
  const state = snapshot.State ?? "unknown";
  if (state === "error") {
    throw new SnapshotFailedError(
      `Snapshot ${props.snapshotId} in ${props.region} ended in state error: ${snapshot.StateMessage ?? "no reason given"}`,
      ids,
    );
  }
  const attempt = props.attempt + 1;
  if (state !== "completed" && attempt >= MAX_STATUS_CHECKS) {
    throw new SnapshotTimeoutError(
      `Snapshot ${props.snapshotId} in ${props.region} is still ${state} (${snapshot.Progress ?? "?"}) after ${attempt} checks`,
      ids,
    );
  }
  return {
    snapshotId: props.snapshotId,
    region: props.region,
    state,
    progress: snapshot.Progress ?? "",
    startTime: snapshot.StartTime?.toISOString() ?? null,
    completionTime: snapshot.CompletionTime?.toISOString() ?? null,
    sizeGiB: snapshot.VolumeSize ?? null,
    wait: Math.min(props.wait * 2, MAX_WAIT_SECONDS),
    attempt,
  };
}
