import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import type { DriveItem, DriveRecord } from "../drive";
import { driveMetrics } from "../metrics";
import type { DriveProgress } from "./state";

/** The status record of one drive: what the report, the digest and the metrics say about it. */
export function recordOf(item: DriveItem, drive: DriveProgress, abortedBecause?: string): DriveRecord {
  const finished = drive.phase === "done" || drive.phase === "failed";
  const unfinished = finished
    ? undefined
    : `the run ended while this drive was ${drive.phase}${abortedBecause ? `: ${abortedBecause}` : ""}`;
  const reason = [drive.reason, drive.phase === "failed" ? undefined : item.retentionError, unfinished]
    .filter((r): r is string => Boolean(r))
    .join(" ");
  const failed = reason !== "";
  const elapsed =
    drive.startTime && drive.completionTime
      ? (Date.parse(drive.completionTime) - Date.parse(drive.startTime)) / 1000
      : null;
  return {
    instanceId: item.instanceId,
    host: item.host,
    device: item.device,
    volumeId: item.volumeId,
    sizeGiB: drive.sizeGiB ?? item.sizeGiB,
    snapshotId: drive.snapshotId ?? null,
    snapshotState: snapshotState(drive),
    elapsedSeconds: elapsed,
    pruned: drive.pruned,
    drSnapshotId: drive.copyId ?? null,
    drPruned: drive.drPruned,
    errorsDeleted: drive.errorsDeleted ?? [],
    status: failed ? "failed" : "ok",
    reason: failed ? reason : null,
  };
}

function snapshotState(drive: DriveProgress): string | null {
  if (!drive.snapshotId) return null;
  if (drive.completionTime) return "completed";
  if (drive.phase === "failed" && drive.reason?.startsWith("SnapshotFailedError: Snapshot")) return "error";
  return "pending";
}

/** Per-drive metrics, timestamped with the snapshot's start (or now when there is none). */
export function recordMetrics(record: DriveRecord, drive: DriveProgress, now: Date): MetricDatum[] {
  return driveMetrics(record, drive.startTime ? new Date(drive.startTime) : now);
}
