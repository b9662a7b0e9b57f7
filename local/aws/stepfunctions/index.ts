import { randomUUID } from "node:crypto";
import { VirtualClock } from "../../clock";
import { type LocalHandler, type RunnerEvent, runStateMachine } from "../../runner";
import type { EmulatorClock } from "../clock";
import { AwsError } from "../errors";
import { bool, type Input, str } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { History, type HistoryEvent, type MapRun } from "./history";
import { type Machine, StateMachines } from "./machines";
import { type ExecutionListItem, MapRuns } from "./map-runs";
import {
  checkName,
  executionArn,
  executionDoesNotExist,
  page,
  pageInput,
  parseArn,
  required,
  validation,
} from "./names";

/**
 * Step Functions over awsJson1_0 (X-Amz-Target `AWSStepFunctions.<Operation>`, signing name
 * `states`): state machines, executions that run their definition through the local runner
 * (local/runner.ts, with the Distributed Map of local/distributed-map.ts), their history, and the
 * Map Runs of a Distributed Map. Task states whose Resource is a Lambda function's ARN call the
 * function registered under that ARN (`registerFunction`): the emulator knows no function code.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
 */
export const STEP_FUNCTIONS_TARGET = "AWSStepFunctions";

export const STEP_FUNCTIONS_ACTIONS = [
  "CreateStateMachine",
  "ListStateMachines",
  "DescribeStateMachine",
  "StartExecution",
  "DescribeExecution",
  "ListExecutions",
  "GetExecutionHistory",
  "StopExecution",
  "ListMapRuns",
  "DescribeMapRun",
] as const;
const ACTIONS = new Set<string>(STEP_FUNCTIONS_ACTIONS);

type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";
const STATUSES = new Set<string>([
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "ABORTED",
  "PENDING_REDRIVE",
]);

interface Execution {
  arn: string;
  name: string;
  machine: Machine;
  input: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string | undefined;
  cause?: string | undefined;
  history: History;
  mapRuns: MapRun[];
  abort: AbortController;
  done: Promise<void>;
}

export interface StepFunctionsEnvironment {
  clock: EmulatorClock;
  accountId: string;
  /** The emulator's own endpoint: Step Functions' S3 calls (ItemReader, ResultWriter) go there. */
  endpoint(): string;
  /** In real time, Wait states last this many seconds instead of their own duration (`EmulatorOptions`). */
  waitSeconds?: number | undefined;
}

/** How an execution failed: the error's name and message, or those of the error it wraps. */
function failureOf(err: unknown): { error: string; cause: string } {
  const e = err as Error & { cause?: { name?: string; message?: string } };
  if (e?.cause && typeof e.cause === "object" && e.cause.name) {
    return { error: e.cause.name, cause: e.cause.message ?? "" };
  }
  const message = e?.message ?? String(err);
  const missing = /^No local handler for function "([^"]+)"/.exec(message);
  if (missing) {
    return {
      error: "Lambda.ResourceNotFoundException",
      cause: `Function not found: ${missing[1]} (the embedded AWS has no function registered under this ARN)`,
    };
  }
  return { error: e?.name ?? "States.Runtime", cause: message };
}

export class StepFunctionsService {
  private readonly machines: StateMachines;
  private readonly executions = new Map<string, Execution>();
  private readonly mapRuns = new MapRuns();
  private readonly functions = new Map<string, LocalHandler>();

  constructor(private readonly env: StepFunctionsEnvironment) {
    this.machines = new StateMachines(env.clock, env.accountId);
  }

  static handles(action: string): boolean {
    return ACTIONS.has(action);
  }

  /** The code behind a Lambda function's ARN, for Task states that name it. */
  registerFunction(arn: string, invoke: LocalHandler): void {
    this.functions.set(arn, invoke);
  }

  /** Aborts every running execution (the emulator is stopping). */
  stopAll(): void {
    for (const e of this.executions.values()) {
      if (e.status !== "RUNNING") continue;
      this.finish(e, "ABORTED");
      e.history.add("ExecutionAborted", { error: "States.Aborted", cause: "The embedded AWS stopped" });
      e.abort.abort();
    }
  }

  /** Resolves once no execution is running (those started meanwhile included). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.executions.values()].filter((e) => e.status === "RUNNING");
      if (running.length === 0) return;
      await Promise.all(running.map((e) => e.done));
    }
  }

  handle(region: string, action: string, input: Input): Output {
    switch (action) {
      case "CreateStateMachine":
        return this.machines.create(region, input) as Output;
      case "ListStateMachines":
        return this.machines.list(region, input) as Output;
      case "DescribeStateMachine":
        return this.machines.describe(input) as Output;
      case "StartExecution":
        return this.startExecution(input) as Output;
      case "DescribeExecution":
        return this.describeExecution(input) as Output;
      case "ListExecutions":
        return this.listExecutions(input) as Output;
      case "GetExecutionHistory":
        return this.getExecutionHistory(input) as Output;
      case "StopExecution":
        return this.stopExecution(input) as Output;
      case "ListMapRuns": {
        const e = this.execution(required(input, "executionArn"));
        return this.mapRuns.list(e.arn, e.mapRuns, input) as Output;
      }
      case "DescribeMapRun":
        return this.mapRuns.describe(input) as Output;
      default:
        throw new AwsError("UnknownOperationException", `Unknown operation ${action}`);
    }
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html */
  startExecution(input: Input): { executionArn: string; startDate: Date } {
    const machine = this.machines.get(required(input, "stateMachineArn"));
    if (machine.type === "EXPRESS") {
      throw new AwsError(
        "StateMachineTypeNotSupported",
        "The embedded AWS runs STANDARD state machines only",
      );
    }
    const name = str(input, "name") ?? randomUUID();
    checkName(name, "execution");
    const text = str(input, "input") ?? "{}";
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new AwsError("InvalidExecutionInput", `Invalid execution input: ${(err as Error).message}`);
    }
    if (Buffer.byteLength(text) > 262_144)
      throw new AwsError("InvalidExecutionInput", "The execution input exceeds 262144 bytes");
    const arn = executionArn(machine.region, this.env.accountId, machine.name, name);
    const existing = this.executions.get(arn);
    if (existing) {
      // The same name and input while it runs: the same answer. Otherwise the name is taken (for 90 days).
      if (existing.status === "RUNNING" && existing.input === text)
        return { executionArn: arn, startDate: existing.startDate };
      throw new AwsError("ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`);
    }
    const history = new History(() => this.env.clock.now());
    const execution: Execution = {
      arn,
      name,
      machine,
      input: text,
      status: "RUNNING",
      startDate: this.env.clock.now(),
      history,
      mapRuns: [],
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    history.add("ExecutionStarted", {
      input: text,
      inputDetails: { truncated: false },
      roleArn: machine.roleArn,
    });
    this.executions.set(arn, execution);
    execution.done = this.run(execution, parsed);
    return { executionArn: arn, startDate: execution.startDate };
  }

  private async run(execution: Execution, input: unknown): Promise<void> {
    const { machine } = execution;
    const clock = this.env.clock instanceof VirtualClock ? this.env.clock : undefined;
    try {
      const { output } = await runStateMachine(input as never, {
        handlers: Object.fromEntries(this.functions),
        executionName: execution.name,
        clock,
        definition: JSON.parse(machine.definition),
        s3: { endpoint: this.env.endpoint(), region: machine.region },
        stateMachine: { name: machine.name, region: machine.region, accountId: this.env.accountId },
        signal: execution.abort.signal,
        onEvent: (event) => this.record(execution, event),
        ...(this.env.waitSeconds !== undefined && !clock ? { waitMillis: this.env.waitSeconds * 1000 } : {}),
      });
      if (execution.status !== "RUNNING") return;
      execution.output = JSON.stringify(output ?? null);
      this.finish(execution, "SUCCEEDED");
      execution.history.add("ExecutionSucceeded", {
        output: execution.output,
        outputDetails: { truncated: false },
      });
    } catch (err) {
      if (execution.status !== "RUNNING") return;
      const { error, cause } = failureOf(err);
      execution.error = error;
      execution.cause = cause;
      this.finish(execution, "FAILED");
      execution.history.add("ExecutionFailed", { error, cause });
    }
  }

  private finish(execution: Execution, status: ExecutionStatus): void {
    execution.status = status;
    execution.stopDate = this.env.clock.now();
    for (const run of execution.mapRuns) {
      if (run.status !== "RUNNING") continue;
      run.status = status === "SUCCEEDED" ? "SUCCEEDED" : "ABORTED";
      run.stopDate = execution.stopDate;
    }
  }

  private record(execution: Execution, event: RunnerEvent): void {
    if (execution.status !== "RUNNING") return;
    if (event.type === "MapRunItem") {
      this.mapRuns.record(execution.arn, event, this.env.clock.now());
      return;
    }
    if (event.type === "MapRunStarted" || event.type === "MapRunEnded") {
      const started = this.mapRuns.record(execution.arn, event, this.env.clock.now());
      if (started) execution.mapRuns.push(started);
    }
    execution.history.record(event);
  }

  private execution(arn: string | undefined): Execution {
    parseArn(arn, "execution");
    const execution = this.executions.get(arn as string);
    if (!execution) throw executionDoesNotExist(arn as string);
    return execution;
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html */
  private describeExecution(input: Input) {
    const arn = required(input, "executionArn");
    const child = this.mapRuns.describeChild(arn);
    if (child) return child;
    const e = this.execution(arn);
    return {
      executionArn: e.arn,
      stateMachineArn: e.machine.arn,
      name: e.name,
      status: e.status,
      startDate: e.startDate,
      stopDate: e.stopDate,
      input: e.input,
      inputDetails: { included: true },
      output: e.output,
      outputDetails: e.output === undefined ? undefined : { included: true },
      error: e.error,
      cause: e.cause,
      redriveCount: 0,
      redriveStatus: "NOT_REDRIVABLE",
    };
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html */
  private listExecutions(input: Input) {
    const machineArn = str(input, "stateMachineArn");
    const mapRunArn = str(input, "mapRunArn");
    if ((machineArn === undefined) === (mapRunArn === undefined)) {
      throw new AwsError("ValidationException", "Exactly one of stateMachineArn and mapRunArn must be given");
    }
    const statusFilter = str(input, "statusFilter");
    if (statusFilter !== undefined && !STATUSES.has(statusFilter)) {
      throw validation(
        "statusFilter",
        "Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]",
        statusFilter,
      );
    }
    let all: ExecutionListItem[];
    if (mapRunArn !== undefined) {
      all = this.mapRuns.children(mapRunArn);
    } else {
      const machine = this.machines.get(machineArn);
      if (machine.type === "EXPRESS")
        throw new AwsError("StateMachineTypeNotSupported", "ListExecutions does not list EXPRESS executions");
      all = [...this.executions.values()]
        .filter((e) => e.machine.arn === machine.arn)
        .map((e) => ({
          executionArn: e.arn,
          stateMachineArn: machine.arn,
          name: e.name,
          status: e.status,
          startDate: e.startDate,
          stopDate: e.stopDate,
        }));
    }
    // Newest first, as the console and the CLI show them.
    const filtered = all
      .filter((e) => statusFilter === undefined || e.status === statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    const scope = `ListExecutions/${machineArn ?? mapRunArn}/${statusFilter ?? ""}`;
    const { items, nextToken } = page(filtered, pageInput(input), scope);
    return { executions: items, nextToken };
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html */
  private getExecutionHistory(input: Input) {
    const e = this.execution(required(input, "executionArn"));
    const reverse = bool(input, "reverseOrder") === true;
    const withData = bool(input, "includeExecutionData") !== false;
    const events = reverse ? [...e.history.events].reverse() : e.history.events;
    const scope = `GetExecutionHistory/${e.arn}/${reverse}`;
    const { items, nextToken } = page(events, pageInput(input), scope);
    return { events: withData ? items : items.map(withoutData), nextToken };
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html */
  private stopExecution(input: Input) {
    const e = this.execution(required(input, "executionArn"));
    if (e.status === "RUNNING") {
      e.error = str(input, "error");
      e.cause = str(input, "cause");
      this.finish(e, "ABORTED");
      e.history.add("ExecutionAborted", {
        ...(e.error !== undefined ? { error: e.error } : {}),
        ...(e.cause !== undefined ? { cause: e.cause } : {}),
      });
      e.abort.abort();
    }
    return { stopDate: e.stopDate };
  }
}

function withoutData(event: HistoryEvent): HistoryEvent {
  const copy: HistoryEvent = { ...event };
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith("EventDetails") || value === null || typeof value !== "object") continue;
    const { input: _i, output: _o, ...rest } = value as Record<string, unknown>;
    copy[key] = rest;
  }
  return copy;
}
