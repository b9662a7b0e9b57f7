import type { EmulatorClock } from "../clock";
import { AwsError, invalidParameterValue } from "../errors";
import { date, type Input, num, str } from "../protocol/input";
import type { Output } from "../protocol/xml";
import type { AlarmEvaluator, AlarmHistoryItem } from "./alarm-evaluation";
import type { StateValue } from "./alarm-rules";
import type { Alarm } from "./alarms";
import { type Dimension, readDimensions } from "./metrics";

/**
 * "Temporarily sets the state of an alarm for testing purposes. When the updated state differs from
 * the previous value, the action configured for the appropriate state is invoked." The next
 * evaluation moves it back to its actual state. StateReasonData must be JSON.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html
 */
export function setAlarmState(
  alarms: Map<string, Alarm>,
  input: Input,
  at: { region: string; clock: EmulatorClock; evaluator: AlarmEvaluator },
): void {
  const name = str(input, "AlarmName") ?? "";
  const alarm = alarms.get(name);
  if (!alarm) throw new AwsError("ResourceNotFound", `Alarm ${name} not found`, 404);
  const reasonData = str(input, "StateReasonData");
  if (reasonData !== undefined) {
    try {
      JSON.parse(reasonData);
    } catch {
      throw new AwsError("InvalidFormat", "StateReasonData is not valid JSON.");
    }
  }
  const to = str(input, "StateValue") as StateValue;
  if (alarm.StateValue === to) return;
  at.evaluator.transition(at.region, alarm, {
    to,
    reason: str(input, "StateReason") ?? "",
    reasonData,
    at: at.clock.nowMs(),
  });
}

const sameDimensions = (a: Dimension[], b: Dimension[]) =>
  a.length === b.length && a.every((d, n) => d.Name === b[n]?.Name && d.Value === b[n]?.Value);

/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmsForMetric.html */
export function describeAlarmsForMetric(alarms: Map<string, Alarm>, input: Input): Output {
  const dimensions = readDimensions(input);
  const wanted: [string, string | number | undefined][] = [
    ["MetricName", str(input, "MetricName")],
    ["Namespace", str(input, "Namespace")],
    ["Statistic", str(input, "Statistic")],
    ["ExtendedStatistic", str(input, "ExtendedStatistic")],
    ["Period", num(input, "Period")],
    ["Unit", str(input, "Unit")],
  ];
  const matching = [...alarms.values()].filter(
    (a) =>
      wanted.every(([k, v]) => v === undefined || a[k] === v) &&
      (dimensions.length === 0 ||
        sameDimensions((a.Dimensions as Dimension[] | undefined) ?? [], dimensions)),
  );
  return { MetricAlarms: matching };
}

/**
 * Newest first by default, at most MaxRecords (1-100, default 100) a page.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html
 */
export function describeAlarmHistory(history: AlarmHistoryItem[], input: Input): Output {
  const name = str(input, "AlarmName");
  const type = str(input, "HistoryItemType");
  const start = date(input, "StartDate");
  const end = date(input, "EndDate");
  if (start && end && start > end)
    throw invalidParameterValue("The parameter StartDate must be less than the parameter EndDate.");
  const oldestFirst = str(input, "ScanBy") === "TimestampAscending";
  const items = history
    .filter((h) => name === undefined || h.AlarmName === name)
    .filter((h) => type === undefined || h.HistoryItemType === type)
    .filter((h) => (!start || h.Timestamp >= start) && (!end || h.Timestamp <= end));
  // The history is kept in the order things happened, so reversing it is newest first even
  // when several entries share a timestamp.
  if (!oldestFirst) items.reverse();
  const max = num(input, "MaxRecords") ?? 100;
  const token = str(input, "NextToken");
  const from = token === undefined ? 0 : Number.parseInt(token, 10);
  if (token !== undefined && (!/^\d+$/.test(token) || from > items.length))
    throw new AwsError("InvalidNextToken", "The service returned an invalid next token.");
  const page = items.slice(from, from + max);
  return {
    AlarmHistoryItems: page.map((h) => ({ ...h })),
    NextToken: from + max < items.length ? String(from + max) : undefined,
  };
}
