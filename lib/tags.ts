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

export function isInstanceSelected(tags: TagMap, selectionTag: string): boolean {
  const value = tagValue(tags, selectionTag);
  return value !== undefined && TRUE_VALUES.has(value.trim().toLowerCase());
}

export function isVolumeOptedOut(tags: TagMap, selectionTag: string): boolean {
  const value = tagValue(tags, selectionTag);
  return value !== undefined && FALSE_VALUES.has(value.trim().toLowerCase());
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
