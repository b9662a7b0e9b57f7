import { type CloudWatchClient, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type { Log } from "../deps";
import { parseRetention, type RetentionPolicy } from "../retention";
import type { AgentConfig } from "./config";
import { keepRules } from "./keep-rules";
import { agentRunMetrics, type PathRecord, pathMetrics } from "./metrics";
import { jsonLines, RESTIC_INCOMPLETE, type Restic, resticReason, resticTime } from "./restic";

export interface AgentDeps {
  restic: Restic;
  cloudwatch: CloudWatchClient;
  now(): Date;
  log: Log;
}

export interface AgentRunReport {
  server: string;
  retention: string;
  /** Why retention did not run (invalid policy, failed preflight); null when it ran or had nothing to do. */
  retentionError: string | null;
  pruned: boolean;
  paths: PathRecord[];
}

/** Snapshots the agent makes carry this tag; forget only ever considers tagged snapshots of this host. */
export const AGENT_TAG = "snapfleet";

const seconds = (from: Date, to: Date) => Math.max(0, (to.getTime() - from.getTime()) / 1000);

/**
 * One agent run: each configured path is its own restic snapshot (so Drive = path in the
 * metrics, and one unreadable path does not hide the others). Then, for every path whose backup
 * succeeded, restic forget with the policy's keep rules, and one prune if anything was forgotten.
 * An invalid policy is an error for every path (Errors=1) and nothing is forgotten or pruned; a
 * path that failed keeps all of its snapshots. Metrics go out last, whatever happened.
 */
export async function runAgentBackup(
  props: { config: AgentConfig; server: string },
  deps: AgentDeps,
): Promise<AgentRunReport> {
  const { config, server } = props;
  const runStart = deps.now();
  const policy = parseRetention(config.retention);
  const records: PathRecord[] = [];

  const preflight = await deps.restic.run(["cat", "config"]);
  const repoError =
    preflight.code === 0 ? null : `repository ${config.repository}: ${resticReason(preflight)}`;
  if (repoError)
    deps.log.error("the repository cannot be opened; nothing was backed up", { reason: repoError });

  for (const path of config.paths) {
    const startedAt = deps.now();
    if (repoError) {
      records.push({
        path,
        status: "failed",
        reason: repoError,
        snapshotId: null,
        startedAt,
        elapsedSeconds: null,
        bytes: null,
        forgotten: 0,
      });
      continue;
    }
    records.push(await backupPath(path, startedAt, props, deps));
  }

  let retentionError: string | null = null;
  let pruned = false;
  if (!policy.ok) {
    retentionError = `invalid retention "${config.retention}": ${policy.reason}; nothing was pruned`;
    deps.log.error(retentionError);
    for (const record of records) {
      if (record.status === "ok") Object.assign(record, { status: "failed", reason: retentionError });
    }
  } else if (!repoError) {
    pruned = await applyRetention({ server, policy: policy.policy, records }, deps);
  }

  for (const record of records) {
    const fields = {
      drive: record.path,
      snapshotId: record.snapshotId,
      elapsedSeconds: record.elapsedSeconds,
      bytes: record.bytes,
      forgotten: record.forgotten,
    };
    if (record.status === "ok") deps.log.info("path backed up", fields);
    else deps.log.error("path failed", { ...fields, reason: record.reason });
  }
  await sendMetrics(
    config.namespace,
    [...records.flatMap((r) => pathMetrics(server, r)), ...agentRunMetrics(records, runStart)],
    deps,
  );
  return { server, retention: config.retention, retentionError, pruned, paths: records };
}

/**
 * restic forget with the policy's keep rules for each path that succeeded (one group: this host,
 * the agent's tag, that path), then one prune if anything was forgotten. Failed paths are left
 * alone. Updates the records (forgotten count, or failed with the reason); true when pruned.
 */
export async function applyRetention(
  props: { server: string; policy: RetentionPolicy; records: PathRecord[] },
  deps: Pick<AgentDeps, "restic" | "log">,
): Promise<boolean> {
  let forgottenTotal = 0;
  for (const record of props.records.filter((r) => r.status === "ok")) {
    const result = await deps.restic.run([
      "forget",
      "--json",
      "--host",
      props.server,
      "--tag",
      AGENT_TAG,
      "--path",
      record.path,
      "--group-by",
      "host,paths",
      ...keepRules(props.policy),
    ]);
    if (result.code !== 0) {
      Object.assign(record, {
        status: "failed",
        reason: `retention (restic forget) failed: ${resticReason(result)}`,
      });
      deps.log.error("restic forget failed", { drive: record.path, reason: record.reason });
      continue;
    }
    record.forgotten = forgottenCount(result.stdout);
    forgottenTotal += record.forgotten;
  }
  if (forgottenTotal === 0) return false;
  const result = await deps.restic.run(["prune"]);
  if (result.code === 0) return true;
  const reason = `restic prune failed: ${resticReason(result)}`;
  deps.log.error(reason);
  for (const record of props.records.filter((r) => r.forgotten > 0))
    Object.assign(record, { status: "failed", reason });
  return false;
}

async function backupPath(
  path: string,
  startedAt: Date,
  props: { config: AgentConfig; server: string },
  deps: AgentDeps,
): Promise<PathRecord> {
  const result = await deps.restic.run([
    "backup",
    "--json",
    // The snapshot's time is the agent's clock: the same moment as its metrics' timestamps.
    "--time",
    resticTime(startedAt, props.config.timeZone),
    "--host",
    props.server,
    "--tag",
    AGENT_TAG,
    ...props.config.excludes.flatMap((e) => ["--exclude", e]),
    path,
  ]);
  const elapsed = seconds(startedAt, deps.now());
  const messages = [...jsonLines(result.stdout), ...jsonLines(result.stderr)];
  const summary = messages.find((m) => m.message_type === "summary");
  const snapshotId = typeof summary?.snapshot_id === "string" ? summary.snapshot_id : null;
  const bytes = typeof summary?.total_bytes_processed === "number" ? summary.total_bytes_processed : null;
  const elapsedSeconds = snapshotId
    ? typeof summary?.total_duration === "number"
      ? summary.total_duration
      : elapsed
    : null;
  if (result.code === 0 && snapshotId)
    return { path, status: "ok", reason: null, snapshotId, startedAt, elapsedSeconds, bytes, forgotten: 0 };
  const unreadable = messages
    .filter((m) => m.message_type === "error")
    .map((m) => String(m.item ?? ""))
    .filter(Boolean);
  const reason =
    result.code === RESTIC_INCOMPLETE
      ? `some files could not be read (${unreadable.slice(0, 5).join(", ") || "see restic's output"}); the snapshot is incomplete`
      : `restic backup failed: ${resticReason(result)}`;
  return { path, status: "failed", reason, snapshotId, startedAt, elapsedSeconds, bytes, forgotten: 0 };
}

/** restic forget --json prints one object per group, each with its `remove` list (or null). */
function forgottenCount(stdout: string): number {
  const start = stdout.indexOf("[");
  if (start < 0) return 0;
  try {
    const groups = JSON.parse(stdout.slice(start)) as { remove?: unknown[] | null }[];
    return groups.reduce((n, g) => n + (g.remove?.length ?? 0), 0);
  } catch {
    return 0;
  }
}

/** PutMetricData takes up to 1,000 metrics a request (aws-limits.md); an agent sends a few. */
async function sendMetrics(namespace: string, data: MetricDatum[], deps: AgentDeps): Promise<void> {
  for (let i = 0; i < data.length; i += 1000) {
    const batch = data.slice(i, i + 1000);
    try {
      await deps.cloudwatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: batch }));
    } catch (error) {
      // The run's outcome must not be lost with the metrics: they are in this log line.
      deps.log.error("PutMetricData failed; the metrics are in this log line", {
        namespace,
        metricData: batch,
        error,
      });
    }
  }
}
