import { z } from "zod";

/** Input shapes of the Lambda steps, as the state machine passes them. */
export const tagMapSchema = z.record(z.string(), z.string());

export const driveItemSchema = z.object({
  runId: z.string().min(1),
  region: z.string().min(1),
  drRegion: z.string(),
  instanceId: z.string().min(1),
  host: z.string(),
  device: z.string().min(1),
  volumeId: z.string().min(1),
  sizeGiB: z.number(),
  tags: tagMapSchema,
  prune: z.array(z.string()),
  drPrune: z.array(z.string()),
  drRetention: z.string().optional(),
  retentionError: z.string().optional(),
});

export const startedSnapshotSchema = z.object({
  snapshotId: z.string().min(1),
  region: z.string().min(1),
  wait: z.number().int().min(0),
  attempt: z.number().int().min(0),
});

export const snapshotStatusSchema = startedSnapshotSchema.extend({
  state: z.string().optional(),
  progress: z.string().optional(),
  startTime: z.string().nullable().optional(),
  completionTime: z.string().nullable().optional(),
  sizeGiB: z.number().nullable().optional(),
});

export const pruneResultSchema = z.object({
  deleted: z.array(z.string()),
  skipped: z.array(z.object({ snapshotId: z.string(), reason: z.string() })),
});

export const caughtErrorSchema = z.object({ Error: z.string().optional(), Cause: z.string().optional() });

export const driveRecordSchema = z.object({
  instanceId: z.string(),
  host: z.string(),
  device: z.string(),
  volumeId: z.string(),
  sizeGiB: z.number(),
  snapshotId: z.string().nullable(),
  snapshotState: z.string().nullable(),
  elapsedSeconds: z.number().nullable(),
  pruned: z.array(z.string()),
  drSnapshotId: z.string().nullable(),
  drPruned: z.array(z.string()),
  status: z.enum(["ok", "failed"]),
  reason: z.string().nullable(),
});

export const orphanGroupSchema = z.object({
  region: z.string(),
  volumeId: z.string(),
  instanceId: z.string(),
  host: z.string(),
  snapshots: z.number(),
  newestSnapshotId: z.string(),
  newestStartTime: z.string(),
  recordedPolicy: z.string().nullable(),
  prune: z.array(z.string()),
  note: z.string(),
});
