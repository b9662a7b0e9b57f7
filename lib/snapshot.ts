import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  DescribeSnapshotsCommand,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import type { Deps } from "./deps";
import type { DriveItem } from "./drive";
import { copyDescription } from "./ownership";
import { withRetry } from "./retry";
import { copyTags, toTagList } from "./tags";

export interface StartedSnapshot {
  snapshotId: string;
  region: string;
}

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
  deps.log.info("snapshot started", { snapshotId: result.SnapshotId, ...itemKeys(item) });
  return { snapshotId: result.SnapshotId, region: item.region };
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
      Description: copyDescription(sourceSnapshotId, item.region, `${item.host} ${item.device}`),
      TagSpecifications: [
        {
          ResourceType: "snapshot",
          Tags: toTagList(copyTags(item.tags, sourceSnapshotId, item.region, item.drRetention)),
        },
      ],
    }),
  );
  if (!result.SnapshotId) throw new Error(`CopySnapshot of ${sourceSnapshotId} returned no snapshot id`);
  deps.log.info("DR copy started", {
    snapshotId: result.SnapshotId,
    drRegion: item.drRegion,
    ...itemKeys(item),
  });
  return { snapshotId: result.SnapshotId, region: item.drRegion };
}

/** What every log line about a drive carries (the run id is on the invocation's logger). */
export function itemKeys(item: Pick<DriveItem, "instanceId" | "volumeId" | "device">) {
  return { instanceId: item.instanceId, volumeId: item.volumeId, device: item.device };
}

/** One snapshot as EC2 describes it now, or undefined when it no longer exists. */
export async function describeSnapshot(
  region: string,
  snapshotId: string,
  deps: Deps,
): Promise<Snapshot | undefined> {
  try {
    const result = await withRetry(
      () => deps.ec2(region).send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })),
      deps,
      `DescribeSnapshots ${snapshotId}`,
    );
    return result.Snapshots?.[0];
  } catch (error) {
    if ((error as { name?: string }).name === "InvalidSnapshot.NotFound") return undefined;
    throw error;
  }
}
