import { z } from "zod";
import { ConfigError } from "../lib/errors";
import { reportRunStarted } from "../lib/metrics";
import { planRun } from "../lib/plan";
import { Budgets } from "../lib/run/budget";
import type { RunPlan } from "../lib/run/state";
import { planKey, putJson } from "../lib/run/store";
import { defineHandler } from "./common";

const schema = z.object({ runId: z.string().min(1) });

/** Plans the run and stores the plan in S3; only counts and the key go back to the state machine. */
export const { make, handler } = defineHandler("plan", schema, async (input, { config, deps }) => {
  if (!config.bucket)
    throw new ConfigError("SNAPFLEET_BUCKET is not set: the run's manifests need an S3 bucket.");
  await reportRunStarted(config.metricNamespace, deps);
  const budgets = new Budgets({}, config.apiHeadroom);
  const plan = await planRun(
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
    budgets,
  );
  const stored: RunPlan = {
    runId: plan.runId,
    startedAt: plan.startedAt,
    region: config.region,
    drRegion: config.drRegion,
    drives: plan.instances.flatMap((i) => i.drives),
    skipped: plan.skipped,
    orphans: plan.orphans,
    drKmsKeyId: config.drKmsKeyId,
    budgets: budgets.snapshot(),
  };
  const bytes = await putJson(config.bucket, planKey(plan.runId), stored, deps);
  return {
    runId: plan.runId,
    startedAt: plan.startedAt,
    bucket: config.bucket,
    planKey: planKey(plan.runId),
    planBytes: bytes,
    instances: plan.instances.length,
    drives: stored.drives.length,
    skipped: plan.skipped.length,
    orphans: plan.orphans.length,
  };
});
