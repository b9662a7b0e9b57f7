import { z } from "zod";
import { copyToDr } from "../lib/snapshot";
import { defineHandler } from "./common";
import { driveItemSchema } from "./schemas";

const schema = z.object({ item: driveItemSchema, snapshotId: z.string().min(1) });

export const { make, handler } = defineHandler("copySnapshot", schema, (input, { deps }) =>
  copyToDr(input.item, input.snapshotId, deps),
);
