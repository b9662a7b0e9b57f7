import { missingParameter } from "../errors";
import { type Input, obj, objList, str } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { type Ec2Context, newId } from "./model";
import { getImage, getSnapshot } from "./resources";
import { tagsFor } from "./tags";

/**
 * Minimal AMIs: enough to pin that a snapshot backing an image cannot be deleted.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RegisterImage.html
 */
export function registerImage(ctx: Ec2Context, input: Input): Output {
  const name = str(input, "Name");
  if (name === undefined) throw missingParameter("Name");
  const snapshotIds = objList(input, "BlockDeviceMapping")
    .map((m) => str(obj(m, "Ebs") ?? {}, "SnapshotId"))
    .filter((id): id is string => id !== undefined);
  for (const id of snapshotIds) getSnapshot(ctx, id);
  const imageId = newId("ami");
  // AWS's Windows AMIs are named `Windows_Server-...`; a registered image so named launches Windows instances.
  const platform = /^windows/i.test(name) ? { platform: "windows" as const } : {};
  ctx.region.images.set(imageId, { imageId, name, snapshotIds, ...platform, tags: tagsFor(input, "image") });
  return { imageId };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeregisterImage.html */
export function deregisterImage(ctx: Ec2Context, input: Input): Output {
  const imageId = str(input, "ImageId");
  if (imageId === undefined) throw missingParameter("ImageId");
  getImage(ctx, imageId);
  ctx.region.images.delete(imageId);
  return { return: true };
}
