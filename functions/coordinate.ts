import { z } from "zod";
import { DEFAULT_COORDINATOR_OPTIONS } from "../lib/run/context";
import { coordinate } from "../lib/run/coordinator";
import { defineHandler } from "./common";

const schema = z.object({
  runId: z.string().min(1),
  bucket: z.string().min(1),
  invocation: z.string().min(1),
});

export const { make, handler } = defineHandler("coordinate", schema, (input, { config, deps }) =>
  coordinate(
    { bucket: input.bucket, runId: input.runId, invocationId: input.invocation },
    {
      ...DEFAULT_COORDINATOR_OPTIONS,
      copyConcurrency: config.copyConcurrency,
      headroom: config.apiHeadroom,
      namespace: config.metricNamespace,
    },
    deps,
  ),
);
