import { AwsError } from "../errors";
import type { Ec2Context, Image, Instance, Snapshot, Tags, Volume } from "./model";

/**
 * EC2 ids are a prefix and 8 or 17 lowercase hex digits; any other string is refused as malformed
 * before it is looked up (`InvalidVolumeID.Malformed`, ...), as EC2 does.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 */
export function checkId(id: string, prefix: string, code: string): void {
  if (!new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`).test(id)) {
    throw new AwsError(code, `Invalid id: "${id}" (expecting "${prefix}-...")`);
  }
}

export function getInstance(ctx: Ec2Context, id: string): Instance {
  checkId(id, "i", "InvalidInstanceID.Malformed");
  const found = ctx.region.instances.get(id);
  if (!found) throw new AwsError("InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
  return found;
}

export function getVolume(ctx: Ec2Context, id: string): Volume {
  checkId(id, "vol", "InvalidVolumeID.Malformed");
  const found = ctx.region.volumes.get(id);
  if (!found) throw new AwsError("InvalidVolume.NotFound", `The volume '${id}' does not exist.`);
  return found;
}

export function getSnapshot(ctx: Ec2Context, id: string, region = ctx.region): Snapshot {
  checkId(id, "snap", "InvalidSnapshotID.Malformed");
  const found = region.snapshots.get(id);
  if (!found) throw new AwsError("InvalidSnapshot.NotFound", `The snapshot '${id}' does not exist.`);
  return found;
}

export function getImage(ctx: Ec2Context, id: string): Image {
  checkId(id, "ami", "InvalidAMIID.Malformed");
  const found = ctx.region.images.get(id);
  if (!found) throw new AwsError("InvalidAMIID.NotFound", `The image id '[${id}]' does not exist`);
  return found;
}

/** Any taggable resource, by the prefix of its id, with that resource type's NotFound error. */
export function findResource(ctx: Ec2Context, id: string): { tags: Tags; type: string } {
  if (id.startsWith("i-")) return { tags: getInstance(ctx, id).tags, type: "instance" };
  if (id.startsWith("vol-")) return { tags: getVolume(ctx, id).tags, type: "volume" };
  if (id.startsWith("snap-")) return { tags: getSnapshot(ctx, id).tags, type: "snapshot" };
  if (id.startsWith("ami-")) return { tags: getImage(ctx, id).tags, type: "image" };
  throw new AwsError("InvalidID", `The ID '${id}' is not valid`);
}
