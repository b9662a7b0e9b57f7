import { AwsError } from "../errors";
import type { Ec2Context, Image, Instance, Snapshot, Tags, Volume } from "./model";

export function getInstance(ctx: Ec2Context, id: string): Instance {
  const found = ctx.region.instances.get(id);
  if (!found) throw new AwsError("InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
  return found;
}

export function getVolume(ctx: Ec2Context, id: string): Volume {
  const found = ctx.region.volumes.get(id);
  if (!found) throw new AwsError("InvalidVolume.NotFound", `The volume '${id}' does not exist.`);
  return found;
}

export function getSnapshot(ctx: Ec2Context, id: string, region = ctx.region): Snapshot {
  const found = region.snapshots.get(id);
  if (!found) throw new AwsError("InvalidSnapshot.NotFound", `The snapshot '${id}' does not exist.`);
  return found;
}

export function getImage(ctx: Ec2Context, id: string): Image {
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
