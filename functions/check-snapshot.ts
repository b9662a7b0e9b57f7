import { checkSnapshot } from "../lib/snapshot";
import { defineHandler } from "./common";
import { startedSnapshotSchema } from "./schemas";

export const { make, handler } = defineHandler("checkSnapshot", startedSnapshotSchema, (input, { deps }) =>
  checkSnapshot(input, deps),
);
