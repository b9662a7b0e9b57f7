import { z } from "zod";
import { ISO_TIME_EXAMPLE, parseIsoTime } from "../lib/restore/time";
import { VOLUME_TYPES } from "../lib/restore/validate";

/**
 * Input of the restore state machine (documented in README, "Recovery"). Region defaults to the
 * stack's; exactly one of host and instanceId.
 */
export const restoreRequestSchema = z
  .object({
    host: z.string().min(1).optional(),
    instanceId: z
      .string()
      .regex(/^i-[0-9a-f]+$/, "must be an instance id like i-0123456789abcdef0")
      .optional(),
    device: z.string().regex(/^\/dev\/\w+$/, "must be a device name like /dev/xvda"),
    at: z
      .string()
      .refine((v) => parseIsoTime(v) !== undefined, {
        message: `must be an ISO 8601 time with a zone on a real calendar day, like ${ISO_TIME_EXAMPLE}`,
      })
      .optional(),
    region: z.string().min(1).optional(),
    az: z.string().min(1).optional(),
    sizeGiB: z.number().int().min(1).optional(),
    volumeType: z.enum(VOLUME_TYPES as [string, ...string[]]).optional(),
    attach: z.boolean().optional(),
    stop: z.boolean().optional(),
    start: z.boolean().optional(),
    rollback: z.boolean().optional(),
    volumeId: z
      .string()
      .regex(/^vol-[0-9a-f]+$/, "must be a volume id like vol-0123456789abcdef0")
      .optional(),
    dryRun: z.boolean().optional(),
  })
  .strict()
  .refine((r) => (r.host === undefined) !== (r.instanceId === undefined), {
    message: "give exactly one of host and instanceId",
  });

const tags = z.record(z.string(), z.string());
const nullableString = z.string().nullable();

export const restorePlanSchema = z.object({
  mode: z.enum(["restore", "rollback"]),
  token: z.string(),
  request: z.object({ region: z.string(), device: z.string() }).loose(),
  region: z.string(),
  device: z.string(),
  at: nullableString,
  instance: z.object({
    instanceId: z.string(),
    host: z.string(),
    state: z.string(),
    availabilityZone: z.string(),
    rootDeviceName: z.string(),
  }),
  isRootDevice: z.boolean(),
  snapshot: z
    .object({
      snapshotId: z.string(),
      region: z.string(),
      state: z.string(),
      progress: z.string(),
      takenAt: z.string(),
      sizeGiB: z.number(),
      encrypted: z.boolean(),
      kmsKeyId: nullableString,
      instanceId: z.string(),
      host: z.string(),
      device: z.string(),
      volumeId: z.string(),
      sourceSnapshotId: nullableString,
      sourceRegion: nullableString,
    })
    .nullable(),
  volume: z.object({
    volumeId: nullableString,
    availabilityZone: z.string(),
    sizeGiB: z.number(),
    volumeType: z.string(),
    iops: z.number().nullable(),
    throughput: z.number().nullable(),
    encrypted: z.boolean(),
    kmsKeyId: nullableString,
    tags,
  }),
  currentVolumeId: nullableString,
  attach: z.boolean(),
  stopInstance: z.boolean(),
  stopReason: nullableString,
  startAfter: z.boolean(),
  steps: z.array(
    z.enum([
      "create-volume",
      "stop-instance",
      "tag-replaced",
      "detach-volume",
      "attach-volume",
      "start-instance",
    ]),
  ),
  checks: z.array(z.string()),
  notes: z.array(z.string()),
  dryRun: z.boolean(),
});

export const progressSchema = z.object({
  index: z.number().int().min(0),
  volumeId: nullableString,
  check: z
    .enum(["volume-available", "instance-stopped", "volume-detached", "volume-attached", "instance-running"])
    .nullable(),
  wait: z.number().min(0),
  attempt: z.number().int().min(0),
  deadline: nullableString,
  ready: z.boolean(),
  done: z.boolean(),
  state: nullableString,
});

export const restoreStepInputSchema = z.object({ plan: restorePlanSchema, progress: progressSchema });
