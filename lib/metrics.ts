import { type MetricDatum, PutMetricDataCommand, type StandardUnit } from "@aws-sdk/client-cloudwatch";
import type { Deps } from "./deps";
import type { DriveRecord } from "./drive";
import { DIMENSION_DRIVE, DIMENSION_SERVER, DRIVE_METRICS, FLEET_METRICS } from "./metric-names";
import { withRetry } from "./retry";

/** PutMetricData takes at most 1,000 metrics per request (aws-limits.md). */
export const METRICS_PER_REQUEST = 1000;

/** One CloudWatch datum; every snapfleet metric (EC2 drives, agents' paths, the fleet) is built here. */
export function datum(
  metric: { name: string; unit: string },
  value: number,
  timestamp: Date,
  dimensions: { Name: string; Value: string }[] = [],
): MetricDatum {
  return {
    MetricName: metric.name,
    Unit: metric.unit as StandardUnit,
    Value: value,
    Timestamp: timestamp,
    Dimensions: dimensions,
  };
}

/** ElapsedTime and Size only exist for a drive whose snapshot completed; Errors always (0 or 1). */
export function driveMetrics(record: DriveRecord, timestamp: Date): MetricDatum[] {
  const dims = [
    { Name: DIMENSION_SERVER, Value: record.instanceId },
    { Name: DIMENSION_DRIVE, Value: record.device },
  ];
  const data = [datum(DRIVE_METRICS.Errors, record.status === "ok" ? 0 : 1, timestamp, dims)];
  if (record.elapsedSeconds !== null)
    data.push(datum(DRIVE_METRICS.ElapsedTime, record.elapsedSeconds, timestamp, dims));
  if (record.snapshotState === "completed")
    data.push(datum(DRIVE_METRICS.Size, record.sizeGiB, timestamp, dims));
  return data;
}

export interface FleetFigures {
  volumesBackedUp: number;
  volumesFailed: number;
  maxElapsedSeconds: number;
  runDurationSeconds: number;
  /** Age of the newest DR copy of the stalest drive; null when no drive has a DR copy yet. */
  drLagSeconds: number | null;
  /** Drives that got less consistency than their server asks for (a failed pre script, a skip). */
  consistencyFallbacks: number;
}

/** VolumesBackedUp is always sent, even as 0: the missed-run alarm counts its samples. */
export function fleetMetrics(figures: FleetFigures, timestamp: Date): MetricDatum[] {
  const data = [
    datum(FLEET_METRICS.VolumesBackedUp, figures.volumesBackedUp, timestamp),
    datum(FLEET_METRICS.VolumesFailed, figures.volumesFailed, timestamp),
    datum(FLEET_METRICS.MaxElapsedTime, figures.maxElapsedSeconds, timestamp),
    datum(FLEET_METRICS.RunDuration, figures.runDurationSeconds, timestamp),
    datum(FLEET_METRICS.ConsistencyFallbacks, figures.consistencyFallbacks, timestamp),
  ];
  if (figures.drLagSeconds !== null) data.push(datum(FLEET_METRICS.DrLag, figures.drLagSeconds, timestamp));
  return data;
}

export async function putMetrics(namespace: string, data: MetricDatum[], deps: Deps): Promise<void> {
  for (let i = 0; i < data.length; i += METRICS_PER_REQUEST) {
    const batch = data.slice(i, i + METRICS_PER_REQUEST);
    try {
      await withRetry(
        () => deps.cloudwatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: batch })),
        deps,
        "PutMetricData",
      );
    } catch (error) {
      // The SDK has already retried; log the data so a final failure loses nothing.
      deps.log.error("PutMetricData failed; the metrics are in this log line", {
        namespace,
        metricData: batch,
        error,
      });
      throw error;
    }
  }
}

/**
 * One datapoint as a run starts. The missed-run alarm watches it, so a run that takes 14 hours is
 * as punctual as one that takes 14 minutes (a datapoint at the end would drift with the run's
 * length). A failure to send is logged (by putMetrics) and does not stop the run: the alarm then
 * reports the run as missing, which errs on the loud side.
 */
export async function reportRunStarted(namespace: string, deps: Deps): Promise<void> {
  try {
    await putMetrics(namespace, [datum(FLEET_METRICS.RunStarted, 1, deps.clock.now())], deps);
  } catch {
    // putMetrics has logged the datapoint and the error.
  }
}
