import { MAX_TAGS, type TagMap } from "../tags";

/** Tags a restore writes. The `snapfleet:` prefix keeps them out of the volume's own tags. */
export const RESTORE_TAG = {
  restoredFrom: "snapfleet:restored-from",
  replacedAt: "snapfleet:replaced-at",
  replacedBy: "snapfleet:replaced-by",
  replacedReason: "snapfleet:replaced-reason",
  replacedInstance: "snapfleet:replaced-instance",
  replacedDevice: "snapfleet:replaced-device",
  /** The set restore (`--all-drives`) that swapped the volume out: `--rollback --all-drives` finds them all by it. */
  replacedSet: "snapfleet:replaced-set",
} as const;

/**
 * The new volume's tags: the original volume's own tags as the snapshot recorded them (neither
 * `aws:` nor snapfleet's bookkeeping), plus the snapshot it came from.
 */
export function restoredVolumeTags(snapshotTags: TagMap, snapshotId: string): TagMap {
  const tags: TagMap = {};
  let count = 1;
  for (const [key, value] of Object.entries(snapshotTags)) {
    if (key.startsWith("aws:") || key.startsWith("snapfleet:")) continue;
    if (count >= MAX_TAGS) break;
    tags[key] = value;
    count += 1;
  }
  tags[RESTORE_TAG.restoredFrom] = snapshotId;
  return tags;
}

/** What the swapped-out volume is tagged with, so `--rollback` can find it and people see why. */
export function replacedTags(props: {
  at: Date;
  by: string;
  reason: string;
  instanceId: string;
  device: string;
  set?: string | undefined;
}): TagMap {
  return {
    ...(props.set ? { [RESTORE_TAG.replacedSet]: props.set } : {}),
    [RESTORE_TAG.replacedAt]: props.at.toISOString(),
    [RESTORE_TAG.replacedBy]: props.by,
    [RESTORE_TAG.replacedReason]: props.reason,
    [RESTORE_TAG.replacedInstance]: props.instanceId,
    [RESTORE_TAG.replacedDevice]: props.device,
  };
}

export const REPLACED_TAG_KEYS = [
  RESTORE_TAG.replacedAt,
  RESTORE_TAG.replacedBy,
  RESTORE_TAG.replacedReason,
  RESTORE_TAG.replacedInstance,
  RESTORE_TAG.replacedDevice,
] as const;

/** A set restore adds one more: the set restore's id. */
export const SET_REPLACED_TAG_KEYS = [...REPLACED_TAG_KEYS, RESTORE_TAG.replacedSet] as const;

/**
 * The swapped-out volume gains the snapfleet:replaced-* tags it does not carry yet; AWS refuses
 * CreateTags past 50 user tags on a resource (`aws:` tags do not count), and by then the new
 * volume exists and the instance may be stopped. So the plan checks it before anything changes.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions
 */
export function replacedTagProblems(
  volume: { volumeId: string; tags: TagMap },
  keys: readonly string[] = REPLACED_TAG_KEYS,
): string[] {
  const own = Object.keys(volume.tags).filter((k) => !k.startsWith("aws:"));
  const adding = keys.filter((k) => !(k in volume.tags)).length;
  const over = own.length + adding - MAX_TAGS;
  if (over <= 0) return [];
  return [
    `volume ${volume.volumeId} has ${own.length} tags, and the swap adds ${adding} (snapfleet:replaced-*, how --rollback finds it): ` +
      `AWS allows ${MAX_TAGS}. Remove ${over} of its tags first (aws ec2 delete-tags --resources ${volume.volumeId} --tags Key=<key>), then run the restore again`,
  ];
}
