import { z } from "zod";
import { describeCaught } from "../lib/errors";
import { publishSummary } from "../lib/summarize";
import { defineHandler } from "./common";

const schema = z.object({
  runId: z.string().min(1),
  bucket: z.string().min(1),
  run: z
    .object({
      fleet: z
        .object({ ResultWriterDetails: z.object({ Bucket: z.string(), Key: z.string() }).optional() })
        .optional(),
      fleetError: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
    })
    .optional(),
});

export const { make, handler } = defineHandler("summarize", schema, (input, { config, deps }) =>
  publishSummary(
    {
      runId: input.runId,
      bucket: input.bucket,
      region: config.region,
      topicArn: config.topicArn,
      namespace: config.metricNamespace,
      results: input.run?.fleet?.ResultWriterDetails,
      abortedBecause: input.run?.fleetError ? describeCaught(input.run.fleetError) : undefined,
    },
    deps,
  ),
);
