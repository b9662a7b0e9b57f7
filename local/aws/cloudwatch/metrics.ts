import type { EmulatorClock } from "../clock";
import { AwsError, invalidParameterValue, missingParameter } from "../errors";
import { bool, date, type Input, list, num, obj, objList, str, strList } from "../protocol/input";
import { type Output, OutputMap } from "../protocol/xml";
import { evaluateExpression, type Series } from "./metric-math";

export interface Dimension {
  Name: string;
  Value: string;
}

/** One stored datum, reduced to the statistics CloudWatch can answer from it. */
export interface Datum {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  timestamp: Date;
  unit: string | undefined;
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
  /** The raw values, for the in-process introspection `Emulator.metrics()`. */
  values: number[];
}

export function readDimensions(input: Input): Dimension[] {
  return objList(input, "Dimensions")
    .map((d) => ({ Name: str(d, "Name") ?? "", Value: str(d, "Value") ?? "" }))
    .sort((a, b) => a.Name.localeCompare(b.Name));
}

const sameDimensions = (a: Dimension[], b: Dimension[]) =>
  a.length === b.length && a.every((d, n) => d.Name === b[n]?.Name && d.Value === b[n]?.Value);

function datum(namespace: string, m: Input, clock: EmulatorClock): Datum {
  const metricName = str(m, "MetricName");
  if (metricName === undefined) throw missingParameter("MetricName");
  const base = {
    namespace,
    metricName,
    dimensions: readDimensions(m),
    timestamp: date(m, "Timestamp") ?? clock.now(),
    unit: str(m, "Unit"),
  };
  const value = num(m, "Value");
  if (value !== undefined)
    return { ...base, sampleCount: 1, sum: value, min: value, max: value, values: [value] };
  const values = list(m, "Values").map(Number);
  if (values.length > 0) {
    const counts = list(m, "Counts").map(Number);
    const count = (n: number) => counts[n] ?? 1;
    const sampleCount = values.reduce((acc, _, n) => acc + count(n), 0);
    const sum = values.reduce((acc, v, n) => acc + v * count(n), 0);
    return { ...base, sampleCount, sum, min: Math.min(...values), max: Math.max(...values), values };
  }
  const stats = obj(m, "StatisticValues");
  if (stats) {
    const sampleCount = num(stats, "SampleCount") ?? 0;
    const sum = num(stats, "Sum") ?? 0;
    const min = num(stats, "Minimum") ?? 0;
    const max = num(stats, "Maximum") ?? 0;
    return { ...base, sampleCount, sum, min, max, values: [sampleCount > 0 ? sum / sampleCount : 0] };
  }
  throw new AwsError(
    "MissingParameter",
    `The parameter MetricData.member.Value is required for ${metricName}.`,
  );
}

/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html */
export function putMetricData(store: Datum[], input: Input, clock: EmulatorClock): Datum[] {
  const namespace = str(input, "Namespace");
  if (namespace === undefined) throw missingParameter("Namespace");
  if (namespace.startsWith("AWS/"))
    throw invalidParameterValue("The value AWS/ for parameter Namespace is invalid.");
  const added = objList(input, "MetricData").map((m) => datum(namespace, m, clock));
  store.push(...added);
  return added;
}

type Stat = "SampleCount" | "Sum" | "Minimum" | "Maximum" | "Average";

function aggregate(points: Datum[]): Record<Stat, number> {
  const sampleCount = points.reduce((a, p) => a + p.sampleCount, 0);
  const sum = points.reduce((a, p) => a + p.sum, 0);
  return {
    SampleCount: sampleCount,
    Sum: sum,
    Minimum: Math.min(...points.map((p) => p.min)),
    Maximum: Math.max(...points.map((p) => p.max)),
    Average: sampleCount > 0 ? sum / sampleCount : 0,
  };
}

interface Selector {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  unit: string | undefined;
}

/** Groups the selected data into `period`-second buckets counted from `start`, oldest first. */
function buckets(store: Datum[], sel: Selector, start: Date, end: Date, period: number) {
  const byBucket = new Map<number, Datum[]>();
  for (const d of store) {
    if (d.namespace !== sel.namespace || d.metricName !== sel.metricName) continue;
    if (!sameDimensions(d.dimensions, sel.dimensions)) continue;
    if (sel.unit !== undefined && d.unit !== sel.unit) continue;
    const t = d.timestamp.getTime();
    if (t < start.getTime() || t >= end.getTime()) continue;
    const bucket = start.getTime() + Math.floor((t - start.getTime()) / (period * 1000)) * period * 1000;
    byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), d]);
  }
  return [...byBucket].sort(([a], [b]) => a - b).map(([t, points]) => ({ timestamp: new Date(t), points }));
}

/** "The value specified for StartTime must be earlier than the value specified for EndTime." */
function timeRange(input: Input): { start: Date; end: Date } {
  const start = date(input, "StartTime");
  const end = date(input, "EndTime");
  if (!start) throw missingParameter("StartTime");
  if (!end) throw missingParameter("EndTime");
  if (start.getTime() >= end.getTime())
    throw invalidParameterValue("The parameter StartTime must be less than the parameter EndTime.");
  return { start, end };
}

/**
 * "Valid values are 1, 5, 10, 20, 30, 60, and any multiple of 60" (1 to 30 only for
 * high-resolution metrics); anything else is refused.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html
 */
function checkPeriod(period: number, parameter = "Period"): void {
  if (![1, 5, 10, 20, 30].includes(period) && period % 60 !== 0)
    throw invalidParameterValue(`The parameter ${parameter} must be 1, 5, 10, 20, 30 or a multiple of 60.`);
}

/** `p90`, `p99.9`: percentiles of the raw values, by nearest rank. */
const PERCENTILE = /^p(\d{1,2}(\.\d{1,10})?|100)$/;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

/**
 * Statistics or ExtendedStatistics (percentiles), not both.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
 */
export function getMetricStatistics(store: Datum[], input: Input): Output {
  const namespace = str(input, "Namespace");
  const metricName = str(input, "MetricName");
  const period = num(input, "Period");
  if (namespace === undefined) throw missingParameter("Namespace");
  if (metricName === undefined) throw missingParameter("MetricName");
  if (period === undefined) throw missingParameter("Period");
  checkPeriod(period);
  const { start, end } = timeRange(input);
  const stats = strList(input, "Statistics") as Stat[];
  const extended = strList(input, "ExtendedStatistics");
  if (stats.length > 0 && extended.length > 0)
    throw new AwsError(
      "InvalidParameterCombination",
      "Must specify either Statistics or ExtendedStatistics, but not both.",
    );
  if (stats.length === 0 && extended.length === 0) throw missingParameter("Statistics or ExtendedStatistics");
  for (const e of extended) {
    if (!PERCENTILE.test(e))
      throw invalidParameterValue(`The value ${e} for parameter ExtendedStatistics is invalid.`);
  }
  const sel = { namespace, metricName, dimensions: readDimensions(input), unit: str(input, "Unit") };
  const datapoints = buckets(store, sel, start, end, period).map(({ timestamp, points }) => {
    const agg = aggregate(points);
    const point: { [key: string]: Output } = { Timestamp: timestamp };
    for (const s of stats) point[s] = agg[s];
    if (extended.length > 0) {
      const values = points.flatMap((p) => p.values);
      point.ExtendedStatistics = new OutputMap(
        Object.fromEntries(extended.map((e) => [e, percentile(values, Number(e.slice(1)))])),
      );
    }
    point.Unit = sel.unit ?? points[0]?.unit ?? "None";
    return point;
  });
  return { Label: metricName, Datapoints: datapoints };
}

/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html */
export function listMetrics(store: Datum[], input: Input): Output {
  const namespace = str(input, "Namespace");
  const metricName = str(input, "MetricName");
  const wanted = objList(input, "Dimensions").map((d) => ({
    name: str(d, "Name") ?? "",
    value: str(d, "Value"),
  }));
  const seen = new Map<string, Output>();
  for (const d of store) {
    if (namespace !== undefined && d.namespace !== namespace) continue;
    if (metricName !== undefined && d.metricName !== metricName) continue;
    const hasAll = wanted.every((w) =>
      d.dimensions.some((x) => x.Name === w.name && (w.value === undefined || x.Value === w.value)),
    );
    if (!hasAll) continue;
    const key = JSON.stringify([d.namespace, d.metricName, d.dimensions]);
    seen.set(key, {
      Namespace: d.namespace,
      MetricName: d.metricName,
      Dimensions: d.dimensions.map((x) => ({ ...x })),
    });
  }
  return { Metrics: [...seen.values()] };
}

/**
 * MetricStat queries and a subset of metric math (`metric-math.ts`); queries with ReturnData=false
 * are computed for expressions but not returned.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 */
export function getMetricData(store: Datum[], input: Input): Output {
  const { start, end } = timeRange(input);
  const descending = (str(input, "ScanBy") ?? "TimestampDescending") === "TimestampDescending";
  const queries = objList(input, "MetricDataQueries");
  const series = new Map<string, Series>();
  const metrics: Series[] = [];
  const labels = new Map<string, string>();
  for (const q of queries) {
    const id = str(q, "Id") ?? "";
    const stat = obj(q, "MetricStat");
    if (!stat) continue;
    const metric = obj(stat, "Metric") ?? {};
    const sel = {
      namespace: str(metric, "Namespace") ?? "",
      metricName: str(metric, "MetricName") ?? "",
      dimensions: readDimensions(metric),
      unit: str(stat, "Unit"),
    };
    const statName = str(stat, "Stat") ?? "Average";
    const period = num(stat, "Period") ?? 60;
    checkPeriod(period, `MetricDataQueries.${id}.MetricStat.Period`);
    const s: Series = new Map(
      buckets(store, sel, start, end, period).map(({ timestamp, points }) => [
        timestamp.getTime(),
        PERCENTILE.test(statName)
          ? percentile(
              points.flatMap((p) => p.values),
              Number(statName.slice(1)),
            )
          : (aggregate(points)[statName as Stat] ?? Number.NaN),
      ]),
    );
    series.set(id, s);
    metrics.push(s);
    labels.set(id, sel.metricName);
  }
  for (const q of queries) {
    const id = str(q, "Id") ?? "";
    const expression = str(q, "Expression");
    if (obj(q, "MetricStat")) continue;
    if (expression === undefined)
      throw invalidParameterValue(`Query ${id} must have exactly one of MetricStat and Expression.`);
    series.set(id, evaluateExpression(expression, id, series, metrics));
    labels.set(id, id);
  }
  const results = queries
    .filter((q) => bool(q, "ReturnData") !== false)
    .map((q) => {
      const id = str(q, "Id") ?? "";
      const rows = [...(series.get(id) ?? new Map<number, number>())].sort(([a], [b]) => a - b);
      if (descending) rows.reverse();
      return {
        Id: id,
        Label: str(q, "Label") ?? labels.get(id) ?? id,
        Timestamps: rows.map(([t]) => new Date(t)),
        Values: rows.map(([, v]) => v),
        StatusCode: "Complete",
      };
    });
  return { MetricDataResults: results, Messages: [] };
}
