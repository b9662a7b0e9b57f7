import type { EmulatorClock } from "../clock";
import { AwsError, invalidParameterValue, missingParameter } from "../errors";
import { bool, type Input, num, objList, str, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { COMPARISONS } from "./alarm-rules";
import { readDimensions } from "./metrics";

export type Alarm = { [key: string]: Output };

const ANOMALY_COMPARISONS = [
  "LessThanLowerOrGreaterThanUpperThreshold",
  "LessThanLowerThreshold",
  "GreaterThanUpperThreshold",
];
const MISSING_DATA = ["breaching", "notBreaching", "ignore", "missing"];

/**
 * The parameter rules of PutMetricAlarm: a statistic or a metric math query, a valid Period,
 * Period x EvaluationPeriods within 7 days (1 day below one-hour periods), DatapointsToAlarm at
 * most EvaluationPeriods.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
function validate(input: Input): void {
  const evaluationPeriods = num(input, "EvaluationPeriods");
  if (evaluationPeriods === undefined) throw missingParameter("EvaluationPeriods");
  if (evaluationPeriods < 1) throw invalidParameterValue("EvaluationPeriods must be at least 1.");
  const comparison = str(input, "ComparisonOperator");
  if (comparison === undefined) throw missingParameter("ComparisonOperator");
  if (!(comparison in COMPARISONS) && !ANOMALY_COMPARISONS.includes(comparison))
    throw invalidParameterValue(`The value ${comparison} for parameter ComparisonOperator is invalid.`);
  const datapoints = num(input, "DatapointsToAlarm");
  if (datapoints !== undefined && (datapoints < 1 || datapoints > evaluationPeriods))
    throw invalidParameterValue("DatapointsToAlarm must be between 1 and EvaluationPeriods.");
  const treat = str(input, "TreatMissingData");
  if (treat !== undefined && !MISSING_DATA.includes(treat))
    throw invalidParameterValue(`The value ${treat} for parameter TreatMissingData is invalid.`);
  const usesMath = objList(input, "Metrics").length > 0;
  const statistics = ["Statistic", "ExtendedStatistic"].filter((k) => str(input, k) !== undefined);
  if (usesMath) return;
  if (statistics.length !== 1)
    throw new AwsError(
      "InvalidParameterCombination",
      "Exactly one element of the Statistic and ExtendedStatistic parameters must be specified.",
    );
  if (str(input, "MetricName") === undefined) throw missingParameter("MetricName");
  if (str(input, "Namespace") === undefined) throw missingParameter("Namespace");
  if (num(input, "Threshold") === undefined && str(input, "ThresholdMetricId") === undefined)
    throw missingParameter("Threshold");
  const period = num(input, "Period");
  if (period === undefined) throw missingParameter("Period");
  if (![10, 20, 30].includes(period) && (period < 60 || period % 60 !== 0))
    throw invalidParameterValue("Period must be 10, 20, 30 or a multiple of 60.");
  const limit = period >= 3600 ? 604_800 : 86_400;
  if (period * evaluationPeriods > limit)
    throw invalidParameterValue(
      `The evaluation period (Period x EvaluationPeriods) must not exceed ${limit} seconds for this Period.`,
    );
}

/**
 * Creates or updates a metric alarm. A new alarm starts in INSUFFICIENT_DATA; an update keeps the
 * state. `alarm-evaluation.ts` moves it from there, once per minute of emulator time.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export function putMetricAlarm(
  alarms: Map<string, Alarm>,
  input: Input,
  at: { clock: EmulatorClock; region: string; accountId: string },
): void {
  const name = str(input, "AlarmName");
  if (name === undefined) throw missingParameter("AlarmName");
  validate(input);
  const now = at.clock.now();
  const previous = alarms.get(name);
  alarms.set(name, {
    AlarmName: name,
    AlarmArn: `arn:aws:cloudwatch:${at.region}:${at.accountId}:alarm:${name}`,
    AlarmDescription: str(input, "AlarmDescription"),
    AlarmConfigurationUpdatedTimestamp: now,
    ActionsEnabled: bool(input, "ActionsEnabled") ?? true,
    OKActions: strList(input, "OKActions"),
    AlarmActions: strList(input, "AlarmActions"),
    InsufficientDataActions: strList(input, "InsufficientDataActions"),
    StateValue: previous?.StateValue ?? "INSUFFICIENT_DATA",
    StateReason: previous?.StateReason ?? "Unchecked: Initial alarm creation",
    StateUpdatedTimestamp: previous?.StateUpdatedTimestamp ?? now,
    MetricName: str(input, "MetricName"),
    Namespace: str(input, "Namespace"),
    Statistic: str(input, "Statistic"),
    ExtendedStatistic: str(input, "ExtendedStatistic"),
    Dimensions: readDimensions(input).map((d) => ({ ...d })),
    Period: num(input, "Period"),
    Unit: str(input, "Unit"),
    EvaluationPeriods: num(input, "EvaluationPeriods"),
    DatapointsToAlarm: num(input, "DatapointsToAlarm"),
    Threshold: num(input, "Threshold"),
    ComparisonOperator: str(input, "ComparisonOperator"),
    TreatMissingData: str(input, "TreatMissingData"),
    Metrics: objList(input, "Metrics").length > 0 ? (objList(input, "Metrics") as Output) : undefined,
    ThresholdMetricId: str(input, "ThresholdMetricId"),
    EvaluateLowSampleCountPercentile: str(input, "EvaluateLowSampleCountPercentile"),
    StateReasonData: previous?.StateReasonData,
    StateTransitionedTimestamp: previous?.StateTransitionedTimestamp ?? now,
  });
}

/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html */
export function describeAlarms(alarms: Map<string, Alarm>, input: Input): Output {
  const names = strList(input, "AlarmNames");
  const prefix = str(input, "AlarmNamePrefix");
  const state = str(input, "StateValue");
  const matching = [...alarms.values()].filter(
    (a) =>
      (names.length === 0 || names.includes(String(a.AlarmName))) &&
      (prefix === undefined || String(a.AlarmName).startsWith(prefix)) &&
      (state === undefined || a.StateValue === state),
  );
  return { MetricAlarms: matching, CompositeAlarms: [] };
}

/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html */
export function deleteAlarms(alarms: Map<string, Alarm>, input: Input): void {
  for (const name of strList(input, "AlarmNames")) alarms.delete(name);
}
