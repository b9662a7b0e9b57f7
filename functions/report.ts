import { z } from "zod";
import type { IterationOutput } from "../lib/report";
import { reportServer } from "../lib/report";
import { defineHandler } from "./common";

const schema = z.object({
  instanceId: z.string().min(1),
  host: z.string(),
  volumes: z.array(
    z.object({ item: z.object({}).passthrough(), progress: z.object({}).passthrough() }).passthrough(),
  ),
});

/** The server's drive records and per-drive metrics, after its Volumes map. */
export const { make, handler } = defineHandler("report", schema, (input, { config, deps }) =>
  reportServer(
    {
      instanceId: input.instanceId,
      host: input.host,
      volumes: input.volumes as unknown as IterationOutput[],
      namespace: config.metricNamespace,
    },
    deps,
  ),
);
