import { readFileSync } from "node:fs";
import { join } from "node:path";
import "./polyfills";
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import type { VirtualClock } from "./clock";

/** A Lambda handler as the runner calls it: the event, and a Lambda-like context. */
export type LocalHandler = (event: unknown, context: LocalLambdaContext) => Promise<unknown>;

export interface LocalLambdaContext {
  functionName: string;
  awsRequestId: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  functionVersion: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

export interface ExecutionStats {
  /** StateEntered events: what AWS bills as state transitions, near enough. */
  stateTransitions: number;
  taskInvocations: Record<string, number>;
  /** Simulated milliseconds spent inside each function (Lambda duration, for the cost model). */
  taskMillis: Record<string, number>;
  /** The library's own event log entries. */
  events: number;
  /**
   * Estimated AWS history events: 2 per execution, 2 per state (entered, exited), 3 more per
   * Lambda task attempt (scheduled, started, succeeded or failed), 2 per Map iteration.
   */
  historyEvents: number;
  largestPayloadBytes: number;
  /** Task failures Step Functions saw (then retried or caught), for diagnosis. */
  taskFailures: { state: string; error: string; cause: string }[];
}

/** Step Functions quotas (../shared/aws-limits.md): a Standard execution fails beyond these. */
export const MAX_HISTORY_EVENTS = 25_000;
export const MAX_PAYLOAD_BYTES = 262_144;

export class StepFunctionsQuotaError extends Error {
  override name = "StepFunctionsQuotaError";
}

export interface ExecutionResult {
  output: unknown;
  stats: ExecutionStats;
}

export const BACKUP_DEFINITION = join(__dirname, "..", "statemachine", "backup.asl.json");
const VIRTUAL_WAIT = "arn:aws:lambda:us-east-1:000000000000:function:snapfleet-local-virtual-wait";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type StateDef = Record<string, Json>;

export function loadDefinition(path = BACKUP_DEFINITION): StateDef {
  return JSON.parse(readFileSync(path, "utf8")) as StateDef;
}

/**
 * Prepares a definition written for `sls deploy` for aws-local-stepfunctions:
 * - `{"Fn::GetAtt": [fn, "Arn"]}` resources become plain ARNs, remembering which function each Task calls;
 * - with a virtual clock, each Wait state becomes a Task that sleeps in simulated time and passes its
 *   input through (`ResultPath: null`), because the library's Wait sleeps in real time.
 */
export function prepareDefinition(definition: StateDef, virtualWaits: boolean) {
  const taskFunctions: Record<string, string> = {};
  const retryable: string[] = [];
  const waits: string[] = [];
  const visit = (states: Record<string, StateDef>) => {
    for (const [name, state] of Object.entries(states)) {
      const resource = state.Resource as { "Fn::GetAtt"?: [string, string] } | string | undefined;
      if (resource && typeof resource === "object" && resource["Fn::GetAtt"]) {
        const fn = resource["Fn::GetAtt"][0];
        taskFunctions[name] = fn;
        state.Resource = `arn:aws:lambda:us-east-1:000000000000:function:snapfleet-${fn}`;
      }
      if (state.Retry) retryable.push(name);
      if (state.Type === "Wait" && virtualWaits) {
        const seconds = state.SecondsPath
          ? { "seconds.$": state.SecondsPath }
          : { seconds: state.Seconds ?? 0 };
        const next = state.Next ? { Next: state.Next } : { End: true };
        states[name] = {
          Type: "Task",
          Resource: VIRTUAL_WAIT,
          Parameters: seconds,
          ResultPath: null,
          ...next,
        };
        waits.push(name);
      }
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | { States?: Record<string, StateDef> }
        | undefined;
      if (processor?.States) visit(processor.States);
      for (const branch of (state.Branches ?? []) as { States: Record<string, StateDef> }[])
        visit(branch.States);
    }
  };
  const copy = structuredClone(definition);
  visit(copy.States as Record<string, StateDef>);
  return { definition: copy, taskFunctions, retryable, waits };
}

export interface RunOptions {
  handlers: Record<string, LocalHandler>;
  executionName: string;
  clock?: VirtualClock | undefined;
  definition?: StateDef;
}

/** Runs a state machine definition with the real handlers, in process. */
export async function runStateMachine(input: Json, options: RunOptions): Promise<ExecutionResult> {
  const prepared = prepareDefinition(options.definition ?? loadDefinition(), options.clock !== undefined);
  const stats: ExecutionStats = {
    stateTransitions: 0,
    taskInvocations: {},
    taskMillis: {},
    events: 0,
    historyEvents: 2,
    largestPayloadBytes: 0,
    taskFailures: [],
  };
  const clockNow = () => (options.clock ? options.clock.nowMs() : Date.now());
  const checkPayload = (value: unknown, where: string) => {
    const bytes = Buffer.byteLength(JSON.stringify(value ?? null));
    stats.largestPayloadBytes = Math.max(stats.largestPayloadBytes, bytes);
    if (bytes > MAX_PAYLOAD_BYTES) {
      throw new StepFunctionsQuotaError(
        `States.DataLimitExceeded: ${where} is ${bytes} bytes; Step Functions allows ${MAX_PAYLOAD_BYTES}`,
      );
    }
  };
  const localHandlers: Record<string, (input: Json) => Promise<Json>> = {};
  let invocation = 0;
  for (const [stateName, fn] of Object.entries(prepared.taskFunctions)) {
    const handler = options.handlers[fn];
    if (!handler) throw new Error(`No local handler for function "${fn}" used by state ${stateName}`);
    localHandlers[stateName] = async (event) => {
      stats.taskInvocations[fn] = (stats.taskInvocations[fn] ?? 0) + 1;
      stats.historyEvents += 3;
      invocation += 1;
      checkPayload(event, `the input of ${stateName}`);
      const began = clockNow();
      try {
        const context = lambdaContext(fn, `${options.executionName}-${invocation}`);
        const result = (await handler(event, context)) as Json;
        checkPayload(result, `the output of ${stateName}`);
        return result;
      } finally {
        stats.taskMillis[fn] = (stats.taskMillis[fn] ?? 0) + (clockNow() - began);
      }
    };
  }
  const clock = options.clock;
  if (clock) {
    for (const name of prepared.waits) {
      localHandlers[name] = async (event) => {
        await clock.sleep(((event as { seconds: number }).seconds ?? 0) * 1000);
        return null;
      };
    }
  }
  const machine = new StateMachine(prepared.definition as unknown as StateMachineDefinition, {
    validationOptions: { checkArn: false },
  });
  const execution = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: localHandlers,
      // Retries wait no real time locally; simulated retry delays are left to the fleet-scale work.
      retryIntervalOverrides: Object.fromEntries(prepared.retryable.map((name) => [name, 0])),
    },
    context: {
      Execution: {
        Id: `arn:aws:states:us-east-1:000000000000:execution:snapfleet-backup:${options.executionName}`,
        Name: options.executionName,
        StartTime: (clock?.now() ?? new Date()).toISOString(),
      },
    },
  });
  const counting = countEvents(execution.eventLogs, stats);
  const output = await execution.result;
  await counting;
  if (stats.historyEvents > MAX_HISTORY_EVENTS) {
    throw new StepFunctionsQuotaError(
      `States.Runtime: execution ${options.executionName} needed about ${stats.historyEvents} history events; a Standard execution allows ${MAX_HISTORY_EVENTS}`,
    );
  }
  return { output, stats };
}

type EventLog = { type: string; state?: { name?: string }; Error?: string; Cause?: unknown };

async function countEvents(events: AsyncGenerator<EventLog>, stats: ExecutionStats): Promise<void> {
  for await (const event of events) {
    stats.events += 1;
    if (event.type === "StateEntered") stats.stateTransitions += 1;
    if (event.type === "StateEntered" || event.type === "StateExited") stats.historyEvents += 1;
    if (event.type.startsWith("MapIteration") || event.type === "StateRetried") stats.historyEvents += 1;
    if (event.type === "StateFailed") {
      stats.taskFailures.push({
        state: event.state?.name ?? "",
        error: event.Error ?? "",
        cause: describeCause(event.Cause),
      });
    }
  }
}

/** Timeouts of the functions in serverless.yml (seconds); middy aborts a handler when they run out. */
const FUNCTION_TIMEOUT_SECONDS: Record<string, number> = { plan: 900, coordinate: 900, summarize: 300 };

function lambdaContext(fn: string, requestId: string): LocalLambdaContext {
  const deadline = Date.now() + (FUNCTION_TIMEOUT_SECONDS[fn] ?? 60) * 1000;
  return {
    functionName: `snapfleet-${fn}`,
    awsRequestId: requestId,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:snapfleet-${fn}`,
    memoryLimitInMB: "256",
    functionVersion: "$LATEST",
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error || (cause && typeof cause === "object" && "message" in cause)) {
    const e = cause as { name?: string; message?: string; stack?: string };
    return `${e.name ?? "Error"}: ${e.message ?? ""}`.slice(0, 500);
  }
  if (cause && typeof cause === "object") return JSON.stringify(cause).slice(0, 500);
  return String(cause ?? "").slice(0, 500);
}
