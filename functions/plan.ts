import { z } from "zod";
import { planRun } from "../lib/plan";
import { defineHandler } from "./common";

const schema = z.object({ runId: z.string().min(1) });

export const { make, handler } = defineHandler("plan", schema, (input, { config, deps }) =>
  planRun(
    {
      runId: input.runId,
      region: config.region,
      drRegion: config.drRegion,
      selectionTag: config.selectionTag,
      defaultRetention: config.defaultRetention,
      timeZone: config.timeZone,
      orphans: config.orphans,
    },
    deps,
  ),
);
