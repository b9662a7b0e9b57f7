import type { EmulatorClock } from "../clock";
import { missingParameter } from "../errors";
import { bool, type Input, num, str, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { readDimensions } from "./metrics";

export type Alarm = { [key: string]: Output };

/**
 * Stored only: alarms stay in INSUFFICIENT_DATA until alarm evaluation is emulated.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export function putMetricAlarm(
  alarms: Map<string, Alarm>,
  input: Input,
  at: { clock: EmulatorClock; region: string; accountId: string },
): void {
  const name = str(input, "AlarmName");
  if (name === undefined) throw missingParameter("AlarmName");
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
