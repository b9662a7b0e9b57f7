import type { Deps } from "./deps";
import type { DriveItem, DriveRecord } from "./drive";
import type { DriveProgress } from "./drive-step";
import { describeCaught } from "./errors";
import { driveMetrics, putMetrics } from "./metrics";

/** What one volume iteration of the Map ends with: its item, how far it got, and the error it caught. */
export interface IterationOutput {
  item: DriveItem;
  progress: DriveProgress;
  error?: { Error?: string | undefined; Cause?: string | undefined } | undefined;
}

/** One server's result: the child execution's output, which ResultWriter stores for Summarize. */
export interface ServerReport {
  instanceId: string;
  host: string;
  drives: DriveRecord[];
}

/** The status record of one drive: what the report, the digest and the metrics say about it. */
export function recordOf(out: IterationOutput): DriveRecord {
  const { item, progress } = out;
  const unfinished = out.error
    ? `the drive's step failed: ${describeCaught(out.error)}`
    : progress.done
      ? undefined
      : `the run ended while this drive was in phase ${progress.phase}`;
  const reason = [progress.failed, ...(progress.problems ?? []), item.retentionError, unfinished]
    .filter((r): r is string => Boolean(r))
    .join(" ");
  const elapsed =
    progress.startTime && progress.completionTime
      ? (Date.parse(progress.completionTime) - Date.parse(progress.startTime)) / 1000
      : null;
  const copied = Boolean(progress.copyCompletionTime);
  return {
    instanceId: item.instanceId,
    host: item.host,
    device: item.device,
    volumeId: item.volumeId,
    sizeGiB: item.sizeGiB,
    snapshotId: progress.snapshotId ?? null,
    snapshotState: progress.snapshotId
      ? progress.completionTime
        ? "completed"
        : (progress.snapshotState ?? "pending")
      : null,
    elapsedSeconds: elapsed,
    pruned: progress.pruned,
    drSnapshotId: progress.copyId ?? null,
    drPruned: progress.drPruned,
    errorsDeleted: progress.errorsDeleted,
    startTime: progress.startTime ?? null,
    drDataAt: copied ? (progress.startTime ?? null) : (item.lastDrCopyAt ?? null),
    consistency: progress.consistency ?? null,
    consistencyRequested: progress.set?.requested ?? null,
    consistencyNote: progress.consistencyNote ?? null,
    status: reason ? "failed" : "ok",
    reason: reason || null,
  };
}

/**
 * The server's records and its per-drive metrics (ElapsedTime, Size, Errors), one PutMetricData
 * per server, each datum timestamped with its snapshot's start.
 */
export async function reportServer(
  props: { instanceId: string; host: string; volumes: IterationOutput[]; namespace: string },
  deps: Deps,
): Promise<ServerReport> {
  const drives = props.volumes.map(recordOf);
  const now = deps.clock.now();
  const data = drives.flatMap((d) => driveMetrics(d, d.startTime ? new Date(d.startTime) : now));
  await putMetrics(props.namespace, data, deps);
  for (const d of drives) {
    const keys = { instanceId: d.instanceId, volumeId: d.volumeId, device: d.device };
    if (d.status === "ok") deps.log.info("drive backed up", { ...keys, snapshotId: d.snapshotId });
    else deps.log.error("drive backup failed", { ...keys, reason: d.reason });
  }
  return { instanceId: props.instanceId, host: props.host, drives };
}
