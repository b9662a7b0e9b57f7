import type { Deps } from "./deps";
import type { DriveItem, DriveRecord } from "./drive";
import { describeCaught } from "./errors";
import { driveMetrics, putMetrics } from "./metrics";
import type { PruneResult } from "./prune";
import type { SnapshotStatus, StartedSnapshot } from "./snapshot";

/** The state one drive's iteration has gathered by the time it reports, success or failure. */
type Seen<T> = { [K in keyof T]?: T[K] | undefined };
type SeenSnapshot = Seen<SnapshotStatus> & StartedSnapshot;

export interface DriveOutcome extends DriveItem {
  snapshot?: SeenSnapshot | undefined;
  pruned?: PruneResult | undefined;
  copy?: SeenSnapshot | undefined;
  drPruned?: PruneResult | undefined;
  error?: { Error?: string | undefined; Cause?: string | undefined } | undefined;
}

export function driveRecord(outcome: DriveOutcome): DriveRecord {
  const snapshot = outcome.snapshot;
  const elapsed =
    snapshot?.startTime && snapshot.completionTime
      ? (Date.parse(snapshot.completionTime) - Date.parse(snapshot.startTime)) / 1000
      : null;
  const reason = outcome.error ? describeCaught(outcome.error) : (outcome.retentionError ?? null);
  return {
    instanceId: outcome.instanceId,
    host: outcome.host,
    device: outcome.device,
    volumeId: outcome.volumeId,
    sizeGiB: snapshot?.sizeGiB ?? outcome.sizeGiB,
    snapshotId: snapshot?.snapshotId ?? null,
    snapshotState: snapshotState(outcome),
    elapsedSeconds: elapsed,
    pruned: outcome.pruned?.deleted ?? [],
    drSnapshotId: outcome.copy?.snapshotId ?? null,
    drPruned: outcome.drPruned?.deleted ?? [],
    status: reason ? "failed" : "ok",
    reason,
  };
}

/** Publishes the drive's metrics, timestamped with its snapshot's start, and returns its status record. */
export async function reportDrive(
  outcome: DriveOutcome,
  props: { namespace: string },
  deps: Deps,
): Promise<DriveRecord> {
  const record = driveRecord(outcome);
  const timestamp = outcome.snapshot?.startTime ? new Date(outcome.snapshot.startTime) : deps.clock.now();
  await putMetrics(props.namespace, driveMetrics(record, timestamp), deps);
  if (record.status === "failed")
    deps.log.error("drive backup failed", { reason: record.reason, snapshotId: record.snapshotId });
  else
    deps.log.info("drive backed up", {
      snapshotId: record.snapshotId,
      elapsedSeconds: record.elapsedSeconds,
    });
  return record;
}

function snapshotState(outcome: DriveOutcome): string | null {
  if (!outcome.snapshot) return null;
  // A failed status check leaves the last seen state in place; the error says how it ended.
  if (outcome.error?.Error === "SnapshotFailedError" && !outcome.copy) return "error";
  return outcome.snapshot.state ?? "pending";
}
