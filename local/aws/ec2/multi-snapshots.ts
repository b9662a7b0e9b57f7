import { AwsError, invalidParameterValue, missingParameter } from "../errors";
import { bool, type Input, obj, str, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { attachedVolumes } from "./instances";
import { checkSnapshotLimits } from "./limits";
import { type Ec2Context, newId, type Snapshot, type Tags, type Volume } from "./model";
import { checkId, getInstance } from "./resources";
import { SNAPSHOT_RESULT_TAG, snapshotState } from "./snapshot-state";
import { MAX_TAGS_PER_RESOURCE, tagSet, tagsFor } from "./tags";

/** "You can specify up to 40 volume IDs per request." (API_InstanceSpecification) */
const MAX_EXCLUDED = 40;

/**
 * The volumes of one CreateSnapshots call: every volume attached to the instance but those excluded,
 * the root volume first, then by device name. Refuses an exclusion that is not one of the instance's
 * data volumes (the root volume is excluded with ExcludeBootVolume, never by id).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceSpecification.html
 */
export function selectVolumes(ctx: Ec2Context, spec: Input): { instanceId: string; volumes: Volume[] } {
  const instanceId = str(spec, "InstanceId");
  if (instanceId === undefined) throw missingParameter("InstanceSpecification.InstanceId");
  const instance = getInstance(ctx, instanceId);
  const attached = attachedVolumes(ctx, instance.instanceId);
  const isRoot = (v: Volume) => v.attachment?.device === instance.rootDeviceName;
  const excluded = strList(spec, "ExcludeDataVolumeId");
  if (excluded.length > MAX_EXCLUDED) {
    throw invalidParameterValue(
      `InstanceSpecification.ExcludeDataVolumeId lists ${excluded.length} volumes; at most ${MAX_EXCLUDED} are allowed.`,
    );
  }
  for (const id of excluded) {
    checkId(id, "vol", "InvalidVolumeID.Malformed");
    const volume = attached.find((v) => v.volumeId === id);
    if (!volume) {
      throw invalidParameterValue(
        `The volume ${id} in ExcludeDataVolumeId is not attached to instance ${instanceId}.`,
      );
    }
    if (isRoot(volume)) {
      throw invalidParameterValue(
        `The volume ${id} is the root volume of instance ${instanceId}: exclude it with ExcludeBootVolume, not ExcludeDataVolumeId.`,
      );
    }
  }
  const excludeBoot = bool(spec, "ExcludeBootVolume") === true;
  const volumes = attached
    .filter((v) => !excluded.includes(v.volumeId) && !(excludeBoot && isRoot(v)))
    .sort(
      (a, b) =>
        Number(isRoot(b)) - Number(isRoot(a)) ||
        (a.attachment?.device ?? "").localeCompare(b.attachment?.device ?? ""),
    );
  if (volumes.length === 0) {
    throw invalidParameterValue(
      `No volume of instance ${instanceId} is left to snapshot after the exclusions (ExcludeBootVolume, ExcludeDataVolumeId).`,
    );
  }
  return { instanceId, volumes };
}

/** A snapshot's tags: the volume's own when `CopyTagsFromSource=volume`, then the TagSpecifications. */
function snapshotTags(volume: Volume, copyFromVolume: boolean, requested: Tags): Tags {
  const tags: Tags = new Map();
  if (copyFromVolume) for (const [k, v] of volume.tags) if (!k.startsWith("aws:")) tags.set(k, v);
  for (const [k, v] of requested) tags.set(k, v);
  if (tags.size > MAX_TAGS_PER_RESOURCE) {
    throw new AwsError(
      "TagLimitExceeded",
      `The snapshot of volume ${volume.volumeId} would carry ${tags.size} tags (its volume's and the TagSpecifications'); the maximum is ${MAX_TAGS_PER_RESOURCE}.`,
    );
  }
  return tags;
}

/** SnapshotInfo, as ec2Query names its members. */
function renderInfo(ctx: Ec2Context, s: Snapshot): { [key: string]: Output } {
  return {
    snapshotId: s.snapshotId,
    volumeId: s.volumeId,
    state: snapshotState(ctx.clock, s).state,
    startTime: s.startTime,
    progress: snapshotState(ctx.clock, s).progress,
    ownerId: ctx.accountId,
    volumeSize: s.volumeSize,
    description: s.description,
    encrypted: s.encrypted,
    tagSet: s.tags.size > 0 ? tagSet(s.tags) : undefined,
  };
}

/**
 * One crash-consistent set: a snapshot of every selected volume of the instance, all with the same
 * start time. All or nothing: every volume passes the EBS limits (pending snapshots, 15 s rate)
 * before any snapshot is made.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSnapshots.html
 */
export function createSnapshots(ctx: Ec2Context, input: Input): Output {
  const spec = obj(input, "InstanceSpecification");
  if (!spec) throw missingParameter("InstanceSpecification");
  const { volumes } = selectVolumes(ctx, spec);
  for (const v of volumes) {
    if (v.errorMessage !== undefined)
      throw new AwsError("IncorrectState", `Volume '${v.volumeId}' is in the 'error' state.`);
  }
  const requested = tagsFor(input, "snapshot");
  const copyFromVolume = str(input, "CopyTagsFromSource") === "volume";
  const tags = volumes.map((v) => snapshotTags(v, copyFromVolume, requested));
  for (const v of volumes) checkSnapshotLimits(ctx, v, "CreateSnapshots");
  const startTime = ctx.clock.now();
  const description = str(input, "Description") ?? "";
  const snapshots = volumes.map((volume, n): Snapshot => {
    const tagged = volume.tags.get(SNAPSHOT_RESULT_TAG) === "error";
    const planned = tagged
      ? undefined
      : ctx.policy.snapshotFailure(ctx.region.region, volume.volumeId, volume.tags);
    const snapshot: Snapshot = {
      snapshotId: newId("snap"),
      volumeId: volume.volumeId,
      volumeSize: volume.size,
      description,
      encrypted: volume.encrypted,
      kmsKeyId: volume.kmsKeyId,
      startTime,
      durationMs: ctx.snapshotDurationSeconds(volume.size) * 1000,
      endsInError: tagged || planned !== undefined,
      ...(planned !== undefined ? { errorMessage: planned } : {}),
      tags: tags[n] as Tags,
    };
    ctx.region.snapshots.set(snapshot.snapshotId, snapshot);
    ctx.region.unfinished.add(snapshot);
    volume.lastSnapshotMs = startTime.getTime();
    return snapshot;
  });
  return { snapshotSet: snapshots.map((s) => renderInfo(ctx, s)) };
}
