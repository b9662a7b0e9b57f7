import { createSnapshot } from "../lib/snapshot";
import { defineHandler } from "./common";
import { driveItemSchema } from "./schemas";

export const { make, handler } = defineHandler("createSnapshot", driveItemSchema, (input, { deps }) =>
  createSnapshot(input, deps),
);
