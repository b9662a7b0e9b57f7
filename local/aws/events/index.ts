import { randomUUID } from "node:crypto";
import type { EmulatorClock } from "../clock";
import { AwsError } from "../errors";
import { type Input, num, str } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { parseSchedule, type Schedule } from "./schedule";

/**
 * EventBridge scheduled rules: a rule with a ScheduleExpression sends the scheduled event to its
 * targets at each run time of the emulator's clock. With a `VirtualClock` the rules fire as the
 * clock moves (`tick`, called on every change of its time); in real time, on a timer. Over the wire
 * (awsJson1_1, X-Amz-Target `AWSEvents.<Operation>`) the rules can be read, so the AWS CLI sees them.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
export const EVENTS_TARGET = "AWSEvents";
export const EVENTS_ACTIONS = ["ListRules", "DescribeRule", "ListTargetsByRule"] as const;
const ACTIONS = new Set<string>(EVENTS_ACTIONS);

export interface RuleTarget {
  Id: string;
  Arn: string;
  RoleArn?: string;
  /** Sent instead of the event when given. */
  Input?: string;
}

export interface RuleDefinition {
  region: string;
  name: string;
  scheduleExpression: string;
  state?: "ENABLED" | "DISABLED";
  description?: string;
  targets: RuleTarget[];
}

interface Rule extends Required<Omit<RuleDefinition, "description">> {
  description: string | undefined;
  arn: string;
  schedule: Schedule;
  nextRun: Date | undefined;
}

/** What a target receives; `deliver` returns false when it could not take it. */
export type Deliver = (target: RuleTarget, payload: string, region: string) => void;

export class EventsService {
  private readonly rules = new Map<string, Rule>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clock: EmulatorClock,
    private readonly accountId: string,
    private readonly deliver: Deliver,
    /** Real time: arm a timer for the next run. A virtual clock calls `tick` itself. */
    private readonly realTime: boolean,
  ) {}

  static handles(action: string): boolean {
    return ACTIONS.has(action);
  }

  /** PutRule and PutTargets in one (as CloudFormation creates an AWS::Events::Rule). */
  putRule(definition: RuleDefinition): string {
    const now = this.clock.now();
    const schedule = parseSchedule(definition.scheduleExpression, now);
    const arn = `arn:aws:events:${definition.region}:${this.accountId}:rule/${definition.name}`;
    this.rules.set(arn, {
      region: definition.region,
      name: definition.name,
      scheduleExpression: definition.scheduleExpression,
      state: definition.state ?? "ENABLED",
      description: definition.description,
      targets: definition.targets,
      arn,
      schedule,
      nextRun: schedule.next(now),
    });
    this.arm();
    return arn;
  }

  /** Fires every enabled rule whose run time has come, once per run time passed. */
  tick(): void {
    const now = this.clock.nowMs();
    for (const rule of this.rules.values()) {
      while (rule.nextRun && rule.nextRun.getTime() <= now) {
        const at = rule.nextRun;
        rule.nextRun = rule.schedule.next(at);
        if (rule.state === "ENABLED") this.fire(rule, at);
      }
    }
    this.arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * The scheduled event, as EventBridge sends it when the target has no Input.
   * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-events.html (Scheduled Event)
   */
  private fire(rule: Rule, at: Date): void {
    const event = {
      version: "0",
      id: randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: this.accountId,
      time: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: rule.region,
      resources: [rule.arn],
      detail: {},
    };
    for (const target of rule.targets) {
      try {
        this.deliver(target, target.Input ?? JSON.stringify(event), rule.region);
      } catch {
        // EventBridge counts a failed invocation (FailedInvocations) and carries on.
      }
    }
  }

  private arm(): void {
    if (!this.realTime) return;
    this.stop();
    const next = Math.min(
      ...[...this.rules.values()].map((r) => r.nextRun?.getTime() ?? Number.POSITIVE_INFINITY),
    );
    if (!Number.isFinite(next)) return;
    // setTimeout holds at most 2^31-1 ms; a later run is re-armed when that fires.
    const delay = Math.min(Math.max(0, next - this.clock.nowMs()), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.tick(), delay);
    this.timer.unref();
  }

  handle(region: string, action: string, input: Input): Output {
    if (action === "ListRules") return this.listRules(region, input) as Output;
    if (action === "DescribeRule") return describe(this.rule(region, input)) as Output;
    if (action === "ListTargetsByRule") {
      const rule = this.rule(region, input, "Rule");
      return { Targets: rule.targets.map((t) => ({ ...t })) } as Output;
    }
    throw new AwsError("UnknownOperationException", `Unknown operation ${action}`);
  }

  /** https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListRules.html */
  private listRules(region: string, input: Input) {
    const prefix = str(input, "NamePrefix") ?? "";
    const limit = num(input, "Limit") ?? 100;
    const rules = [...this.rules.values()]
      .filter((r) => r.region === region && r.name.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name))
      .slice(0, limit);
    return { Rules: rules.map(describe) };
  }

  /** https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DescribeRule.html */
  private rule(region: string, input: Input, member = "Name"): Rule {
    const name = str(input, member);
    if (name === undefined) {
      throw new AwsError(
        "ValidationException",
        `1 validation error detected: Value null at '${member.toLowerCase()}' failed to satisfy constraint: Member must not be null`,
      );
    }
    const rule = this.rules.get(`arn:aws:events:${region}:${this.accountId}:rule/${name}`);
    if (!rule)
      throw new AwsError("ResourceNotFoundException", `Rule ${name} does not exist on EventBus default.`);
    return rule;
  }
}

function describe(rule: Rule) {
  return {
    Name: rule.name,
    Arn: rule.arn,
    ScheduleExpression: rule.scheduleExpression,
    State: rule.state,
    Description: rule.description,
    EventBusName: "default",
  };
}
