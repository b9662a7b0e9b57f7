/** Tag contracts: which instances and volumes are selected, and what a snapshot carries. */
export type TagMap = Record<string, string>;

export const TAG = {
  managed: "snapfleet:managed",
  instanceId: "snapfleet:instance-id",
  host: "snapfleet:host",
  device: "snapfleet:device",
  volumeId: "snapfleet:volume-id",
  run: "snapfleet:run",
  retention: "snapfleet:retention",
  sourceSnapshot: "snapfleet:source-snapshot",
  sourceRegion: "snapfleet:source-region",
  /** `<run id>/<instance id>` on every snapshot of one CreateSnapshots call (one instant). */
  set: "snapfleet:set",
  /** `application` | `instance` | `volume`; absent on older snapshots, which are `volume`. */
  consistency: "snapfleet:consistency",
} as const;

export const RETENTION_TAG = "Retention";
export const DR_RETENTION_TAG = "DrRetention";
export const NAME_TAG = "Name";
/** AWS allows 50 user tags per resource. */
export const MAX_TAGS = 50;

const TRUE_VALUES = new Set(["true", "yes", "on", "1"]);
const FALSE_VALUES = new Set(["false", "no", "off", "0"]);

export function toTagMap(
  tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined,
): TagMap {
  const map: TagMap = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) map[tag.Key] = tag.Value ?? "";
  return map;
}

export function toTagList(tags: TagMap): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Tag keys are matched case-insensitively, as DESIGN.md promises operators. */
export function tagValue(tags: TagMap, key: string): string | undefined {
  const wanted = key.toLowerCase();
  for (const [k, v] of Object.entries(tags)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/**
 * A tag snapfleet acts on, read case-insensitively. EC2 keys are case-sensitive, so `Retention`
 * and `retention` can both exist, and AWS does not order tags: when their values disagree, neither
 * wins; the caller reports the conflict and acts on neither (nothing pruned, not silently skipped).
 * Values that agree (trimmed, ignoring case) are one setting written twice.
 */
export type TagRead = { ok: true; value: string | undefined } | { ok: false; conflict: string };

export function readTag(tags: TagMap, key: string): TagRead {
  const wanted = key.toLowerCase();
  const found = Object.entries(tags).filter(([k]) => k.toLowerCase() === wanted);
  const first = found[0];
  if (!first) return { ok: true, value: undefined };
  const meanings = new Set(found.map(([, v]) => v.trim().toLowerCase()));
  if (meanings.size === 1) return { ok: true, value: first[1] };
  const listed = found
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .sort()
    .join(", ");
  return { ok: false, conflict: `conflicting ${key} tags (${listed})` };
}

export type Selection = { selected: boolean } | { problem: string };

const SELECTION_VALUES = "true, yes, on or 1 to back up; false, no, off or 0 not to";

/**
 * Whether an instance is backed up. No tag, or a false value: not selected, silently. A value that
 * is neither true nor false, or case-variant keys that disagree: a problem the digest lists,
 * because the operator meant something and snapfleet cannot tell what.
 */
export function selectionOf(tags: TagMap, selectionTag: string): Selection {
  const read = readTag(tags, selectionTag);
  if (!read.ok) return { problem: `${read.conflict}: remove one; until then it is not backed up` };
  if (read.value === undefined) return { selected: false };
  const value = read.value.trim().toLowerCase();
  if (TRUE_VALUES.has(value)) return { selected: true };
  if (FALSE_VALUES.has(value)) return { selected: false };
  return {
    problem: `${selectionTag}=${JSON.stringify(read.value)} is neither true nor false (use ${SELECTION_VALUES}); until then it is not backed up`,
  };
}

export function isInstanceSelected(tags: TagMap, selectionTag: string): boolean {
  const selection = selectionOf(tags, selectionTag);
  return "selected" in selection && selection.selected;
}

/**
 * A volume opts out only with a clear false value. Disagreeing case-variant keys are reported by
 * the caller, and the volume is backed up: a copy too many costs less than a missing one.
 */
export function isVolumeOptedOut(tags: TagMap, selectionTag: string): boolean {
  const read = readTag(tags, selectionTag);
  return read.ok && read.value !== undefined && FALSE_VALUES.has(read.value.trim().toLowerCase());
}

export interface SnapshotTagProps {
  volumeTags: TagMap;
  instanceId: string;
  host: string;
  device: string;
  volumeId: string;
  runId: string;
  retention: string;
}

/**
 * The volume's own tags (not `aws:`, not `snapfleet:`) and snapfleet's bookkeeping tags, at most
 * 50. When the volume has too many, volume tags are dropped, never snapfleet's own.
 */
export function snapshotTags(props: SnapshotTagProps): TagMap {
  const own: TagMap = {
    [TAG.managed]: "true",
    [TAG.instanceId]: props.instanceId,
    [TAG.host]: props.host,
    [TAG.device]: props.device,
    [TAG.volumeId]: props.volumeId,
    [TAG.run]: props.runId,
    [TAG.retention]: props.retention,
  };
  return withOwnTagsFirst(props.volumeTags, own);
}

/** DR copies carry the source snapshot's tags plus where they came from. */
export function copyTags(
  sourceTags: TagMap,
  sourceSnapshotId: string,
  sourceRegion: string,
  drRetention?: string | undefined,
): TagMap {
  const own: TagMap = {};
  for (const [key, value] of Object.entries(sourceTags)) if (key.startsWith("snapfleet:")) own[key] = value;
  if (drRetention !== undefined) own[TAG.retention] = drRetention;
  own[TAG.sourceSnapshot] = sourceSnapshotId;
  own[TAG.sourceRegion] = sourceRegion;
  return withOwnTagsFirst(sourceTags, own);
}

function withOwnTagsFirst(userTags: TagMap, own: TagMap): TagMap {
  const result: TagMap = { ...own };
  let count = Object.keys(result).length;
  for (const [key, value] of Object.entries(userTags)) {
    if (count >= MAX_TAGS) break;
    if (key.startsWith("aws:") || key.startsWith("snapfleet:")) continue;
    result[key] = value;
    count += 1;
  }
  return result;
}
