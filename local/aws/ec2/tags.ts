import { AwsError, missingParameter } from "../errors";
import { type Input, objList, str, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { matchesAll, paginate, readFilters, tagFilterValues } from "./filters";
import type { Ec2Context, Tags } from "./model";
import { findResource } from "./resources";

/** `Tag.N.Key` / `Tag.N.Value` pairs. */
export function readTags(input: Input, key = "Tag"): [string, string][] {
  return objList(input, key).map((t) => [str(t, "Key") ?? "", str(t, "Value") ?? ""]);
}

/** The tags of `TagSpecification.N` entries whose ResourceType is `resourceType`. */
export function tagsFor(input: Input, resourceType: string): Tags {
  const tags: Tags = new Map();
  for (const spec of objList(input, "TagSpecification")) {
    if (str(spec, "ResourceType") !== resourceType) continue;
    for (const [k, v] of readTags(spec)) tags.set(k, v);
  }
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
  for (const id of ids) {
    const resource = findResource(ctx, id);
    for (const [k, v] of pairs) {
      if (k.startsWith("aws:"))
        throw new AwsError("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved");
      resource.tags.set(k, v);
    }
  }
  return { return: true };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html */
export function deleteTags(ctx: Ec2Context, input: Input): Output {
  const ids = strList(input, "ResourceId");
  if (ids.length === 0) throw missingParameter("ResourceId");
  const tags = objList(input, "Tag");
  for (const id of ids) {
    const resource = findResource(ctx, id);
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
  const page = paginate(matching, input, [5, 1000], false);
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
