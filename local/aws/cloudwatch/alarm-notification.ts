import type { AlarmSpec, EvaluatedPoint, Outcome, StateValue } from "./alarm-rules";
import type { Alarm } from "./alarms";
import type { Dimension } from "./metrics";

/**
 * The words CloudWatch uses in StateReason and in the SNS notification of a state change. The
 * message shape follows AWS's own sample (aws/aws-lambda-go events/testdata/
 * cloudwatch-alarm-sns-payload-single-metric.json) and
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
 */
const OPERATOR_WORDS: Record<string, string> = {
  GreaterThanOrEqualToThreshold: "greater than or equal to",
  GreaterThanThreshold: "greater than",
  LessThanThreshold: "less than",
  LessThanOrEqualToThreshold: "less than or equal to",
};

const REGION_NAMES: Record<string, string> = {
  "us-east-1": "US East (N. Virginia)",
  "us-east-2": "US East (Ohio)",
  "us-west-1": "US West (N. California)",
  "us-west-2": "US West (Oregon)",
  "ca-central-1": "Canada (Central)",
  "eu-west-1": "EU (Ireland)",
  "eu-west-2": "EU (London)",
  "eu-west-3": "EU (Paris)",
  "eu-central-1": "EU (Frankfurt)",
  "eu-north-1": "EU (Stockholm)",
  "ap-south-1": "Asia Pacific (Mumbai)",
  "ap-northeast-1": "Asia Pacific (Tokyo)",
  "ap-northeast-2": "Asia Pacific (Seoul)",
  "ap-southeast-1": "Asia Pacific (Singapore)",
  "ap-southeast-2": "Asia Pacific (Sydney)",
  "sa-east-1": "South America (Sao Paulo)",
};

/** Java-style doubles, as CloudWatch prints them: 1 → "1.0". */
const number = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const wasWere = (n: number) => (n === 1 ? "was" : "were");

/** dd/MM/yy HH:mm:ss, UTC. */
function stamp(t: number): string {
  const d = new Date(t);
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
  );
}

const pointList = (points: EvaluatedPoint[]) =>
  points.map((p) => `${number(p.value)} (${stamp(p.t)})`).join(", ");

/** "2015-06-03T17:43:27.123+0000" */
export function notificationTime(t: number): string {
  return new Date(t).toISOString().replace("Z", "+0000");
}

export function stateReason(spec: AlarmSpec, outcome: Outcome, from: StateValue, to: StateValue): string {
  const n = spec.evaluationPeriods;
  const words = OPERATOR_WORDS[spec.comparison] ?? spec.comparison;
  const threshold = `the threshold (${number(spec.threshold)})`;
  if (to === "INSUFFICIENT_DATA") {
    const unknown = n - outcome.points.length;
    return `Insufficient Data: ${plural(unknown, "datapoint")} ${wasWere(unknown)} unknown.`;
  }
  const filled =
    outcome.filledAs && outcome.filled > 0
      ? `${plural(outcome.filled, "missing datapoint")} ${wasWere(outcome.filled)} treated as [${outcome.filledAs}]`
      : undefined;
  if (outcome.points.length === 0)
    return `Threshold Crossed: no datapoints were received for ${plural(n, "period")} and ${filled}.`;
  const minimum = ` (minimum ${plural(spec.datapointsToAlarm, "datapoint")} for ${from} -> ${to} transition).`;
  if (to === "ALARM") {
    const breaching = outcome.points.filter((p) => p.breaching);
    const real = breaching.length > 0 ? `[${pointList(breaching)}] ` : "";
    return (
      `Threshold Crossed: ${outcome.breaching} out of the last ${n} datapoints ${real}${wasWere(outcome.breaching)} ` +
      `${words} ${threshold}${filled ? ` (${filled})` : ""}${minimum}`
    );
  }
  const calm = outcome.points.filter((p) => !p.breaching);
  const shown = calm.length > 0 ? calm : outcome.points;
  return (
    `Threshold Crossed: ${plural(shown.length, "datapoint")} [${pointList(shown)}] ${wasWere(shown.length)} ` +
    `${calm.length > 0 ? "not " : ""}${words} ${threshold}${filled ? ` and ${filled}` : ""}${minimum}`
  );
}

export function stateReasonData(spec: AlarmSpec, outcome: Outcome, at: number): string {
  return JSON.stringify({
    version: "1.0",
    queryDate: notificationTime(at),
    startDate: notificationTime(at - spec.evaluationPeriods * spec.periodMs),
    statistic: spec.statistic,
    period: spec.periodMs / 1000,
    recentDatapoints: outcome.points.map((p) => p.value),
    threshold: spec.threshold,
    evaluatedDatapoints: outcome.points.map((p) => ({
      timestamp: notificationTime(p.t),
      sampleCount: p.sampleCount,
      value: p.value,
    })),
  });
}

const STATISTIC_NAMES: Record<string, string> = { SampleCount: "SAMPLE_COUNT" };

/** Subject and JSON message of the notification CloudWatch publishes to an SNS topic. */
export function stateChangeNotification(
  alarm: Alarm,
  change: { region: string; accountId: string; from: StateValue; to: StateValue; reason: string; at: number },
): { subject: string; message: string } {
  const regionName = REGION_NAMES[change.region] ?? change.region;
  const statistic = String(alarm.Statistic ?? "");
  const message = {
    AlarmName: alarm.AlarmName,
    AlarmDescription: alarm.AlarmDescription ?? null,
    AWSAccountId: change.accountId,
    AlarmConfigurationUpdatedTimestamp: notificationTime(
      (alarm.AlarmConfigurationUpdatedTimestamp as Date).getTime(),
    ),
    NewStateValue: change.to,
    NewStateReason: change.reason,
    StateChangeTime: notificationTime(change.at),
    Region: regionName,
    AlarmArn: alarm.AlarmArn,
    OldStateValue: change.from,
    OKActions: alarm.OKActions ?? [],
    AlarmActions: alarm.AlarmActions ?? [],
    InsufficientDataActions: alarm.InsufficientDataActions ?? [],
    Trigger: {
      MetricName: alarm.MetricName,
      Namespace: alarm.Namespace,
      StatisticType: "Statistic",
      Statistic: STATISTIC_NAMES[statistic] ?? statistic.toUpperCase(),
      Unit: alarm.Unit ?? null,
      Dimensions: ((alarm.Dimensions as Dimension[] | undefined) ?? []).map((d) => ({
        value: d.Value,
        name: d.Name,
      })),
      Period: alarm.Period,
      EvaluationPeriods: alarm.EvaluationPeriods,
      DatapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods,
      ComparisonOperator: alarm.ComparisonOperator,
      Threshold: alarm.Threshold,
      TreatMissingData: alarm.TreatMissingData ?? "missing",
      EvaluateLowSampleCountPercentile: "",
    },
  };
  // SNS subjects are at most 100 characters.
  const subject = `${change.to}: "${String(alarm.AlarmName)}" in ${regionName}`.slice(0, 100);
  return { subject, message: JSON.stringify(message) };
}
