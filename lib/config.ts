import { z } from "zod";
import { ConfigError } from "./errors";
import { DEFAULT_NAMESPACE } from "./metric-names";
import { isValidTimeZone, parseRetention } from "./retention";

/** Environment every snapfleet function reads, parsed once at start. */
export const configSchema = z.object({
  AWS_REGION: z.string().min(1),
  SNAPFLEET_DR_REGION: z.string().default(""),
  SNAPFLEET_SELECTION_TAG: z.string().min(1).default("Backup"),
  SNAPFLEET_DEFAULT_RETENTION: z
    .string()
    .default("7")
    .refine((value) => parseRetention(value).ok, {
      message: "must follow the retention grammar, for example 7 or 7d",
    }),
  SNAPFLEET_METRIC_NAMESPACE: z.string().min(1).default(DEFAULT_NAMESPACE),
  SNAPFLEET_TOPIC_ARN: z.string().default(""),
  SNAPFLEET_RETENTION_TIMEZONE: z
    .string()
    .default("UTC")
    .refine(isValidTimeZone, { message: "must be an IANA time zone such as UTC or Europe/Berlin" }),
  SNAPFLEET_ORPHANS: z.enum(["keep", "apply-recorded"]).default("keep"),
  SNAPFLEET_BUCKET: z.string().default(""),
  SNAPFLEET_DR_KMS_KEY: z.string().default(""),
  SNAPFLEET_COPY_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(20),
  SNAPFLEET_FREEZE_DOCUMENT: z.string().default("snapfleet-fsfreeze"),
  SNAPFLEET_API_HEADROOM: z.coerce.number().min(0).max(0.9).default(0.1),
  AWS_ENDPOINT_URL: z.string().optional(),
});

/**
 * DR copies beside their originals protect nothing. The stack's rule DrRegionIsAnotherRegion
 * refuses the same at deploy time; this covers an environment set some other way.
 */
const checkedSchema = configSchema.refine((e) => e.SNAPFLEET_DR_REGION !== e.AWS_REGION, {
  path: ["SNAPFLEET_DR_REGION"],
  message:
    "equals AWS_REGION, the stack's own region: DR copies beside their originals protect nothing. " +
    "Set the stack parameter DrRegion to another region",
});

export interface Config {
  region: string;
  drRegion: string;
  selectionTag: string;
  defaultRetention: string;
  metricNamespace: string;
  topicArn: string;
  /** Time zone of retention periods (days, weeks, months, years). */
  timeZone: string;
  /** Snapshots of volumes that are gone or no longer selected: kept, or pruned by their recorded policy. */
  orphans: "keep" | "apply-recorded";
  /** KMS key (id, alias or ARN in the DR region) for copies of encrypted snapshots; "" = default EBS key. */
  drKmsKeyId: string;
  /** S3 bucket for run manifests (plan, progress, results). */
  bucket: string;
  /** Concurrent DR copies (AWS allows 20 per destination region). */
  copyConcurrency: number;
  /** Share of each EC2 API bucket left to other tools in the account. */
  apiHeadroom: number;
  /** The stack's SSM document that freezes a Linux server's file systems (with a watchdog). */
  freezeDocument: string;
  endpoint: string | undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = checkedSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(
      `snapfleet configuration is invalid: ${problems.join("; ")}. Set these environment variables.`,
    );
  }
  const e = parsed.data;
  return {
    region: e.AWS_REGION,
    drRegion: e.SNAPFLEET_DR_REGION,
    selectionTag: e.SNAPFLEET_SELECTION_TAG,
    defaultRetention: e.SNAPFLEET_DEFAULT_RETENTION,
    metricNamespace: e.SNAPFLEET_METRIC_NAMESPACE,
    topicArn: e.SNAPFLEET_TOPIC_ARN,
    timeZone: e.SNAPFLEET_RETENTION_TIMEZONE,
    orphans: e.SNAPFLEET_ORPHANS,
    bucket: e.SNAPFLEET_BUCKET,
    drKmsKeyId: e.SNAPFLEET_DR_KMS_KEY,
    copyConcurrency: e.SNAPFLEET_COPY_CONCURRENCY,
    apiHeadroom: e.SNAPFLEET_API_HEADROOM,
    freezeDocument: e.SNAPFLEET_FREEZE_DOCUMENT,
    endpoint: e.AWS_ENDPOINT_URL,
  };
}
