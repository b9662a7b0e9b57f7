import type { EmulatorClock } from "../clock";
import { AwsError } from "../errors";
import { type Input, str } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { AlarmEvaluator, type AlarmHistoryItem, type AlarmPublisher } from "./alarm-evaluation";
import { describeAlarmHistory, describeAlarmsForMetric, setAlarmState } from "./alarm-operations";
import { type Alarm, deleteAlarms, describeAlarms, putMetricAlarm } from "./alarms";
import { type Dashboard, deleteDashboards, getDashboard, listDashboards, putDashboard } from "./dashboards";
import { type Datum, getMetricData, getMetricStatistics, listMetrics, putMetricData } from "./metrics";

export const CLOUDWATCH_XMLNS = "http://monitoring.amazonaws.com/doc/2010-08-01/";
/** The prefix of X-Amz-Target in the SDK's awsJson1_0 requests (client-cloudwatch `serviceTarget`). */
export const CLOUDWATCH_TARGET = "GraniteServiceVersion20100801";
export const CLOUDWATCH_JSON_NAMESPACE = "com.amazonaws.cloudwatch";

/** Query error codes → the modeled error shapes the JSON protocol names in `__type`. */
const JSON_ERROR_SHAPES: Record<string, string> = {
  InvalidParameterValue: "InvalidParameterValueException",
  MissingParameter: "MissingRequiredParameterException",
  InvalidParameterCombination: "InvalidParameterCombinationException",
  InternalServiceError: "InternalServiceFault",
  LimitExceeded: "LimitExceededFault",
  ResourceNotFound: "ResourceNotFound",
  InvalidNextToken: "InvalidNextToken",
  InvalidParameterInput: "DashboardInvalidInputError",
};

export function cloudWatchJsonErrorType(code: string): string {
  return `${CLOUDWATCH_JSON_NAMESPACE}#${JSON_ERROR_SHAPES[code] ?? code}`;
}

export const CLOUDWATCH_ACTIONS = [
  "PutMetricData",
  "GetMetricStatistics",
  "ListMetrics",
  "GetMetricData",
  "PutMetricAlarm",
  "DescribeAlarms",
  "DeleteAlarms",
  "SetAlarmState",
  "DescribeAlarmsForMetric",
  "DescribeAlarmHistory",
  "PutDashboard",
  "GetDashboard",
  "ListDashboards",
  "DeleteDashboards",
] as const;
const ACTIONS = new Set<string>(CLOUDWATCH_ACTIONS);

interface RegionMetrics {
  data: Datum[];
  alarms: Map<string, Alarm>;
  history: AlarmHistoryItem[];
}

export interface ReceivedDatum extends Datum {
  region: string;
}

/** CloudWatch per region. The operations are protocol-neutral: JSON and awsQuery share them. */
export class CloudWatchService {
  private readonly regions = new Map<string, RegionMetrics>();
  /** Dashboards are global (their ARNs name no region), as on AWS. */
  private readonly dashboards = new Map<string, Dashboard>();
  readonly received: ReceivedDatum[] = [];
  private readonly alarmEvaluator: AlarmEvaluator;

  /** `publish`: where alarm notifications go (the emulator's SNS); none when absent. */
  constructor(
    private readonly clock: EmulatorClock,
    private readonly accountId: string,
    publish?: AlarmPublisher,
  ) {
    const alarms = () =>
      [...this.regions].map(([region, s]): [string, Map<string, Alarm>] => [region, s.alarms]);
    this.alarmEvaluator = new AlarmEvaluator(clock, accountId, alarms, publish, (region, item) =>
      this.state(region).history.push(item),
    );
  }

  /** Evaluates the metric alarms for every whole minute of emulator time since the last call. */
  evaluateAlarms(): void {
    this.alarmEvaluator.evaluate();
  }

  static handles(action: string): boolean {
    return ACTIONS.has(action);
  }

  private state(region: string): RegionMetrics {
    let s = this.regions.get(region);
    if (!s) {
      s = { data: [], alarms: new Map(), history: [] };
      this.regions.set(region, s);
    }
    return s;
  }

  handle(region: string, action: string, input: Input): Output {
    const s = this.state(region);
    switch (action) {
      case "PutMetricData":
        for (const d of putMetricData(s.data, input, this.clock)) {
          this.received.push({ ...d, region });
          this.alarmEvaluator.record(region, d);
        }
        return undefined;
      case "GetMetricStatistics":
        return getMetricStatistics(s.data, input);
      case "ListMetrics":
        return listMetrics(s.data, input);
      case "GetMetricData":
        return getMetricData(s.data, input);
      case "PutMetricAlarm": {
        const existed = s.alarms.has(str(input, "AlarmName") ?? "");
        putMetricAlarm(s.alarms, input, { clock: this.clock, region, accountId: this.accountId });
        const name = str(input, "AlarmName") ?? "";
        s.history.push({
          AlarmName: name,
          AlarmType: "MetricAlarm",
          Timestamp: this.clock.now(),
          HistoryItemType: "ConfigurationUpdate",
          HistorySummary: `Alarm "${name}" ${existed ? "updated" : "created"}`,
          HistoryData: JSON.stringify({ version: "1.0", type: existed ? "Update" : "Create" }),
        });
        return undefined;
      }
      case "SetAlarmState":
        setAlarmState(s.alarms, input, { region, clock: this.clock, evaluator: this.alarmEvaluator });
        return undefined;
      case "DescribeAlarmsForMetric":
        return describeAlarmsForMetric(s.alarms, input);
      case "DescribeAlarmHistory":
        return describeAlarmHistory(s.history, input);
      case "PutDashboard":
        return putDashboard(this.dashboards, input, this.clock);
      case "GetDashboard":
        return getDashboard(this.dashboards, input, this.accountId);
      case "ListDashboards":
        return listDashboards(this.dashboards, input, this.accountId);
      case "DeleteDashboards":
        return deleteDashboards(this.dashboards, input);
      case "DescribeAlarms":
        return describeAlarms(s.alarms, input);
      case "DeleteAlarms":
        deleteAlarms(s.alarms, input);
        return undefined;
      default:
        throw new AwsError("InvalidAction", `Could not find operation ${action} for version 2010-08-01`);
    }
  }
}
