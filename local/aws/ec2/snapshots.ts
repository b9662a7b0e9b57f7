import { AwsError, missingParameter } from "../errors";
import { bool, type Input, str, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";
import {
  type FilterValues,
  matchesAll,
  PAGE_RANGES,
  paginate,
  readFilters,
  tagFilterValues,
} from "./filters";
import { checkCopyLimit, checkSnapshotLimits } from "./limits";
import { type Ec2Context, newId, type Snapshot } from "./model";
import { getSnapshot, getVolume } from "./resources";
import { SNAPSHOT_RESULT_TAG, snapshotState } from "./snapshot-state";
import { tagSet, tagsFor } from "./tags";
import { defaultKey } from "./volumes";

/** AWS gives every snapshot copy this placeholder source volume id. */
export const COPY_VOLUME_ID = "vol-ffffffff";

function render(ctx: Ec2Context, s: Snapshot): { [key: string]: Output } {
  const st = snapshotState(ctx.clock, s);
  return {
    snapshotId: s.snapshotId,
    volumeId: s.volumeId,
    status: st.state,
    statusMessage: st.stateMessage,
    startTime: s.startTime,
    completionTime: st.completionTime,
    progress: st.progress,
    ownerId: ctx.accountId,
    volumeSize: s.volumeSize,
    description: s.description,
    encrypted: s.encrypted,
    kmsKeyId: s.kmsKeyId,
    storageTier: "standard",
    tagSet: s.tags.size > 0 ? tagSet(s.tags) : undefined,
  };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSnapshot.html */
export function createSnapshot(ctx: Ec2Context, input: Input): Output {
  const volumeId = str(input, "VolumeId");
  if (volumeId === undefined) throw missingParameter("VolumeId");
  const volume = getVolume(ctx, volumeId);
  if (volume.errorMessage !== undefined) {
    throw new AwsError("IncorrectState", `Volume '${volumeId}' is in the 'error' state.`);
  }
  checkSnapshotLimits(ctx, volume);
  const tagged = volume.tags.get(SNAPSHOT_RESULT_TAG) === "error";
  const planned = tagged ? undefined : ctx.policy.snapshotFailure(ctx.region.region, volumeId, volume.tags);
  const snapshot: Snapshot = {
    snapshotId: newId("snap"),
    volumeId,
    volumeSize: volume.size,
    description: str(input, "Description") ?? "",
    encrypted: volume.encrypted,
    kmsKeyId: volume.kmsKeyId,
    startTime: ctx.clock.now(),
    durationMs: ctx.snapshotDurationSeconds(volume.size) * 1000,
    endsInError: tagged || planned !== undefined,
    ...(planned !== undefined ? { errorMessage: planned } : {}),
    tags: tagsFor(input, "snapshot"),
  };
  ctx.region.snapshots.set(snapshot.snapshotId, snapshot);
  ctx.region.unfinished.add(snapshot);
  volume.lastSnapshotMs = ctx.clock.nowMs();
  return render(ctx, snapshot);
}

/**
 * "Amazon Web Services authenticates the KMS key asynchronously. Therefore, if you specify an ID,
 * alias, or ARN that is not valid, the action can appear to complete, but eventually fails": the copy
 * is accepted and ends in `error` with this state message.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html (KmsKeyId, StateMessage)
 */
export function kmsFailure(keyRef: string, region: string): string {
  return `The KMS key ${keyRef} does not exist in ${region}, is not enabled, or is not accessible.`;
}

/**
 * Called in the destination region. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html
 */
export function copySnapshot(ctx: Ec2Context, input: Input): Output {
  const sourceRegion = str(input, "SourceRegion");
  const sourceId = str(input, "SourceSnapshotId");
  if (sourceRegion === undefined) throw missingParameter("SourceRegion");
  if (sourceId === undefined) throw missingParameter("SourceSnapshotId");
  const source = getSnapshot(ctx, sourceId, ctx.regionOf(sourceRegion));
  const sourceState = snapshotState(ctx.clock, source).state;
  if (sourceState !== "completed") {
    throw new AwsError(
      "IncorrectState",
      `Snapshot '${sourceId}' is in state '${sourceState}', not 'completed'`,
    );
  }
  const requestedKey = str(input, "KmsKeyId");
  if (requestedKey !== undefined && bool(input, "Encrypted") !== true) {
    throw new AwsError(
      "InvalidParameterDependency",
      "The parameter KmsKeyId requires the parameter Encrypted to be set to true.",
    );
  }
  checkCopyLimit(ctx, (s) => s.volumeId === COPY_VOLUME_ID);
  const encrypted = source.encrypted || bool(input, "Encrypted") === true;
  const sameRegion = sourceRegion === ctx.region.region;
  const kmsKeyId =
    requestedKey ?? (sameRegion ? source.kmsKeyId : undefined) ?? (encrypted ? defaultKey(ctx) : undefined);
  const failure =
    encrypted && kmsKeyId !== undefined && !ctx.policy.kmsKeyUsable(ctx.region.region, kmsKeyId)
      ? kmsFailure(kmsKeyId, ctx.region.region)
      : ctx.policy.copyFailure(ctx.region.region, sourceId);
  const copy: Snapshot = {
    snapshotId: newId("snap"),
    volumeId: COPY_VOLUME_ID,
    volumeSize: source.volumeSize,
    description: str(input, "Description") ?? `[Copied ${sourceId} from ${sourceRegion}]`,
    encrypted,
    kmsKeyId,
    startTime: ctx.clock.now(),
    durationMs: ctx.copyDurationSeconds(source.volumeSize) * 1000,
    endsInError: failure !== undefined,
    ...(failure !== undefined ? { errorMessage: failure } : {}),
    tags: tagsFor(input, "snapshot"),
  };
  ctx.region.snapshots.set(copy.snapshotId, copy);
  ctx.region.unfinished.add(copy);
  return { snapshotId: copy.snapshotId, tagSet: copy.tags.size > 0 ? tagSet(copy.tags) : undefined };
}

function snapshotFilter(ctx: Ec2Context, s: Snapshot): FilterValues {
  // Fields are worked out only when a filter asks for them: a tag filter over a long history
  // should not compute every snapshot's state.
  return (name) => {
    switch (name) {
      case "snapshot-id":
        return [s.snapshotId];
      case "volume-id":
        return [s.volumeId];
      case "status":
        return [snapshotState(ctx.clock, s).state];
      case "progress":
        return [snapshotState(ctx.clock, s).progress];
      case "owner-id":
        return [ctx.accountId];
      case "start-time":
        return [s.startTime.toISOString()];
      case "description":
        return [s.description];
      case "encrypted":
        return [String(s.encrypted)];
      case "volume-size":
        return [String(s.volumeSize)];
      case "storage-tier":
        return ["standard"];
      default:
        return tagFilterValues(s.tags, name);
    }
  };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html */
export function describeSnapshots(ctx: Ec2Context, input: Input): Output {
  const ids = strList(input, "SnapshotId");
  const owners = strList(input, "Owner");
  const selected =
    ids.length > 0 ? ids.map((id) => getSnapshot(ctx, id)) : [...ctx.region.snapshots.values()];
  const owned = owners.length === 0 || owners.some((o) => o === "self" || o === ctx.accountId);
  const filters = readFilters(input);
  const matching = owned ? selected.filter((s) => matchesAll(filters, snapshotFilter(ctx, s))) : [];
  const page = paginate(matching, input, PAGE_RANGES.DescribeSnapshots, ids.length > 0);
  return { snapshotSet: page.items.map((s) => render(ctx, s)), nextToken: page.nextToken };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html */
export function deleteSnapshot(ctx: Ec2Context, input: Input): Output {
  const snapshotId = str(input, "SnapshotId");
  if (snapshotId === undefined) throw missingParameter("SnapshotId");
  getSnapshot(ctx, snapshotId);
  const image = [...ctx.region.images.values()].find((i) => i.snapshotIds.includes(snapshotId));
  if (image) {
    throw new AwsError(
      "InvalidSnapshot.InUse",
      `The snapshot ${snapshotId} is currently in use by ${image.imageId}`,
    );
  }
  ctx.region.snapshots.delete(snapshotId);
  return { return: true };
}
