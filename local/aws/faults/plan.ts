import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * A fault plan: what goes wrong during one run, reproducibly. Loaded from JSON (`local:aws --faults
 * plan.json`) or given as `EmulatorOptions.faults`. Every part is optional.
 *
 * ```json
 * {
 *   "seed": 42,
 *   "rules": [
 *     { "action": "CreateSnapshot", "region": "us-east-1", "throttle": 0.1, "error": 0.02, "timeout": 0.01 },
 *     { "action": "CopySnapshot", "region": "us-west-2", "resourceLimit": 0.2 },
 *     { "service": "cloudwatch", "action": "PutMetricData", "calls": [1, 2], "kind": "error" }
 *   ],
 *   "timeout": { "holdMs": 5000, "applied": 0.5 },
 *   "snapshots": { "errorRate": 0.05, "errorVolumeTags": ["Name=db-1-logs"], "copyErrorRate": 0.01 },
 *   "kms": { "missing": [{ "region": "us-west-2", "keyIds": ["alias/snapfleet-dr"] }] },
 *   "triggers": [
 *     { "after": { "action": "CreateSnapshot", "region": "us-east-1", "count": 3 },
 *       "do": [{ "type": "deleteVolume", "region": "us-east-1", "volumeTag": "Name=web-1-data" }] },
 *     { "at": "2026-01-01T03:10:00Z", "do": { "type": "terminateInstance", "region": "us-east-1", "instanceTag": "Name=db-1" } }
 *   ]
 * }
 * ```
 *
 * Resource ids are random, so a plan written before the run names volumes and instances by tag
 * (`Key=Value`); `Emulator.setFaults(plan)` installs a plan once the resources exist.
 *
 * Request faults (`rules`) are injected before the operation runs, so a refused call changes
 * nothing, except a timeout whose `applied` draw says the operation ran and only its answer was lost.
 */
const rate = z.number().min(0).max(1);
const oneOrMany = z.union([z.string(), z.array(z.string())]);
const service = z.enum(["ec2", "cloudwatch", "sns"]);

export const FAULT_KINDS = ["throttle", "error", "resourceLimit", "timeout"] as const;
export type RequestFaultKind = (typeof FAULT_KINDS)[number];

const rule = z
  .object({
    /** Which calls the rule applies to; each filter left out matches every call. */
    service: service.optional(),
    action: oneOrMany.optional(),
    region: oneOrMany.optional(),
    /** Only calls that name this resource id (VolumeId, SnapshotId, SourceSnapshotId, InstanceId.N, ...). */
    resourceId: z.string().optional(),
    /** Rates (0..1, summing to at most 1) of `RequestLimitExceeded`/`Throttling`/`Throttled`... */
    throttle: rate.optional(),
    /** ... of `InternalError` (EC2, SNS) / `InternalServiceError` (CloudWatch), HTTP 500 ... */
    error: rate.optional(),
    /** ... of `ResourceLimitExceeded` (HTTP 400; EC2 calls only, meant for CopySnapshot) ... */
    resourceLimit: rate.optional(),
    /** ... and of timeouts (see the plan's `timeout`). */
    timeout: rate.optional(),
    /** Instead of rates: inject `kind` on exactly these matching calls (1-based, counted per region and action). */
    calls: z.array(z.number().int().min(1)).optional(),
    kind: z.enum(FAULT_KINDS).optional(),
    /** Stop injecting after this many faults from this rule. */
    maxFaults: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((r) => (r.throttle ?? 0) + (r.error ?? 0) + (r.resourceLimit ?? 0) + (r.timeout ?? 0) <= 1 + 1e-9, {
    message: "throttle + error + resourceLimit + timeout must not exceed 1",
  })
  .refine((r) => (r.calls === undefined) === (r.kind === undefined), {
    message: "calls and kind go together",
  });

/** `Key=Value`: the resources carrying that tag (resolved when the trigger fires). */
const tagSelector = z.string().regex(/^[^=]+=.*$/, "must look like Key=Value");
const volumeTarget = {
  region: z.string(),
  volumeId: z.string().optional(),
  volumeTag: tagSelector.optional(),
};
const oneTarget = (a: { volumeId?: string | undefined; volumeTag?: string | undefined }) =>
  (a.volumeId === undefined) !== (a.volumeTag === undefined);

const triggerAction = z.discriminatedUnion("type", [
  /** Detach the volume(s) from their instance (as if someone did it by hand). */
  z
    .object({ type: z.literal("detachVolume"), ...volumeTarget })
    .strict()
    .refine(oneTarget, { message: "give either volumeId or volumeTag" }),
  /** Delete the volume(s), detaching them first when attached. */
  z
    .object({ type: z.literal("deleteVolume"), ...volumeTarget })
    .strict()
    .refine(oneTarget, { message: "give either volumeId or volumeTag" }),
  /** Terminate the instance(s) (their delete-on-termination volumes go with them). */
  z
    .object({
      type: z.literal("terminateInstance"),
      region: z.string(),
      instanceId: z.string().optional(),
      instanceTag: tagSelector.optional(),
    })
    .strict()
    .refine((a) => (a.instanceId === undefined) !== (a.instanceTag === undefined), {
      message: "give either instanceId or instanceTag",
    }),
  /** Make a KMS key of the region missing; without `keyId`, every customer-managed key there. */
  z.object({ type: z.literal("deleteKmsKey"), region: z.string(), keyId: z.string().optional() }).strict(),
]);

const trigger = z
  .object({
    /** Fires once, right after the `count`-th call (default 1) matching these filters has been handled. */
    after: z
      .object({
        service: service.optional(),
        action: z.string(),
        region: z.string().optional(),
        resourceId: z.string().optional(),
        count: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
    /** Or fires once, before the first request at or after this time of the emulator's clock. */
    at: z.iso.datetime({ offset: true }).optional(),
    do: z.union([triggerAction, z.array(triggerAction)]),
  })
  .strict()
  .refine((t) => (t.after === undefined) !== (t.at === undefined), { message: "give either after or at" });

export const faultPlanSchema = z
  .object({
    /** Seed of every random choice; the same plan and the same calls give the same faults. */
    seed: z.union([z.number(), z.string()]).optional(),
    rules: z.array(rule).optional(),
    timeout: z
      .object({
        /** How long (real milliseconds) the server holds the request before closing the connection; default 30000. */
        holdMs: z.number().int().min(0).optional(),
        /** Close the connection at once (ECONNRESET on the client) instead of holding it. */
        reset: z.boolean().optional(),
        /** Whether the operation runs before its answer is lost: true, false (default) or a probability. */
        applied: z.union([z.boolean(), rate]).optional(),
      })
      .strict()
      .optional(),
    snapshots: z
      .object({
        /** Rate of new snapshots (CreateSnapshot) that end in `error` once their duration has elapsed. */
        errorRate: rate.optional(),
        /** Volumes whose new snapshots always end in `error` (as the `emulator:snapshot-result` tag does)... */
        errorVolumeIds: z.array(z.string()).optional(),
        /** ... and volumes carrying one of these tags (`Key=Value`). */
        errorVolumeTags: z.array(tagSelector).optional(),
        /** Rate of new copies (CopySnapshot) that end in `error`. */
        copyErrorRate: rate.optional(),
      })
      .strict()
      .optional(),
    kms: z
      .object({
        /** KMS keys missing from the start; without `keyIds`, every customer-managed key of the region. */
        missing: z
          .array(z.object({ region: z.string(), keyIds: z.array(z.string()).optional() }).strict())
          .optional(),
      })
      .strict()
      .optional(),
    triggers: z.array(trigger).optional(),
  })
  .strict();

/** The fault plan as written (JSON or `EmulatorOptions.faults`). */
export type FaultPlan = z.input<typeof faultPlanSchema>;
export type FaultRule = z.input<typeof rule>;
export type FaultTrigger = z.input<typeof trigger>;
export type TriggerAction = z.output<typeof triggerAction>;
export type ParsedFaultPlan = z.output<typeof faultPlanSchema>;

/** Validates a plan; the error names the offending path. */
export function parseFaultPlan(value: unknown): ParsedFaultPlan {
  const result = faultPlanSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "(plan)"}: ${i.message}`).join("; ");
    throw new Error(`Invalid fault plan: ${issues}`);
  }
  return result.data;
}

export function loadFaultPlan(path: string): ParsedFaultPlan {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`Cannot read the fault plan ${path}: ${(err as Error).message}`);
  }
  return parseFaultPlan(json);
}
