import type { Snapshot } from "@aws-sdk/client-ec2";
import { TAG, toTagMap } from "./tags";

/**
 * Whether a snapshot tagged `snapfleet:managed=true` really is one snapfleet made. Tags are written
 * by people and other tools and can change at any time; a snapshot's `VolumeId` and `Description`
 * are set by EC2 when the snapshot is created and never change. A deletion needs both to agree.
 */

/**
 * The description snapfleet gives every DR copy. EC2 records it at CopySnapshot and no API changes
 * it afterwards, so a copy whose description names its recorded source was made by that call.
 */
export function copyDescription(sourceSnapshotId: string, sourceRegion: string, what: string): string {
  return `${copyDescriptionPrefix(sourceSnapshotId, sourceRegion)} (${what})`;
}

const copyDescriptionPrefix = (sourceSnapshotId: string, sourceRegion: string) =>
  `snapfleet DR copy of ${sourceSnapshotId} from ${sourceRegion}`;

/** A managed-tagged snapshot that snapfleet will never delete, and why. */
export interface NotOurs {
  region: string;
  snapshotId: string;
  /** The volume its `snapfleet:volume-id` tag names. */
  taggedVolumeId: string;
  reason: string;
}

/**
 * In the primary region: EC2's `VolumeId` must be the volume the tags name. (A snapshot of
 * another volume, tagged to look like this one's, is how a foreign tool's snapshot would be
 * pruned by the wrong policy.)
 */
export function primaryMismatch(snapshot: Snapshot): string | undefined {
  const tagged = toTagMap(snapshot.Tags)[TAG.volumeId];
  if (snapshot.VolumeId === tagged) return undefined;
  return `EC2 says it is a snapshot of ${snapshot.VolumeId ?? "no volume"}, but it is tagged ${TAG.volumeId}=${tagged}`;
}

/**
 * In the DR region (AWS gives copies an arbitrary VolumeId, so it says nothing): the copy's
 * EC2-recorded description must name the source its tags record, and when that source still exists
 * in the source region, EC2's `VolumeId` of the source must be the volume the tags name.
 */
export function copyMismatch(copy: Snapshot, sources: ReadonlyMap<string, Snapshot>): string | undefined {
  const tags = toTagMap(copy.Tags);
  const source = tags[TAG.sourceSnapshot];
  const sourceRegion = tags[TAG.sourceRegion];
  if (!source || !sourceRegion) {
    return `it has no ${TAG.sourceSnapshot} and ${TAG.sourceRegion} tags, so it is not a snapfleet DR copy`;
  }
  if (!(copy.Description ?? "").startsWith(copyDescriptionPrefix(source, sourceRegion))) {
    return `its description, set by EC2 when it was created, is ${JSON.stringify(copy.Description ?? "")}: it was not copied from ${source} by snapfleet`;
  }
  const original = sources.get(source);
  if (original && original.VolumeId !== tags[TAG.volumeId]) {
    return `its source ${source} is a snapshot of ${original.VolumeId}, but it is tagged ${TAG.volumeId}=${tags[TAG.volumeId]}`;
  }
  return undefined;
}
