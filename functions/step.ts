import { z } from "zod";
import { stepDrive } from "../lib/drive-step";
import { defineHandler } from "./common";

/** The drive item and its progress travel through the state machine; zod checks their outline. */
const schema = z.object({
  item: z
    .object({
      runId: z.string().min(1),
      region: z.string().min(1),
      drRegion: z.string(),
      instanceId: z.string().min(1),
      volumeId: z.string().min(1),
      device: z.string(),
      snapshotAt: z.string(),
      prune: z.array(z.string()),
      drPrune: z.array(z.string()),
    })
    .passthrough(),
  progress: z
    .object({
      phase: z.enum(["start", "snapshotting", "copy-wait", "copying", "done"]),
      wakeAt: z.string(),
      done: z.boolean(),
      pruned: z.array(z.string()),
      drPruned: z.array(z.string()),
      errorsDeleted: z.array(z.string()),
      waits: z.number(),
    })
    .passthrough(),
  uncertain: z.boolean(),
  drKmsKeyId: z.string().default(""),
});

/**
 * One step of one volume's backup (lib/drive-step.ts); the state machine waits between steps. It
 * answers with the iteration's whole state: a step that answered resets the count of steps that
 * ended without an answer, so only consecutive crashes give a drive up.
 */
export const { make, handler } = defineHandler("step", schema, async (input, { deps }) => {
  const progress = await stepDrive(input as unknown as Parameters<typeof stepDrive>[0], deps);
  return { item: input.item, progress, drKmsKeyId: input.drKmsKeyId, uncertain: false, attempts: 0 };
});
