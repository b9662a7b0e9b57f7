import { AwsError, missingParameter } from "../errors";
import { type Input, objList, str, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { matchesAll, PAGE_RANGES, paginate, readFilters, tagFilterValues } from "./filters";
import type { Ec2Context, Tags } from "./model";
import { findResource } from "./resources";

/** `Tag.N.Key` / `Tag.N.Value` pairs. */
export function readTags(input: Input, key = "Tag"): [string, string][] {
  return objList(input, key).map((t) => [str(t, "Key") ?? "", str(t, "Value") ?? ""]);
}

/**
 * AWS's tag restrictions for EC2 resources: at most 50 tags per resource, keys of 1-128 and values
 * of at most 256 Unicode characters, and the `aws:` prefix reserved.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions
 */
export const MAX_TAGS_PER_RESOURCE = 50;

const characters = (s: string) => [...s].length;

export function checkTag(key: string, value: string): void {
  if (characters(key) < 1 || characters(key) > 128) {
    throw new AwsError(
      "InvalidParameterValue",
      `Tag key '${key.slice(0, 140)}' is invalid: a tag key must be 1 to 128 characters long.`,
    );
  }
  if (characters(value) > 256) {
    throw new AwsError(
      "InvalidParameterValue",
      `Tag value for key '${key}' is invalid: a tag value can be at most 256 characters long.`,
    );
  }
  if (key.toLowerCase().startsWith("aws:"))
    throw new AwsError(
      "InvalidParameterValue",
      "Tag keys starting with 'aws:' are reserved for internal use",
    );
}

function tagLimitExceeded(id: string): AwsError {
  return new AwsError(
    "TagLimitExceeded",
    `The maximum number of tags (${MAX_TAGS_PER_RESOURCE}) for resource '${id}' has been reached.`,
  );
}

/** The tags of `TagSpecification.N` entries whose ResourceType is `resourceType`, checked. */
export function tagsFor(input: Input, resourceType: string): Tags {
  const tags: Tags = new Map();
  for (const spec of objList(input, "TagSpecification")) {
    if (str(spec, "ResourceType") !== resourceType) continue;
    for (const [k, v] of readTags(spec)) {
      checkTag(k, v);
      tags.set(k, v);
    }
  }
  if (tags.size > MAX_TAGS_PER_RESOURCE) throw tagLimitExceeded(`new ${resourceType}`);
  return tags;
}

export function tagSet(tags: Tags): Output {
  return [...tags].map(([key, value]) => ({ key, value }));
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTags.html */
export function createTags(ctx: Ec2Context, input: Input): Output {
  const ids = strList(input, "ResourceId");
  if (ids.length === 0) throw missingParameter("ResourceId");
  const pairs = readTags(input);
  if (pairs.length === 0) throw missingParameter("Tag");
  for (const [k, v] of pairs) checkTag(k, v);
  // Every resource is checked before any is changed: a refused call changes nothing.
  const resources = ids.map((id) => ({ id, tags: findResource(ctx, id).tags }));
  for (const { id, tags } of resources) {
    const keys = new Set([...tags.keys(), ...pairs.map(([k]) => k)]);
    if (keys.size > MAX_TAGS_PER_RESOURCE) throw tagLimitExceeded(id);
  }
  for (const { tags } of resources) for (const [k, v] of pairs) tags.set(k, v);
  return { return: true };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html */
export function deleteTags(ctx: Ec2Context, input: Input): Output {
  const ids = strList(input, "ResourceId");
  if (ids.length === 0) throw missingParameter("ResourceId");
  const tags = objList(input, "Tag");
  for (const t of tags) {
    if ((str(t, "Key") ?? "").toLowerCase().startsWith("aws:"))
      throw new AwsError(
        "InvalidParameterValue",
        "Tag keys starting with 'aws:' are reserved for internal use",
      );
  }
  for (const resource of ids.map((id) => findResource(ctx, id))) {
    if (tags.length === 0) resource.tags.clear();
    for (const t of tags) {
      const key = str(t, "Key") ?? "";
      const value = str(t, "Value");
      if (value === undefined || resource.tags.get(key) === value) resource.tags.delete(key);
    }
  }
  return { return: true };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html */
export function describeTags(ctx: Ec2Context, input: Input): Output {
  const r = ctx.region;
  const all: { resourceId: string; resourceType: string; tags: Tags }[] = [
    ...[...r.instances.values()].map((i) => ({
      resourceId: i.instanceId,
      resourceType: "instance",
      tags: i.tags,
    })),
    ...[...r.volumes.values()].map((v) => ({ resourceId: v.volumeId, resourceType: "volume", tags: v.tags })),
    ...[...r.snapshots.values()].map((s) => ({
      resourceId: s.snapshotId,
      resourceType: "snapshot",
      tags: s.tags,
    })),
    ...[...r.images.values()].map((i) => ({ resourceId: i.imageId, resourceType: "image", tags: i.tags })),
  ];
  const rows = all.flatMap((res) => [...res.tags].map(([key, value]) => ({ ...res, key, value })));
  const filters = readFilters(input);
  const matching = rows.filter((row) =>
    matchesAll(filters, (name) => {
      const fields: Record<string, string[]> = {
        "resource-id": [row.resourceId],
        "resource-type": [row.resourceType],
        key: [row.key],
        value: [row.value],
      };
      return fields[name] ?? (name.startsWith("tag:") ? tagFilterValues(row.tags, name) : undefined);
    }),
  );
  const page = paginate(matching, input, PAGE_RANGES.DescribeTags, false);
  return {
    tagSet: page.items.map(({ resourceId, resourceType, key, value }) => ({
      resourceId,
      resourceType,
      key,
      value,
    })),
    nextToken: page.nextToken,
  };
}
