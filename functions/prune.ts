import { z } from "zod";
import { pruneSnapshots } from "../lib/prune";
import { defineHandler } from "./common";

const schema = z.object({
  region: z.string().min(1),
  volumeId: z.string().min(1),
  newSnapshotId: z.string().min(1),
  newSnapshotState: z.string(),
  candidates: z.array(z.string()),
});

export const { make, handler } = defineHandler("prune", schema, (input, { deps }) =>
  pruneSnapshots(input, deps),
);
