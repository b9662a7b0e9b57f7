import { PublishCommand } from "@aws-sdk/client-sns";
import { isFallback } from "./consistency";
import type { Deps } from "./deps";
import type { DriveItem, DriveRecord } from "./drive";
import { describeCaught } from "./errors";
import { type FleetFigures, fleetMetrics, putMetrics } from "./metrics";
import type { OrphanGroup, Plan } from "./plan";
import { deleteSnapshots } from "./prune";
import { recordOf, type ServerReport } from "./report";
import { withRetry } from "./retry";
import { markRunFinished } from "./run-markers";
import { getJson, manifestKey, metaKey, putJson, type RunMeta } from "./store";

/** What the digest is made of: every drive's record, what was skipped, the orphans. */
export interface RunFacts {
  runId: string;
  startedAt: string;
  region: string;
  drives: DriveRecord[];
  skipped: { instanceId: string; volumeId?: string | undefined; reason: string }[];
  orphans?: OrphanGroup[] | undefined;
  orphanDeleted?: string[] | undefined;
  /** Per drive (same order), when the data of its newest DR copy was taken, if it has one. */
  drCopyTimes?: (string | null)[] | undefined;
  tagProblems?: Plan["tagProblems"] | undefined;
  notOurs?: Plan["notOurs"] | undefined;
  held?: Plan["held"] | undefined;
  /** Set when the Fleet map itself failed: drives without a record are reported failed with it. */
  abortedBecause?: string | undefined;
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

export function summarizeRun(props: RunFacts, now: Date): RunSummary {
  const drives = props.drives;
  const failed = drives.filter((d) => d.status === "failed");
  const ok = drives.filter((d) => d.status === "ok");
  const figures: FleetFigures = {
    volumesBackedUp: ok.length,
    volumesFailed: failed.length,
    maxElapsedSeconds: Math.max(0, ...drives.map((d) => d.elapsedSeconds ?? 0)),
    runDurationSeconds: Math.max(0, (now.getTime() - Date.parse(props.startedAt)) / 1000),
    drLagSeconds: drLag(props.drCopyTimes, now),
    consistencyFallbacks: drives.filter((d) => isFallback(d.consistency, d.consistencyRequested)).length,
  };
  const tagProblems = props.tagProblems ?? [];
  const problems = [
    ...(failed.length > 0 ? [`${failed.length} FAILED`] : []),
    ...(tagProblems.length > 0 ? [`${tagProblems.length} NOT BACKED UP (tags)`] : []),
    ...(figures.consistencyFallbacks > 0 ? [`${figures.consistencyFallbacks} LESS CONSISTENT`] : []),
  ];
  const verdict = problems.length === 0 ? "OK" : problems.join(", ");
  const subject = `snapfleet ${props.region}: ${verdict}, ${ok.length}/${drives.length} drives backed up`;
  const lines = [
    `Run ${props.runId} in ${props.region}, started ${props.startedAt}.`,
    ...(props.abortedBecause ? [`The run was cut short: ${props.abortedBecause}`] : []),
    `Drives backed up: ${ok.length}. Failed: ${failed.length}. Skipped: ${props.skipped.length}.`,
    `Slowest snapshot: ${figures.maxElapsedSeconds} s. Run duration: ${figures.runDurationSeconds} s.`,
    ...drLines(props.drCopyTimes, figures.drLagSeconds),
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
  consistencyLines(drives, lines);
  safetyLines(props, lines);
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

function drLag(times: (string | null)[] | undefined, now: Date): number | null {
  const known = (times ?? []).filter((t): t is string => t !== null).map((t) => Date.parse(t));
  if (known.length === 0) return null;
  return Math.max(0, Math.round((now.getTime() - Math.min(...known)) / 1000));
}

function drLines(times: (string | null)[] | undefined, lag: number | null): string[] {
  if (times === undefined) return [];
  const missing = times.filter((t) => t === null).length;
  const lines = lag === null ? [] : [`DR lag (newest DR copy of the stalest drive): ${lag} s.`];
  if (missing > 0) lines.push(`Drives without any DR copy: ${missing}.`);
  return lines;
}

/** Drives that got less than their server's BackupConsistency asks for, or whose tags were off, and why. */
function consistencyLines(drives: DriveRecord[], lines: string[]): void {
  const noted = drives.filter((d) => d.consistencyNote);
  if (noted.length === 0) return;
  lines.push("", `Consistency less than asked for, or a consistency tag problem: ${noted.length} drives.`);
  for (const d of noted.slice(0, LIST_SAFETY_UP_TO))
    lines.push(
      `- ${d.host} (${d.instanceId}) ${d.device}: got ${d.consistency ?? "nothing"}, asked ${d.consistencyRequested ?? "volume"}: ${d.consistencyNote}`,
    );
  if (noted.length > LIST_SAFETY_UP_TO) lines.push(`... and ${noted.length - LIST_SAFETY_UP_TO} more.`);
}

/** Beyond this many entries, a safety list is counted instead of listed in full. */
const LIST_SAFETY_UP_TO = 50;

/** What the deletion rules refused or put off, and the error snapshots cleaned up: every one explained. */
function safetyLines(props: RunFacts, lines: string[]): void {
  const section = <T>(title: string, items: T[], line: (item: T) => string) => {
    if (items.length === 0) return;
    lines.push("", `${title}: ${items.length}.`);
    for (const item of items.slice(0, LIST_SAFETY_UP_TO)) lines.push(`- ${line(item)}`);
    if (items.length > LIST_SAFETY_UP_TO) lines.push(`... and ${items.length - LIST_SAFETY_UP_TO} more.`);
  };
  section(
    "Instances not backed up because of their tags",
    props.tagProblems ?? [],
    (p) => `${p.host} (${p.instanceId}): ${p.reason}`,
  );
  section(
    "Snapshots tagged as managed but not ours (never deleted)",
    props.notOurs ?? [],
    (n) => `${n.region} ${n.snapshotId} (tagged for ${n.taggedVolumeId}): ${n.reason}`,
  );
  section(
    "Kept for now, pruned by a later run",
    props.held ?? [],
    (h) => `${h.region} ${h.snapshotId}: ${h.reason}`,
  );
  const cleaned = props.drives.flatMap((d) =>
    (d.errorsDeleted ?? []).map((id) => `${d.host} (${d.instanceId}) ${d.device}: ${id}`),
  );
  section("snapfleet snapshots in state error deleted (they held no data)", cleaned, (c) => c);
}

/** Beyond this many orphaned volumes, the digest counts them instead of listing each. */
export const LIST_ORPHANS_UP_TO = 20;

function orphanLines(props: RunFacts, lines: string[]): number {
  const orphans = props.orphans ?? [];
  const deleted = props.orphanDeleted?.length ?? 0;
  if (orphans.length === 0) return deleted;
  const total = orphans.reduce((n, o) => n + o.snapshots, 0);
  lines.push(
    "",
    `Orphaned snapshots (volume gone or no longer selected): ${orphans.length} volume(s), ${total} snapshot(s), ${deleted} deleted this run.`,
  );
  orphans.slice(0, LIST_ORPHANS_UP_TO).forEach((o) => {
    const who = o.host ? `${o.host} (${o.instanceId})` : o.instanceId || "unknown instance";
    lines.push(
      `- ${o.region} ${o.volumeId} of ${who}: ${o.snapshots} snapshot(s), newest ${o.newestStartTime}; ${o.note}.`,
    );
  });
  if (orphans.length > LIST_ORPHANS_UP_TO) lines.push(`... and ${orphans.length - LIST_ORPHANS_UP_TO} more.`);
  return deleted;
}

export interface SummarizeProps {
  runId: string;
  bucket: string;
  region: string;
  topicArn: string;
  namespace: string;
  /** Where ResultWriter stored the Fleet map's results (its manifest), when the map ran. */
  results?: { Bucket: string; Key: string } | undefined;
  /** Set when the Fleet map itself failed: drives without a record are reported failed with it. */
  abortedBecause?: string | undefined;
}

/** What Summarize returns to the state machine: small, whatever the fleet's size. */
export interface RunOutcome extends FleetFigures {
  runId: string;
  subject: string;
  orphanSnapshotsDeleted: number;
  resultsKey: string;
  /** The first failed drives; all of them are in the results object. */
  failed: DriveRecord[];
}

export const resultsKey = (runId: string) => `runs/${runId}/results.json`;

/** One entry of a ResultWriter result file (SUCCEEDED_n.json / FAILED_n.json). */
interface ResultEntry {
  Input?: string;
  Output?: string;
  Status?: string;
  Error?: string;
  Cause?: string;
}

interface ResultManifest {
  ResultFiles?: Record<string, { Key: string }[]>;
}

interface ManifestItem {
  instanceId: string;
  host: string;
  drives: DriveItem[];
}

/** A drive that has no record of its own: its server's child failed, or the map never ran it. */
function failedRecord(item: DriveItem, reason: string): DriveRecord {
  return recordOf({
    item,
    progress: {
      phase: "done",
      wakeAt: "",
      done: true,
      pruned: [],
      drPruned: [],
      errorsDeleted: [],
      waits: 0,
      failed: reason,
    },
  });
}

/**
 * Every drive's record: from the server reports ResultWriter stored, from the failed children's
 * inputs (each drive failed with the child's error), and for servers the map never reached.
 */
export async function collectRecords(props: SummarizeProps, deps: Deps): Promise<DriveRecord[]> {
  const byInstance = new Map<string, DriveRecord[]>();
  if (props.results) {
    const manifest = await getJson<ResultManifest>(props.results.Bucket, props.results.Key, deps);
    for (const [status, files] of Object.entries(manifest?.ResultFiles ?? {})) {
      for (const file of files) {
        const entries = (await getJson<ResultEntry[]>(props.results.Bucket, file.Key, deps)) ?? [];
        for (const entry of entries) {
          if (status === "SUCCEEDED" && entry.Output) {
            const report = JSON.parse(entry.Output) as ServerReport;
            byInstance.set(report.instanceId, report.drives);
          } else if (entry.Input) {
            const input = JSON.parse(entry.Input) as ManifestItem;
            const why = `the server's execution ${entry.Status?.toLowerCase() ?? "failed"}: ${describeCaught(entry)}`;
            byInstance.set(
              input.instanceId,
              input.drives.map((d) => failedRecord(d, why)),
            );
          }
        }
      }
    }
  }
  const planned = (await getJson<ManifestItem[]>(props.bucket, manifestKey(props.runId), deps)) ?? [];
  return planned.flatMap(
    (i) =>
      byInstance.get(i.instanceId) ??
      i.drives.map((d) =>
        failedRecord(
          d,
          `the run ended before this server was backed up${props.abortedBecause ? `: ${props.abortedBecause}` : ""}`,
        ),
      ),
  );
}

/** Orphans' deletions (OrphanSnapshots=apply-recorded) come after the fleet. Never the newest of a volume. */
async function pruneOrphans(meta: RunMeta, deps: Deps): Promise<string[]> {
  const deleted: string[] = [];
  for (const group of meta.orphans) {
    const ids = group.prune.filter((id) => id !== group.newestSnapshotId);
    deleted.push(...(await deleteSnapshots(group.region, ids, deps, { volumeId: group.volumeId })).deleted);
  }
  return deleted;
}

/**
 * Collects every drive's record into `runs/<runId>/results.json`, prunes orphans when the stack
 * says so, marks the run finished, publishes the fleet metrics and one SNS digest.
 */
export async function publishSummary(props: SummarizeProps, deps: Deps): Promise<RunOutcome> {
  const meta = await getJson<RunMeta>(props.bucket, metaKey(props.runId), deps);
  if (!meta)
    throw new Error(`No plan for run ${props.runId} at s3://${props.bucket}/${metaKey(props.runId)}`);
  const drives = await collectRecords(props, deps);
  const orphanDeleted = await pruneOrphans(meta, deps);
  const summary = summarizeRun(
    {
      runId: props.runId,
      startedAt: meta.startedAt,
      region: props.region,
      drives,
      skipped: meta.skipped,
      orphans: meta.orphans,
      orphanDeleted,
      tagProblems: meta.tagProblems,
      notOurs: meta.notOurs,
      held: meta.held,
      drCopyTimes: meta.drRegion ? drives.map((d) => d.drDataAt ?? null) : undefined,
      abortedBecause: props.abortedBecause,
    },
    deps.clock.now(),
  );
  await putJson(props.bucket, resultsKey(props.runId), drives, deps);
  // Finished as soon as every drive's record is stored: its snapshots may now be pruned by other runs.
  await markRunFinished(props.bucket, props.runId, deps);
  try {
    await putMetrics(props.namespace, fleetMetrics(summary, deps.clock.now()), deps);
  } catch {
    // Logged with the data by putMetrics; the digest still goes out.
  }
  if (props.topicArn) {
    await withRetry(
      () =>
        deps.sns.send(
          new PublishCommand({
            TopicArn: props.topicArn,
            Subject: summary.subject,
            Message: summary.message,
          }),
        ),
      deps,
      "SNS Publish",
    );
  } else {
    deps.log.warn("no SNS topic configured; digest only logged", { subject: summary.subject });
  }
  deps.log.info("run summarized", { subject: summary.subject });
  const { drives: _all, message: _message, ...figures } = summary;
  return {
    ...figures,
    resultsKey: resultsKey(props.runId),
    failed: drives.filter((d) => d.status === "failed").slice(0, 20),
  };
}
