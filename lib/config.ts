import { z } from "zod";
import { ConfigError } from "./errors";
import { DEFAULT_NAMESPACE } from "./metric-names";
import { parseRetention } from "./retention";

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
  AWS_ENDPOINT_URL: z.string().optional(),
});

export interface Config {
  region: string;
  drRegion: string;
  selectionTag: string;
  defaultRetention: string;
  metricNamespace: string;
  topicArn: string;
  endpoint: string | undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
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
    endpoint: e.AWS_ENDPOINT_URL,
  };
}
