import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { AGENT_METRICS, DIMENSION_DRIVE, DIMENSION_SERVER, DRIVE_METRICS } from "../metric-names";
import { datum } from "../metrics";

export interface PathRecord {
  path: string;
  status: "ok" | "failed";
  /** Why the path failed (unreadable files, invalid retention, restic error); null when ok. */
  reason: string | null;
  snapshotId: string | null;
  startedAt: Date;
  /** Seconds restic took for this path's backup; null when no snapshot was made. */
  elapsedSeconds: number | null;
  /** Bytes of the path's data that the snapshot covers (restic's total_bytes_processed). */
  bytes: number | null;
  /** Snapshots of this path that retention removed in this run. */
  forgotten: number;
}

const GIB = 1024 ** 3;

/**
 * The same per-drive metrics as an EC2 drive: Errors always (0 or 1), ElapsedTime when a snapshot
 * was made, Size (GiB, as EC2 reports volume sizes) when it is complete; timestamped at the start.
 */
export function pathMetrics(server: string, record: PathRecord): MetricDatum[] {
  const dims = [
    { Name: DIMENSION_SERVER, Value: server },
    { Name: DIMENSION_DRIVE, Value: record.path },
  ];
  const data = [datum(DRIVE_METRICS.Errors, record.status === "ok" ? 0 : 1, record.startedAt, dims)];
  if (record.elapsedSeconds !== null)
    data.push(datum(DRIVE_METRICS.ElapsedTime, record.elapsedSeconds, record.startedAt, dims));
  if (record.status === "ok" && record.bytes !== null)
    data.push(datum(DRIVE_METRICS.Size, record.bytes / GIB, record.startedAt, dims));
  return data;
}

/** One sample each per run, always (0 included): the missed-backup alarm counts the samples. */
export function agentRunMetrics(records: PathRecord[], timestamp: Date): MetricDatum[] {
  const failed = records.filter((r) => r.status === "failed").length;
  return [
    datum(AGENT_METRICS.AgentPathsBackedUp, records.length - failed, timestamp),
    datum(AGENT_METRICS.AgentPathsFailed, failed, timestamp),
  ];
}
