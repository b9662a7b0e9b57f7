import type { PutMetricAlarmCommandInput } from "@aws-sdk/client-cloudwatch";
import { DIMENSION_DRIVE, DIMENSION_SERVER, DRIVE_METRICS } from "../metric-names";
import type { AgentConfig } from "./config";

/** The policy lets a server create only the alarm with its own name (AgentPolicy, OwnMissedBackupAlarm). */
export const agentAlarmName = (server: string) => `snapfleet-agent-${server}-missed-backup`;

/**
 * This server's missed-backup alarm: every run sends Errors (0 or 1) for every path, so no Errors
 * sample for the first path in `missedBackupHours` one-hour periods means no run reported. Missing
 * data is breaching, as for the EC2 missed-run alarm. CloudWatch caps Period x EvaluationPeriods at
 * 7 days for one-hour periods (PutMetricAlarm), hence at most 168 hours.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export function missedBackupAlarm(
  config: AgentConfig,
  server: string,
  topicArn: string,
): PutMetricAlarmCommandInput {
  const hours = config.missedBackupHours ?? (config.schedule === "hourly" ? 2 : 25);
  return {
    AlarmName: agentAlarmName(server),
    AlarmDescription: `snapfleet agent on ${server} has not reported a backup of ${config.paths[0]} for ${hours} hours`,
    Namespace: config.namespace,
    MetricName: DRIVE_METRICS.Errors.name,
    Dimensions: [
      { Name: DIMENSION_SERVER, Value: server },
      { Name: DIMENSION_DRIVE, Value: config.paths[0] ?? "" },
    ],
    Statistic: "SampleCount",
    Period: 3600,
    EvaluationPeriods: hours,
    DatapointsToAlarm: hours,
    Threshold: 1,
    ComparisonOperator: "LessThanThreshold",
    TreatMissingData: "breaching",
    AlarmActions: [topicArn],
    OKActions: [topicArn],
  };
}
