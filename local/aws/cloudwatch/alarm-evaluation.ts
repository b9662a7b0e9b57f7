import type { EmulatorClock } from "../clock";
import type { Input } from "../protocol/input";
import { stateChangeNotification, stateReason, stateReasonData } from "./alarm-notification";
import { type AlarmSpec, alarmSpec, evaluateAlarm, rangePeriods, type StateValue } from "./alarm-rules";
import { SeriesIndex, seriesKey } from "./alarm-series";
import type { Alarm } from "./alarms";
import type { Datum } from "./metrics";

/** One entry of DescribeAlarmHistory. */
export interface AlarmHistoryItem {
  AlarmName: string;
  AlarmType: "MetricAlarm";
  Timestamp: Date;
  HistoryItemType: "StateUpdate" | "ConfigurationUpdate" | "Action";
  HistorySummary: string;
  HistoryData: string;
}

/** Publishes to an SNS topic of the emulator: `input` is a Publish request (TopicArn, Subject, Message). */
export type AlarmPublisher = (region: string, input: Input) => void;

const MINUTE = 60_000;
const floorMinute = (t: number) => Math.floor(t / MINUTE) * MINUTE;

interface Due {
  at: number;
  region: string;
  name: string;
}

/**
 * Evaluates metric alarms once per whole minute of emulator time, lazily: each call catches up on
 * the minutes elapsed since the previous one. Between two calls an alarm's result can only change
 * where a datapoint moves from one period to the next (or leaves the evaluation range), so only
 * those minutes are evaluated, plus the first one (new data, new alarms); a long jump of a virtual
 * clock costs a handful of evaluations per datapoint, not one per minute.
 * State changes run the alarm's actions: SNS topics in AlarmActions / OKActions /
 * InsufficientDataActions get CloudWatch's notification (other action types are ignored).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */
export class AlarmEvaluator {
  private readonly series = new SeriesIndex();
  private evaluatedUpTo: number;

  constructor(
    private readonly clock: EmulatorClock,
    private readonly accountId: string,
    private readonly alarms: () => Iterable<[string, Map<string, Alarm>]>,
    private readonly publish: AlarmPublisher | undefined,
    private readonly history?: (region: string, item: AlarmHistoryItem) => void,
  ) {
    this.evaluatedUpTo = floorMinute(clock.nowMs());
  }

  record(region: string, d: Datum): void {
    this.series.add(region, d);
  }

  evaluate(): void {
    const target = floorMinute(this.clock.nowMs());
    if (target <= this.evaluatedUpTo) return;
    const first = this.evaluatedUpTo + MINUTE;
    const due: Due[] = [];
    for (const [region, alarms] of this.alarms()) {
      for (const [name, alarm] of alarms) {
        const spec = alarmSpec(alarm);
        if (spec) for (const at of this.dueTimes(region, spec, first, target)) due.push({ at, region, name });
      }
    }
    due.sort((a, b) => a.at - b.at || a.name.localeCompare(b.name));
    const byRegion = new Map(this.alarms());
    for (const d of due) {
      const alarm = byRegion.get(d.region)?.get(d.name);
      const spec = alarm && alarmSpec(alarm);
      if (alarm && spec) this.evaluateOne(d.region, alarm, spec, d.at);
    }
    this.evaluatedUpTo = target;
  }

  private key(region: string, spec: AlarmSpec): string {
    return seriesKey(region, spec.namespace, spec.metricName, spec.dimensions);
  }

  /** The minutes in [first, target] at which the alarm's evaluation can differ from the minute before. */
  private dueTimes(region: string, spec: AlarmSpec, first: number, target: number): number[] {
    const range = rangePeriods(spec);
    const times = new Set<number>([first]);
    const points = this.series.range(this.key(region, spec), first - MINUTE - range * spec.periodMs, target);
    for (const p of points) {
      for (let k = 0; k <= range; k++) {
        // A datapoint enters period k at the first minute strictly after t + k·Period.
        const at = floorMinute(p.t + k * spec.periodMs) + MINUTE;
        if (at > first && at <= target) times.add(at);
      }
    }
    return [...times];
  }

  private evaluateOne(region: string, alarm: Alarm, spec: AlarmSpec, at: number): void {
    const points = this.series.range(this.key(region, spec), at - rangePeriods(spec) * spec.periodMs, at);
    const outcome = evaluateAlarm(spec, points, at);
    const from = (alarm.StateValue as StateValue | undefined) ?? "INSUFFICIENT_DATA";
    if (outcome.state === "retain" || outcome.state === from) return;
    const to = outcome.state;
    this.transition(region, alarm, {
      to,
      reason: stateReason(spec, outcome, from, to),
      reasonData: stateReasonData(spec, outcome, at),
      at,
    });
  }

  /**
   * Moves an alarm to a new state (from evaluation or SetAlarmState), records it in the alarm's
   * history and runs the actions of the new state.
   */
  transition(
    region: string,
    alarm: Alarm,
    change: { to: StateValue; reason: string; reasonData: string | undefined; at: number },
  ): void {
    const { to, reason, at } = change;
    const from = (alarm.StateValue as StateValue | undefined) ?? "INSUFFICIENT_DATA";
    alarm.StateValue = to;
    alarm.StateReason = reason;
    alarm.StateReasonData = change.reasonData;
    alarm.StateUpdatedTimestamp = new Date(at);
    if (from !== to) alarm.StateTransitionedTimestamp = new Date(at);
    this.history?.(region, {
      AlarmName: String(alarm.AlarmName),
      AlarmType: "MetricAlarm",
      Timestamp: new Date(at),
      HistoryItemType: "StateUpdate",
      HistorySummary: `Alarm updated from ${from} to ${to}`,
      HistoryData: JSON.stringify({
        version: "1.0",
        oldState: { stateValue: from },
        newState: { stateValue: to, stateReason: reason },
      }),
    });
    if (alarm.ActionsEnabled === false || !this.publish) return;
    const actions = {
      ALARM: alarm.AlarmActions,
      OK: alarm.OKActions,
      INSUFFICIENT_DATA: alarm.InsufficientDataActions,
    }[to];
    const { subject, message } = stateChangeNotification(alarm, {
      region,
      accountId: this.accountId,
      from,
      to,
      reason,
      at,
    });
    for (const arn of (actions as string[] | undefined) ?? []) {
      const topicRegion = /^arn:[^:]+:sns:([^:]+):/.exec(arn)?.[1];
      if (topicRegion === undefined) continue;
      try {
        this.publish(topicRegion, { TopicArn: arn, Subject: subject, Message: message });
      } catch {
        // A topic that no longer exists: AWS records the failed action and carries on.
      }
    }
  }
}
