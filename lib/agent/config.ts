import { z } from "zod";
import { DEFAULT_NAMESPACE } from "../metric-names";
import { isValidTimeZone } from "../retention";
import { AgentConfigError } from "./errors";

/**
 * One small JSON file per server (default /etc/snapfleet/agent.json). `retention` is kept as text:
 * an invalid policy is not a configuration error but a reported failure of each run (Errors=1,
 * nothing pruned), as for an EC2 instance's Retention tag.
 */
export const agentConfigSchema = z
  .object({
    /** The Server dimension and restic's --host; default: the SSM managed-instance id, else the host name. */
    server: z.string().min(1).max(255).optional(),
    paths: z
      .array(z.string().regex(/^\//, "must be an absolute path"))
      .min(1, "list at least one path to back up"),
    excludes: z.array(z.string().min(1)).default([]),
    /** A restic repository, e.g. s3:https://s3.us-east-1.amazonaws.com/BUCKET/agents/SERVER */
    repository: z.string().min(1),
    /** restic's s3.bucket-lookup: path-style for emulators and S3-compatible stores. */
    bucketLookup: z.enum(["auto", "dns", "path"]).default("auto"),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be an AWS region such as us-east-1"),
    /** A file holding the repository password (mode 0600); else RESTIC_PASSWORD(_FILE) from the environment. */
    passwordFile: z.string().regex(/^\//, "must be an absolute path").optional(),
    retention: z.string().default("7d,4w,12m"),
    timeZone: z.string().default("UTC").refine(isValidTimeZone, "must be an IANA time zone such as UTC"),
    /** Daily at HH:MM (server time) or "hourly". */
    schedule: z
      .string()
      .regex(/^(hourly|([01]\d|2[0-3]):[0-5]\d)$/, 'must be "HH:MM" (daily) or "hourly"')
      .default("02:00"),
    namespace: z.string().min(1).max(255).default(DEFAULT_NAMESPACE),
    /** The stack's AlarmTopicArn: `install` then creates this server's missed-backup alarm. */
    alarmTopicArn: z
      .string()
      .regex(
        /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/,
        "must be an SNS topic ARN (the stack's AlarmTopicArn output)",
      )
      .optional(),
    /** Hours without a report before that alarm fires; default: 25 for a daily schedule, 2 for hourly. */
    missedBackupHours: z.number().int().min(1).max(168).optional(),
    cacheDir: z.string().regex(/^\//, "must be an absolute path").optional(),
    lockFile: z.string().regex(/^\//, "must be an absolute path").default("/run/lock/snapfleet-agent.lock"),
  })
  .strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;

/** Parses the file's text; the error names the first offending field, e.g. `paths[1]: must be an absolute path`. */
export function parseAgentConfig(text: string, file: string): AgentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new AgentConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = agentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = (issue?.path ?? [])
      .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${String(p)}`))
      .join("");
    const message =
      issue?.code === "unrecognized_keys"
        ? `unknown field ${issue.keys.join(", ")}`
        : `${field || "(file)"}: ${issue?.message ?? "invalid"}`;
    throw new AgentConfigError(`${file}: ${message}`, field || undefined);
  }
  return parsed.data;
}
