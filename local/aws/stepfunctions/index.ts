import { randomUUID } from "node:crypto";
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { VirtualClock } from "../../clock";
import { type LocalHandler, prepareDefinition, type RunnerEvent, runStateMachine } from "../../runner";
import type { EmulatorClock } from "../clock";
import { AwsError } from "../errors";
import { bool, type Input, num, str } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { History, type HistoryEvent, type ItemStatus, type MapRun, mapRunCounts } from "./history";
import {
  checkName,
  executionArn,
  executionDoesNotExist,
  page,
  parseArn,
  stateMachineArn,
  stateMachineDoesNotExist,
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

interface Machine {
  arn: string;
  name: string;
  region: string;
  definition: string;
  roleArn: string;
  type: "STANDARD" | "EXPRESS";
  creationDate: Date;
}

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

const validation = (member: string, constraint: string, value: unknown = null) =>
  new AwsError(
    "ValidationException",
    `1 validation error detected: Value ${value === null ? "null" : `'${String(value)}'`} at '${member}' failed to satisfy constraint: ${constraint}`,
  );

function required(input: Input, member: string): string {
  const value = str(input, member);
  if (value === undefined) throw validation(member, "Member must not be null");
  return value;
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
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, Execution>();
  private readonly mapRuns = new Map<string, MapRun>();
  private readonly functions = new Map<string, LocalHandler>();

  constructor(private readonly env: StepFunctionsEnvironment) {}

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
        return this.createStateMachine(region, input) as Output;
      case "ListStateMachines":
        return this.listStateMachines(region, input) as Output;
      case "DescribeStateMachine":
        return this.describeStateMachine(input) as Output;
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
      case "ListMapRuns":
        return this.listMapRuns(input) as Output;
      case "DescribeMapRun":
        return this.describeMapRun(input) as Output;
      default:
        throw new AwsError("UnknownOperationException", `Unknown operation ${action}`);
    }
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html */
  createStateMachine(region: string, input: Input): { stateMachineArn: string; creationDate: Date } {
    const name = required(input, "name");
    const definition = required(input, "definition");
    const roleArn = required(input, "roleArn");
    checkName(name, "state machine");
    const type = (str(input, "type") ?? "STANDARD") as Machine["type"];
    if (type !== "STANDARD" && type !== "EXPRESS")
      throw validation("type", "Member must satisfy enum value set: [STANDARD, EXPRESS]", type);
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(roleArn))
      throw new AwsError("InvalidArn", `Invalid Arn: 'Resource type not valid in this context: ${roleArn}'`);
    checkDefinition(definition);
    const arn = stateMachineArn(region, this.env.accountId, name);
    const existing = this.machines.get(arn);
    if (existing) {
      // Idempotent for the same definition and role; otherwise the name is taken.
      if (existing.definition === definition && existing.roleArn === roleArn && existing.type === type)
        return { stateMachineArn: arn, creationDate: existing.creationDate };
      throw new AwsError("StateMachineAlreadyExists", `State Machine Already Exists: '${arn}'`);
    }
    const machine: Machine = {
      arn,
      name,
      region,
      definition,
      roleArn,
      type,
      creationDate: this.env.clock.now(),
    };
    this.machines.set(arn, machine);
    return { stateMachineArn: arn, creationDate: machine.creationDate };
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListStateMachines.html */
  private listStateMachines(region: string, input: Input) {
    const all = [...this.machines.values()]
      .filter((m) => m.region === region)
      .sort((a, b) => a.name.localeCompare(b.name));
    const { items, nextToken } = page(all, pageInput(input), `ListStateMachines/${region}`);
    return {
      stateMachines: items.map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: m.type,
        creationDate: m.creationDate,
      })),
      nextToken,
    };
  }

  private machine(arn: string | undefined): Machine {
    parseArn(arn, "stateMachine");
    const machine = this.machines.get(arn as string);
    if (!machine) throw stateMachineDoesNotExist(arn as string);
    return machine;
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html */
  private describeStateMachine(input: Input) {
    const m = this.machine(required(input, "stateMachineArn"));
    return {
      stateMachineArn: m.arn,
      name: m.name,
      status: "ACTIVE",
      definition: m.definition,
      roleArn: m.roleArn,
      type: m.type,
      creationDate: m.creationDate,
      loggingConfiguration: { level: "OFF", includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html */
  startExecution(input: Input): { executionArn: string; startDate: Date } {
    const machine = this.machine(required(input, "stateMachineArn"));
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
    const now = this.env.clock.now();
    if (event.type === "MapRunStarted") {
      const run: MapRun = {
        mapRunArn: event.mapRunArn,
        executionArn: execution.arn,
        stateMachineArn: event.mapRunArn.replace(":mapRun:", ":stateMachine:").replace(/:[^:]+$/, ""),
        status: "RUNNING",
        startDate: now,
        maxConcurrency: event.maxConcurrency,
        toleratedFailurePercentage: event.toleratedFailurePercentage,
        toleratedFailureCount: event.toleratedFailureCount,
        total: event.total,
        children: new Map(),
      };
      this.mapRuns.set(run.mapRunArn, run);
      execution.mapRuns.push(run);
    } else if (event.type === "MapRunItem") {
      const run = this.mapRuns.get(event.mapRunArn);
      const child = run?.children.get(event.index);
      if (run && event.status === "RUNNING") {
        run.children.set(event.index, {
          name: event.name,
          status: "RUNNING",
          startDate: now,
          input: JSON.stringify(event.input ?? null),
        });
      } else if (child) {
        child.status = event.status as ItemStatus;
        child.stopDate = now;
        if (event.output !== undefined) child.output = JSON.stringify(event.output);
        if (event.error !== undefined) child.error = event.error;
        if (event.cause !== undefined) child.cause = event.cause;
      }
      return;
    } else if (event.type === "MapRunEnded") {
      const run = this.mapRuns.get(event.mapRunArn);
      if (run) {
        run.status = event.status;
        run.stopDate = now;
      }
    }
    execution.history.record(event);
  }

  private execution(arn: string | undefined): Execution {
    parseArn(arn, "execution");
    const execution = this.executions.get(arn as string);
    if (!execution) throw executionDoesNotExist(arn as string);
    return execution;
  }

  /** A Map Run's child execution by its ARN (`...:execution:<machine>/<label>:<name>`). */
  private mapRunChild(arn: string) {
    const [, base = "", name = ""] = /^(.*):([^:]+)$/.exec(arn) ?? [];
    for (const run of this.mapRuns.values()) {
      if (run.stateMachineArn.replace(":stateMachine:", ":execution:") !== base) continue;
      for (const child of run.children.values()) if (child.name === name) return { run, child };
    }
    return undefined;
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html */
  private describeExecution(input: Input) {
    const arn = required(input, "executionArn");
    const found = arn.includes("/") ? this.mapRunChild(arn) : undefined;
    if (found) {
      const { run, child } = found;
      return {
        executionArn: arn,
        stateMachineArn: run.stateMachineArn,
        name: child.name,
        status: child.status,
        startDate: child.startDate,
        stopDate: child.stopDate,
        input: child.input,
        inputDetails: { included: true },
        output: child.output,
        outputDetails: child.output === undefined ? undefined : { included: true },
        error: child.error,
        cause: child.cause,
        mapRunArn: run.mapRunArn,
        redriveCount: 0,
        redriveStatus: "NOT_REDRIVABLE",
      };
    }
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
    type Item = {
      executionArn: string;
      stateMachineArn: string;
      name: string;
      status: string;
      startDate: Date;
      stopDate?: Date | undefined;
      mapRunArn?: string;
    };
    let all: Item[];
    if (mapRunArn !== undefined) {
      parseArn(mapRunArn, "mapRun");
      const run = this.mapRuns.get(mapRunArn);
      if (!run) throw new AwsError("ResourceNotFound", `Resource not found: '${mapRunArn}'`);
      const childBase = run.stateMachineArn.replace(":stateMachine:", ":execution:");
      all = [...run.children.values()].map((c) => ({
        executionArn: `${childBase}:${c.name}`,
        stateMachineArn: run.stateMachineArn,
        name: c.name,
        status: c.status,
        startDate: c.startDate,
        stopDate: c.stopDate,
        mapRunArn,
      }));
    } else {
      const machine = this.machine(machineArn);
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

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListMapRuns.html */
  private listMapRuns(input: Input) {
    const e = this.execution(required(input, "executionArn"));
    const { items, nextToken } = page(e.mapRuns, pageInput(input), `ListMapRuns/${e.arn}`);
    return {
      mapRuns: items.map((r) => ({
        executionArn: r.executionArn,
        mapRunArn: r.mapRunArn,
        stateMachineArn: r.stateMachineArn,
        startDate: r.startDate,
        stopDate: r.stopDate,
      })),
      nextToken,
    };
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html */
  private describeMapRun(input: Input) {
    const arn = required(input, "mapRunArn");
    parseArn(arn, "mapRun");
    const run = this.mapRuns.get(arn);
    if (!run) throw new AwsError("ResourceNotFound", `Resource not found: '${arn}'`);
    const counts = mapRunCounts(run);
    return {
      mapRunArn: run.mapRunArn,
      executionArn: run.executionArn,
      status: run.status,
      startDate: run.startDate,
      stopDate: run.stopDate,
      maxConcurrency: run.maxConcurrency,
      toleratedFailurePercentage: run.toleratedFailurePercentage,
      toleratedFailureCount: run.toleratedFailureCount,
      itemCounts: counts,
      executionCounts: counts,
      redriveCount: 0,
    };
  }
}

function pageInput(input: Input): { maxResults?: number; nextToken?: string } {
  const maxResults = num(input, "maxResults");
  const nextToken = str(input, "nextToken");
  return {
    ...(maxResults !== undefined ? { maxResults } : {}),
    ...(nextToken !== undefined ? { nextToken } : {}),
  };
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

/**
 * A definition Step Functions would accept: JSON, and valid Amazon States Language as the local
 * runner's library checks it (its Distributed Maps rewritten first, as the runner runs them).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html#API_CreateStateMachine_Errors
 */
function checkDefinition(definition: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch (err) {
    throw new AwsError(
      "InvalidDefinition",
      `Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: ${(err as Error).message}'`,
    );
  }
  try {
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new Error("not an object");
    const prepared = prepareDefinition(parsed as never, false);
    new StateMachine(prepared.definition as unknown as StateMachineDefinition, {
      validationOptions: { checkArn: false },
    });
  } catch (err) {
    throw new AwsError(
      "InvalidDefinition",
      `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ${(err as Error).message}'`,
    );
  }
}
