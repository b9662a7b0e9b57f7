import { PublishCommand } from "@aws-sdk/client-sns";
import type { Deps } from "./deps";
import type { DriveRecord } from "./drive";
import { type FleetFigures, fleetMetrics, putMetrics } from "./metrics";
import type { OrphanGroup } from "./plan";
import type { PruneResult } from "./prune";

export interface SummarizeProps {
  runId: string;
  startedAt: string;
  region: string;
  topicArn: string;
  namespace: string;
  results: DriveRecord[][];
  skipped: { instanceId: string; volumeId?: string | undefined; reason: string }[];
  orphans?: OrphanGroup[] | undefined;
  orphanResults?: (PruneResult & { error?: string | undefined })[] | undefined;
}

export interface RunSummary extends FleetFigures {
  runId: string;
  orphanSnapshotsDeleted: number;
  subject: string;
  message: string;
  drives: DriveRecord[];
}

/** Beyond this many drives, successes are counted in the digest rather than listed. */
export const LIST_SUCCESSES_UP_TO = 36;

export function summarizeRun(props: Omit<SummarizeProps, "topicArn" | "namespace">, now: Date): RunSummary {
  const drives = props.results.flat();
  const failed = drives.filter((d) => d.status === "failed");
  const ok = drives.filter((d) => d.status === "ok");
  const figures: FleetFigures = {
    volumesBackedUp: ok.length,
    volumesFailed: failed.length,
    maxElapsedSeconds: Math.max(0, ...drives.map((d) => d.elapsedSeconds ?? 0)),
    runDurationSeconds: Math.max(0, (now.getTime() - Date.parse(props.startedAt)) / 1000),
  };
  const verdict = failed.length === 0 ? "OK" : `${failed.length} FAILED`;
  const subject = `snapfleet ${props.region}: ${verdict}, ${ok.length}/${drives.length} drives backed up`;
  const lines = [
    `Run ${props.runId} in ${props.region}, started ${props.startedAt}.`,
    `Drives backed up: ${ok.length}. Failed: ${failed.length}. Skipped: ${props.skipped.length}.`,
    `Slowest snapshot: ${figures.maxElapsedSeconds} s. Run duration: ${figures.runDurationSeconds} s.`,
    "",
  ];
  if (failed.length > 0) {
    lines.push("Failed drives:");
    for (const d of failed) {
      lines.push(`- ${d.host} (${d.instanceId}) ${d.device} ${d.volumeId}: ${d.reason}`);
      lines.push(
        `  Logs Insights: fields @timestamp, level, message | filter instanceId = "${d.instanceId}" and volumeId = "${d.volumeId}" | sort @timestamp asc`,
      );
    }
    lines.push("");
  }
  if (ok.length > 0 && drives.length <= LIST_SUCCESSES_UP_TO) {
    lines.push("Backed up:");
    for (const d of ok) lines.push(`- ${d.host} (${d.instanceId}) ${d.device}: ${d.snapshotId}`);
  } else if (ok.length > 0) {
    lines.push(`${ok.length} drives backed up without error (not listed).`);
  }
  for (const s of props.skipped)
    lines.push(`Skipped ${s.instanceId}${s.volumeId ? ` ${s.volumeId}` : ""}: ${s.reason}`);
  const orphanSnapshotsDeleted = orphanLines(props, lines);
  return {
    runId: props.runId,
    subject: subject.slice(0, 99),
    message: lines.join("\n"),
    drives,
    orphanSnapshotsDeleted,
    ...figures,
  };
}

/** Beyond this many orphaned volumes, the digest counts them instead of listing each. */
export const LIST_ORPHANS_UP_TO = 20;

function orphanLines(props: Omit<SummarizeProps, "topicArn" | "namespace">, lines: string[]): number {
  const orphans = props.orphans ?? [];
  const results = props.orphanResults ?? [];
  const deleted = results.reduce((n, r) => n + r.deleted.length, 0);
  if (orphans.length === 0) return deleted;
  const total = orphans.reduce((n, o) => n + o.snapshots, 0);
  lines.push(
    "",
    `Orphaned snapshots (volume gone or no longer selected): ${orphans.length} volume(s), ${total} snapshot(s), ${deleted} deleted this run.`,
  );
  orphans.slice(0, LIST_ORPHANS_UP_TO).forEach((o, i) => {
    const failed = results[i]?.error ? ` PRUNE FAILED: ${results[i]?.error}` : "";
    const who = o.host ? `${o.host} (${o.instanceId})` : o.instanceId || "unknown instance";
    lines.push(
      `- ${o.region} ${o.volumeId} of ${who}: ${o.snapshots} snapshot(s), newest ${o.newestStartTime}; ${o.note}.${failed}`,
    );
  });
  if (orphans.length > LIST_ORPHANS_UP_TO) lines.push(`... and ${orphans.length - LIST_ORPHANS_UP_TO} more.`);
  return deleted;
}

/** One SNS digest and the fleet-level metrics, once per run. */
export async function publishSummary(props: SummarizeProps, deps: Deps): Promise<RunSummary> {
  const summary = summarizeRun(props, deps.clock.now());
  await putMetrics(props.namespace, fleetMetrics(summary, deps.clock.now()), deps);
  if (props.topicArn) {
    await deps.sns.send(
      new PublishCommand({ TopicArn: props.topicArn, Subject: summary.subject, Message: summary.message }),
    );
  } else {
    deps.log.warn("no SNS topic configured; digest only logged", { subject: summary.subject });
  }
  deps.log.info("run summarized", { subject: summary.subject });
  return summary;
}
