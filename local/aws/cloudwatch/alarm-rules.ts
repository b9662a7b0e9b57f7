import type { SeriesPoint } from "./alarm-series";
import type { Alarm } from "./alarms";
import type { Dimension } from "./metrics";

/**
 * How one metric alarm decides its state at one evaluation time, per "Evaluating an alarm" and
 * "How alarm state is evaluated when data is missing":
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
 * Parameters: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export type StateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";
export type MissingData = "missing" | "notBreaching" | "breaching" | "ignore";
export type Statistic = "SampleCount" | "Average" | "Sum" | "Minimum" | "Maximum";

export const STATISTICS: readonly Statistic[] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
export const COMPARISONS: Record<string, (value: number, threshold: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  GreaterThanThreshold: (v, t) => v > t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

/**
 * CloudWatch retrieves more periods than EvaluationPeriods (the "evaluation range") and lets real
 * datapoints anywhere in it count. AWS does not publish the exact size; its worked example retrieves
 * 5 periods for an alarm of 3, which the emulator generalizes to EvaluationPeriods + 2.
 */
export const EXTRA_RANGE_PERIODS = 2;

export interface AlarmSpec {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  statistic: Statistic;
  periodMs: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparison: string;
  treatMissingData: MissingData;
  unit: string | undefined;
}

/** The alarm as the evaluator reads it; `undefined` for what the emulator does not evaluate (math, percentiles, anomaly bands). */
export function alarmSpec(alarm: Alarm): AlarmSpec | undefined {
  const statistic = alarm.Statistic as Statistic | undefined;
  const comparison = String(alarm.ComparisonOperator ?? "");
  const period = Number(alarm.Period);
  const n = Number(alarm.EvaluationPeriods);
  if (statistic === undefined || !STATISTICS.includes(statistic) || !(comparison in COMPARISONS))
    return undefined;
  if (alarm.MetricName === undefined || alarm.Namespace === undefined || alarm.Threshold === undefined)
    return undefined;
  if (!(period > 0) || !(n > 0)) return undefined;
  return {
    namespace: String(alarm.Namespace),
    metricName: String(alarm.MetricName),
    dimensions: (alarm.Dimensions as Dimension[] | undefined) ?? [],
    statistic,
    periodMs: period * 1000,
    evaluationPeriods: n,
    datapointsToAlarm: alarm.DatapointsToAlarm !== undefined ? Number(alarm.DatapointsToAlarm) : n,
    threshold: Number(alarm.Threshold),
    comparison,
    treatMissingData: (alarm.TreatMissingData as MissingData | undefined) ?? "missing",
    unit: alarm.Unit as string | undefined,
  };
}

export function rangePeriods(spec: AlarmSpec): number {
  return spec.evaluationPeriods + EXTRA_RANGE_PERIODS;
}

export interface EvaluatedPoint {
  /** Start of the period. */
  t: number;
  value: number;
  sampleCount: number;
  breaching: boolean;
}

export interface Outcome {
  /** `retain`: TreatMissingData `ignore` with too few datapoints keeps the current state. */
  state: StateValue | "retain";
  /** The real datapoints that were evaluated, newest first. */
  points: EvaluatedPoint[];
  /** Missing datapoints filled in, and how they were treated. */
  filled: number;
  filledAs: "Breaching" | "NonBreaching" | undefined;
  breaching: number;
}

function statisticOf(points: SeriesPoint[], statistic: Statistic): { value: number; sampleCount: number } {
  const sampleCount = points.reduce((a, p) => a + p.sampleCount, 0);
  const sum = points.reduce((a, p) => a + p.sum, 0);
  const values: Record<Statistic, number> = {
    SampleCount: sampleCount,
    Sum: sum,
    Average: sampleCount > 0 ? sum / sampleCount : 0,
    Minimum: Math.min(...points.map((p) => p.min)),
    Maximum: Math.max(...points.map((p) => p.max)),
  };
  return { value: values[statistic], sampleCount };
}

/**
 * The datapoint of each period in the evaluation range at time `at`, newest first; period i is
 * [at - (i+1)·Period, at - i·Period). `points` may hold more than the range.
 */
export function periodDatapoints(spec: AlarmSpec, points: SeriesPoint[], at: number): EvaluatedPoint[] {
  const p = spec.periodMs;
  const range = rangePeriods(spec);
  const byPeriod = new Map<number, SeriesPoint[]>();
  for (const point of points) {
    if (point.t >= at || point.t < at - range * p) continue;
    if (spec.unit !== undefined && point.unit !== spec.unit) continue;
    const i = Math.ceil((at - point.t) / p) - 1;
    byPeriod.set(i, [...(byPeriod.get(i) ?? []), point]);
  }
  const compare = COMPARISONS[spec.comparison] as (v: number, t: number) => boolean;
  return [...byPeriod.entries()]
    .sort(([a], [b]) => a - b)
    .map(([i, pts]) => {
      const { value, sampleCount } = statisticOf(pts, spec.statistic);
      return { t: at - (i + 1) * p, value, sampleCount, breaching: compare(value, spec.threshold) };
    });
}

export function evaluateAlarm(spec: AlarmSpec, points: SeriesPoint[], at: number): Outcome {
  const n = spec.evaluationPeriods;
  const m = spec.datapointsToAlarm;
  const existing = periodDatapoints(spec, points, at);
  const count = (pts: EvaluatedPoint[]) => pts.filter((x) => x.breaching).length;
  if (existing.length >= n) {
    const evaluated = existing.slice(0, n);
    const breaching = count(evaluated);
    return {
      state: breaching >= m ? "ALARM" : "OK",
      points: evaluated,
      filled: 0,
      filledAs: undefined,
      breaching,
    };
  }
  // Fewer real datapoints than EvaluationPeriods: all of them count, the rest is filled in.
  const filled = n - existing.length;
  const real = count(existing);
  const result = (state: Outcome["state"], breaching: number, filledAs?: Outcome["filledAs"]): Outcome => ({
    state,
    points: existing,
    filled: filledAs ? filled : 0,
    filledAs,
    breaching,
  });
  switch (spec.treatMissingData) {
    case "breaching":
      return result(real + filled >= m ? "ALARM" : "OK", real + filled, "Breaching");
    case "notBreaching":
      return result(real >= m ? "ALARM" : "OK", real, "NonBreaching");
    default: {
      // missing / ignore: decided only when the real datapoints decide it; a lone breaching
      // datapoint does not move the alarm (the docs' "- - - - X" row).
      if (real >= m) return result("ALARM", real);
      if (existing.length > real) return result("OK", real);
      return result(spec.treatMissingData === "ignore" ? "retain" : "INSUFFICIENT_DATA", real);
    }
  }
}
