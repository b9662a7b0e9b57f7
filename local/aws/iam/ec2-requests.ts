import type { Instance, RegionState, Snapshot, Tags, Volume } from "../ec2/model";
import { readTags, tagsFor } from "../ec2/tags";
import { type Input, obj, str, strList } from "../protocol/input";
import type { RequestContext } from "./conditions";
import type { AuthorizationCheck } from "./policy";

/**
 * What each EC2 action is authorized against: the resource ARNs of the Service Authorization
 * Reference's "Resource types" column and the condition keys that come with them.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 *
 * - Resources that exist carry `aws:ResourceTag/<key>` (and EC2's `ec2:ResourceTag/<key>`).
 * - Resources the call creates have no id yet (`snapshot/*`) and carry `aws:RequestTag/<key>` and
 *   `aws:TagKeys` from the TagSpecifications.
 * - Tags given at creation are authorized once more as `ec2:CreateTags` on the new resource with
 *   `ec2:CreateAction` = the creating action, and only when tags are given.
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html
 * - CopySnapshot is sent to the destination region (so `aws:RequestedRegion` is the destination)
 *   and is authorized against the new snapshot and the source snapshot.
 *   https://aws.amazon.com/blogs/storage/enhancing-resource-level-permissions-for-copying-amazon-ebs-snapshots/
 */
export interface Ec2RequestScope {
  region: string;
  accountId: string;
  /** The partition ARNs are in: `aws`, or e.g. `aws-us-gov` / `aws-cn` when the emulator plays one. */
  partition: string;
  input: Input;
  /** The request-wide keys (aws:RequestedRegion, ...), shared by every check. */
  base: RequestContext;
  state(region: string): RegionState;
}

type CheckBuilder = (s: Ec2RequestScope) => AuthorizationCheck[];

const arn = {
  instance: (s: Ec2RequestScope, id: string, region = s.region) =>
    `arn:${s.partition}:ec2:${region}:${s.accountId}:instance/${id}`,
  volume: (s: Ec2RequestScope, id: string, region = s.region) =>
    `arn:${s.partition}:ec2:${region}:${s.accountId}:volume/${id}`,
  snapshot: (s: Ec2RequestScope, id: string, region: string) =>
    `arn:${s.partition}:ec2:${region}::snapshot/${id}`,
  image: (s: Ec2RequestScope, id: string, region: string) => `arn:${s.partition}:ec2:${region}::image/${id}`,
};

function context(base: RequestContext, extra: Record<string, string | string[] | undefined>): RequestContext {
  const ctx = new Map(base);
  for (const [k, v] of Object.entries(extra)) {
    if (v !== undefined) ctx.set(k.toLowerCase(), Array.isArray(v) ? v : [v]);
  }
  return ctx;
}

function resourceTags(tags: Tags | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of tags ?? []) {
    out[`aws:ResourceTag/${k}`] = v;
    out[`ec2:ResourceTag/${k}`] = v;
  }
  return out;
}

function requestTags(tags: Tags | [string, string][]): Record<string, string | string[]> {
  const pairs = [...tags];
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of pairs) out[`aws:RequestTag/${k}`] = v;
  if (pairs.length > 0) out["aws:TagKeys"] = pairs.map(([k]) => k);
  return out;
}

function check(
  s: Ec2RequestScope,
  action: string,
  resource: string,
  extra: Record<string, string | string[] | undefined> = {},
): AuthorizationCheck {
  return { action: `ec2:${action}`, resource, context: context(s.base, extra) };
}

const volumeKeys = (v: Volume | undefined) =>
  v && {
    ...resourceTags(v.tags),
    "ec2:VolumeID": v.volumeId,
    "ec2:VolumeSize": String(v.size),
    "ec2:VolumeType": v.volumeType,
    "ec2:Encrypted": String(v.encrypted),
    "ec2:AvailabilityZone": v.availabilityZone,
  };
const snapshotKeys = (sn: Snapshot | undefined) =>
  sn && {
    ...resourceTags(sn.tags),
    "ec2:SnapshotID": sn.snapshotId,
    "ec2:VolumeSize": String(sn.volumeSize),
    "ec2:Encrypted": String(sn.encrypted),
    "ec2:ParentVolume": sn.volumeId,
  };
const instanceKeys = (i: Instance | undefined) =>
  i && {
    ...resourceTags(i.tags),
    "ec2:InstanceID": i.instanceId,
    "ec2:InstanceType": i.instanceType,
    "ec2:AvailabilityZone": i.availabilityZone,
  };

/** `ec2:CreateTags` with `ec2:CreateAction`, only when the creating call carries tags. */
function tagOnCreate(
  s: Ec2RequestScope,
  createAction: string,
  resource: string,
  tags: Tags,
): AuthorizationCheck[] {
  if (tags.size === 0) return [];
  return [check(s, "CreateTags", resource, { "ec2:CreateAction": createAction, ...requestTags(tags) })];
}

/** Any taggable resource by its id's prefix, with its ARN and keys. */
function existing(s: Ec2RequestScope, id: string): { arn: string; keys: Record<string, string> } {
  const r = s.state(s.region);
  if (id.startsWith("i-")) return { arn: arn.instance(s, id), keys: instanceKeys(r.instances.get(id)) ?? {} };
  if (id.startsWith("vol-")) return { arn: arn.volume(s, id), keys: volumeKeys(r.volumes.get(id)) ?? {} };
  if (id.startsWith("snap-"))
    return { arn: arn.snapshot(s, id, s.region), keys: snapshotKeys(r.snapshots.get(id)) ?? {} };
  if (id.startsWith("ami-"))
    return { arn: arn.image(s, id, s.region), keys: resourceTags(r.images.get(id)?.tags) };
  return { arn: `arn:${s.partition}:ec2:${s.region}:${s.accountId}:*/${id}`, keys: {} };
}

const onEach =
  (action: string, idsKey: string): CheckBuilder =>
  (s) =>
    strList(s.input, idsKey).map((id) => {
      const r = existing(s, id);
      return check(s, action, r.arn, r.keys);
    });

const onOne =
  (action: string, idKey: string): CheckBuilder =>
  (s) => {
    const r = existing(s, str(s.input, idKey) ?? "");
    return [check(s, action, r.arn, r.keys)];
  };

function attachment(action: string): CheckBuilder {
  return (s) => {
    const volume = existing(s, str(s.input, "VolumeId") ?? "");
    const attachedTo = s.state(s.region).volumes.get(str(s.input, "VolumeId") ?? "")?.attachment?.instanceId;
    const instanceId = str(s.input, "InstanceId") ?? attachedTo;
    const instance = instanceId !== undefined ? [existing(s, instanceId)] : [];
    return [...instance, volume].map((r) => check(s, action, r.arn, r.keys));
  };
}

const BUILDERS: Record<string, CheckBuilder> = {
  CreateSnapshot: (s) => {
    const volume = existing(s, str(s.input, "VolumeId") ?? "");
    const tags = tagsFor(s.input, "snapshot");
    const newSnapshot = arn.snapshot(s, "*", s.region);
    return [
      check(s, "CreateSnapshot", volume.arn, volume.keys),
      check(s, "CreateSnapshot", newSnapshot, requestTags(tags)),
      ...tagOnCreate(s, "CreateSnapshot", newSnapshot, tags),
    ];
  },
  /**
   * CreateSnapshots: the instance, each volume of the set and the new snapshots (resource types
   * instance*, snapshot*, volume in the Service Authorization Reference). The volumes are those the
   * call would snapshot; a spec that selects none is left to the operation's own error.
   */
  CreateSnapshots: (s) => {
    const spec = obj(s.input, "InstanceSpecification") ?? {};
    const instanceId = str(spec, "InstanceId") ?? "";
    const region = s.state(s.region);
    const instance = region.instances.get(instanceId);
    const excluded = strList(spec, "ExcludeDataVolumeId");
    const excludeBoot = str(spec, "ExcludeBootVolume") === "true";
    const volumes = [...region.volumes.values()].filter(
      (v) =>
        v.attachment?.instanceId === instanceId &&
        !excluded.includes(v.volumeId) &&
        !(excludeBoot && v.attachment.device === instance?.rootDeviceName),
    );
    const tags = tagsFor(s.input, "snapshot");
    const newSnapshot = arn.snapshot(s, "*", s.region);
    return [
      check(s, "CreateSnapshots", arn.instance(s, instanceId), instanceKeys(instance) ?? {}),
      ...volumes.map((v) => check(s, "CreateSnapshots", arn.volume(s, v.volumeId), volumeKeys(v) ?? {})),
      check(s, "CreateSnapshots", newSnapshot, requestTags(tags)),
      ...tagOnCreate(s, "CreateSnapshots", newSnapshot, tags),
    ];
  },
  CopySnapshot: (s) => {
    const sourceRegion = str(s.input, "SourceRegion") ?? s.region;
    const sourceId = str(s.input, "SourceSnapshotId") ?? "";
    const source = s.state(sourceRegion).snapshots.get(sourceId);
    const tags = tagsFor(s.input, "snapshot");
    const newSnapshot = arn.snapshot(s, "*", s.region);
    return [
      check(s, "CopySnapshot", newSnapshot, requestTags(tags)),
      check(s, "CopySnapshot", arn.snapshot(s, sourceId, sourceRegion), snapshotKeys(source) ?? {}),
      ...tagOnCreate(s, "CopySnapshot", newSnapshot, tags),
    ];
  },
  DeleteSnapshot: onOne("DeleteSnapshot", "SnapshotId"),
  CreateTags: (s) => {
    const tags = readTags(s.input);
    return strList(s.input, "ResourceId").map((id) => {
      const r = existing(s, id);
      return check(s, "CreateTags", r.arn, { ...r.keys, ...requestTags(tags) });
    });
  },
  DeleteTags: (s) => {
    const keys = readTags(s.input).map(([k]) => k);
    return strList(s.input, "ResourceId").map((id) => {
      const r = existing(s, id);
      return check(s, "DeleteTags", r.arn, {
        ...r.keys,
        ...(keys.length > 0 ? { "aws:TagKeys": keys } : {}),
      });
    });
  },
  CreateVolume: (s) => {
    const tags = tagsFor(s.input, "volume");
    const newVolume = arn.volume(s, "*");
    const snapshotId = str(s.input, "SnapshotId");
    const source = snapshotId !== undefined ? existing(s, snapshotId) : undefined;
    return [
      check(s, "CreateVolume", newVolume, {
        ...requestTags(tags),
        "ec2:AvailabilityZone": str(s.input, "AvailabilityZone"),
        "ec2:VolumeType": str(s.input, "VolumeType") ?? "gp2",
        "ec2:Encrypted": str(s.input, "Encrypted") ?? "false",
      }),
      ...(source ? [check(s, "CreateVolume", source.arn, source.keys)] : []),
      ...tagOnCreate(s, "CreateVolume", newVolume, tags),
    ];
  },
  AttachVolume: attachment("AttachVolume"),
  DetachVolume: attachment("DetachVolume"),
  DeleteVolume: onOne("DeleteVolume", "VolumeId"),
  RunInstances: (s) => {
    const image = arn.image(s, str(s.input, "ImageId") ?? "*", s.region);
    const zone = str(obj(s.input, "Placement") ?? {}, "AvailabilityZone");
    const instanceTags = tagsFor(s.input, "instance");
    const volumeTags = tagsFor(s.input, "volume");
    return [
      check(s, "RunInstances", arn.instance(s, "*"), {
        ...requestTags(instanceTags),
        "ec2:InstanceType": str(s.input, "InstanceType"),
        "ec2:AvailabilityZone": zone,
      }),
      check(s, "RunInstances", arn.volume(s, "*"), requestTags(volumeTags)),
      check(s, "RunInstances", image),
      ...tagOnCreate(s, "RunInstances", arn.instance(s, "*"), instanceTags),
      ...tagOnCreate(s, "RunInstances", arn.volume(s, "*"), volumeTags),
    ];
  },
  StartInstances: onEach("StartInstances", "InstanceId"),
  StopInstances: onEach("StopInstances", "InstanceId"),
  TerminateInstances: onEach("TerminateInstances", "InstanceId"),
  RebootInstances: onEach("RebootInstances", "InstanceId"),
  RegisterImage: (s) => [check(s, "RegisterImage", arn.image(s, "*", s.region))],
  DeregisterImage: onOne("DeregisterImage", "ImageId"),
};

/** Actions without resource-level permissions (Describe*) are authorized against `*`. */
export function ec2Checks(action: string, scope: Ec2RequestScope): AuthorizationCheck[] {
  const builder = BUILDERS[action];
  return builder ? builder(scope) : [check(scope, action, "*")];
}
