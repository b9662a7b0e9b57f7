import { z } from "zod";
import { publishSummary } from "../lib/summarize";
import { defineHandler } from "./common";
import { driveRecordSchema, orphanGroupSchema, pruneResultSchema } from "./schemas";

const schema = z.object({
  runId: z.string().min(1),
  startedAt: z.string().min(1),
  results: z.array(z.array(driveRecordSchema)),
  skipped: z.array(z.object({ instanceId: z.string(), volumeId: z.string().optional(), reason: z.string() })),
  orphans: z.array(orphanGroupSchema).default([]),
  orphanResults: z.array(pruneResultSchema.extend({ error: z.string().optional() })).default([]),
});

export const { make, handler } = defineHandler("summarize", schema, (input, { config, deps }) =>
  publishSummary(
    { ...input, region: config.region, topicArn: config.topicArn, namespace: config.metricNamespace },
    deps,
  ),
);
