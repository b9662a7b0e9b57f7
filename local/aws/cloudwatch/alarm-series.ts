import type { Datum, Dimension } from "./metrics";

/** One stored datum as alarm evaluation needs it, `t` in epoch ms. */
export interface SeriesPoint {
  t: number;
  unit: string | undefined;
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
}

/** A metric is its namespace, name and exact dimension set (dimensions sorted by name). */
export function seriesKey(region: string, namespace: string, metricName: string, dims: Dimension[]): string {
  const sorted = [...dims].sort((a, b) => a.Name.localeCompare(b.Name));
  return JSON.stringify([region, namespace, metricName, sorted.map((d) => [d.Name, d.Value])]);
}

/**
 * The datapoints the emulator received, indexed per metric and sorted by timestamp, so that an
 * alarm reads only its own metric's points in its evaluation range.
 */
export class SeriesIndex {
  private readonly series = new Map<string, SeriesPoint[]>();

  add(region: string, d: Datum): void {
    const key = seriesKey(region, d.namespace, d.metricName, d.dimensions);
    let points = this.series.get(key);
    if (!points) {
      points = [];
      this.series.set(key, points);
    }
    const point: SeriesPoint = {
      t: d.timestamp.getTime(),
      unit: d.unit,
      sampleCount: d.sampleCount,
      sum: d.sum,
      min: d.min,
      max: d.max,
    };
    points.splice(lowerBound(points, point.t + 1), 0, point);
  }

  /** Points with `from <= t < to`, oldest first. */
  range(key: string, from: number, to: number): SeriesPoint[] {
    const points = this.series.get(key);
    if (!points) return [];
    return points.slice(lowerBound(points, from), lowerBound(points, to));
  }
}

/** The first index whose point is at or after `t`. */
function lowerBound(points: SeriesPoint[], t: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((points[mid] as SeriesPoint).t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
