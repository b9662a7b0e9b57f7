import { z } from "zod";
import { Budgets } from "../lib/budget";
import { ConfigError } from "../lib/errors";
import { reportRunStarted } from "../lib/metrics";
import { planRun } from "../lib/plan";
import { markRunStarted } from "../lib/run-markers";
import { manifestKey, metaKey, putJson, type RunMeta, resultsPrefix } from "../lib/store";
import { timetable } from "../lib/timetable";
import { defineHandler } from "./common";

const schema = z.object({ runId: z.string().min(1) });

/**
 * Plans the run: the manifest (one item per instance, each volume with its slots in the run's
 * timetable) and the run's facts for the digest go to S3; only counts and keys go back.
 */
export const { make, handler } = defineHandler("plan", schema, async (input, { config, deps }) => {
  if (!config.bucket)
    throw new ConfigError("SNAPFLEET_BUCKET is not set: the run's manifests need an S3 bucket.");
  await markRunStarted(config.bucket, input.runId, deps);
  await reportRunStarted(config.metricNamespace, deps);
  const plan = await planRun(
    {
      runId: input.runId,
      region: config.region,
      drRegion: config.drRegion,
      selectionTag: config.selectionTag,
      defaultRetention: config.defaultRetention,
      timeZone: config.timeZone,
      orphans: config.orphans,
      bucket: config.bucket,
    },
    deps,
    new Budgets(config.apiHeadroom),
  );
  const drives = plan.instances.flatMap((i) => i.drives);
  const slots = timetable(drives, {
    start: deps.clock.now(),
    headroom: config.apiHeadroom,
    copySlots: config.drRegion ? config.copyConcurrency : 0,
  });
  const manifest = plan.instances.map((i) => {
    const scheduled = i.drives.map((d) => ({ ...d, ...slots.get(d.volumeId) }));
    // A set is requested at its server's first slot: the drives' own slots then find it made.
    const setAt = scheduled.map((d) => d.snapshotAt ?? plan.startedAt).sort()[0] ?? plan.startedAt;
    return {
      instanceId: i.instanceId,
      host: i.host,
      consistency: { ...i.consistency, setAt },
      // What the drives follow unless the Set step replaces it (servers that ask for a set).
      set: { mode: "volume", requested: i.consistency.requested, snapshots: {} },
      drives: scheduled,
    };
  });
  const meta: RunMeta = {
    runId: plan.runId,
    startedAt: plan.startedAt,
    region: config.region,
    drRegion: config.drRegion,
    drives: drives.length,
    skipped: plan.skipped,
    orphans: plan.orphans,
    tagProblems: plan.tagProblems,
    notOurs: plan.notOurs,
    held: plan.held,
  };
  const [manifestBytes] = await Promise.all([
    putJson(config.bucket, manifestKey(plan.runId), manifest, deps),
    putJson(config.bucket, metaKey(plan.runId), meta, deps),
  ]);
  return {
    runId: plan.runId,
    startedAt: plan.startedAt,
    bucket: config.bucket,
    manifestKey: manifestKey(plan.runId),
    resultsPrefix: resultsPrefix(plan.runId),
    manifestBytes,
    drKmsKeyId: config.drKmsKeyId,
    instances: plan.instances.length,
    drives: drives.length,
  };
});
