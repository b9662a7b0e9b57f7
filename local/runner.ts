import { readFileSync } from "node:fs";
import { join } from "node:path";
import "./polyfills";
import { S3Client } from "@aws-sdk/client-s3";
import { ExecutionAbortedError, StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import type { VirtualClock } from "./clock";
import {
  type ChildOutcome,
  type ChildStart,
  childDefinition,
  childExecutionType,
  type DistributedMapEvent,
  distributedMapTask,
  isDistributedMap,
  type MapRunEvent,
  REAL_TIME_UNLIMITED_SECONDS,
  runDistributedMap,
} from "./distributed-map";

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
   * Estimated AWS history events of this execution only: 2 per execution, 2 per state (entered,
   * exited), 3 more per Lambda task attempt (scheduled, started, succeeded or failed), 2 per
   * inline Map iteration, 2 per Distributed Map run (MapRunStarted, MapRunSucceeded or MapRunFailed).
   * A Distributed Map's child executions have histories of their own (`largestHistoryEvents`).
   */
  historyEvents: number;
  /** The largest history of this execution and of every child execution under it. */
  largestHistoryEvents: number;
  /** Child executions started by Distributed Map states (at any depth). */
  childExecutions: number;
  /** The largest payload in this execution or any child execution. */
  largestPayloadBytes: number;
  /** Task failures Step Functions saw (then retried or caught), children's included, for diagnosis. */
  taskFailures: { state: string; error: string; cause: string }[];
  /** Task attempts failed by `RunOptions.crash` (their handler ran to the end), children's included. */
  crashesInjected: number;
}

/** A Lambda task attempt, as `RunOptions.crash` is told of it. */
export interface TaskAttempt {
  /** The function's name in serverless.yml. */
  fn: string;
  /** The Task state's name. */
  state: string;
  /** The execution's name: the parent's, or a Distributed Map child's `<parent>/<label>:<index>`. */
  execution: string;
}

/**
 * The error Step Functions reports when a Lambda function fails without handling it: its runtime
 * died (out of memory, killed) or it timed out. Matched by `Lambda.Unknown`, `States.TaskFailed`
 * and `States.ALL`. https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
export const LAMBDA_UNKNOWN = "Lambda.Unknown";

class LambdaUnknownError extends Error {
  override name = LAMBDA_UNKNOWN;
}

/**
 * The S3 the runner uses for what Step Functions itself reads and writes (a Distributed Map's
 * ItemReader and ResultWriter): a ready client, or where to reach one (path-style addressing).
 */
export type RunnerS3 =
  | S3Client
  | {
      endpoint: string;
      region?: string;
      credentials?: { accessKeyId: string; secretAccessKey: string };
    };

/** The key Step Functions' own S3 calls are signed with locally (its role, not the Lambdas'). */
export const STATES_CREDENTIALS = { accessKeyId: "snapfleet-local-states", secretAccessKey: "local" };

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
const STATE_MACHINE_NAME = "snapfleet-backup";
const REGION = "us-east-1";
const ACCOUNT_ID = "000000000000";
const VIRTUAL_WAIT = "arn:aws:lambda:us-east-1:000000000000:function:snapfleet-local-virtual-wait";
/** A Lambda function's ARN as a Task's Resource (unqualified, or with a version or alias). */
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type StateDef = Record<string, Json>;

export function loadDefinition(path = BACKUP_DEFINITION): StateDef {
  return JSON.parse(readFileSync(path, "utf8")) as StateDef;
}

/** A definition made ready for aws-local-stepfunctions, with what the runner needs to wire it. */
export interface PreparedDefinition {
  definition: StateDef;
  /** Task state name -> serverless.yml function name, for this execution's own states. */
  taskFunctions: Record<string, string>;
  retryable: string[];
  waits: string[];
  /** Every Wait state left as a Wait (real time), for `RunOptions.waitMillis`. */
  realWaits?: string[];
  /** Distributed Map states (rewritten into Tasks), with their child definitions prepared once. */
  distributedMaps: Record<string, { state: StateDef; child: PreparedDefinition }>;
  /** The library's state machine, built once and reused by every child execution. */
  machine?: StateMachine;
}

/**
 * Prepares a definition written for `sls deploy` for aws-local-stepfunctions:
 * - `{"Fn::GetAtt": [fn, "Arn"]}` resources become plain ARNs, remembering which function each Task calls;
 * - with a virtual clock, each Wait state becomes a Task that sleeps in simulated time and passes its
 *   input through (`ResultPath: null`), because the library's Wait sleeps in real time: `Seconds` or
 *   `SecondsPath` for that long, `Timestamp` or `TimestampPath` until that time on the virtual clock
 *   (not at all when it has passed);
 * - each Distributed Map state becomes a Task that runs its items as child executions
 *   (local/distributed-map.ts); its ItemProcessor is prepared here, once, as a definition of its own.
 */
export function prepareDefinition(definition: StateDef, virtualWaits: boolean): PreparedDefinition {
  const taskFunctions: Record<string, string> = {};
  const retryable: string[] = [];
  const waits: string[] = [];
  const realWaits: string[] = [];
  const distributedMaps: PreparedDefinition["distributedMaps"] = {};
  const visit = (states: Record<string, StateDef>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Retry) retryable.push(name);
      if (isDistributedMap(state)) {
        distributedMaps[name] = { state, child: prepareDefinition(childDefinition(state), virtualWaits) };
        states[name] = distributedMapTask(state);
        continue;
      }
      const resource = state.Resource as { "Fn::GetAtt"?: [string, string] } | string | undefined;
      if (resource && typeof resource === "object" && resource["Fn::GetAtt"]) {
        const fn = resource["Fn::GetAtt"][0];
        taskFunctions[name] = fn;
        state.Resource = `arn:aws:lambda:us-east-1:000000000000:function:snapfleet-${fn}`;
      } else if (typeof resource === "string" && LAMBDA_ARN.test(resource)) {
        // A deployed definition names its functions by ARN: the handler is looked up by that ARN.
        taskFunctions[name] = resource;
      }
      if (state.Type === "Wait" && !virtualWaits) realWaits.push(name);
      if (state.Type === "Wait" && virtualWaits) {
        const next = state.Next ? { Next: state.Next } : { End: true };
        states[name] = {
          Type: "Task",
          Resource: VIRTUAL_WAIT,
          // Simulated hours pass in real minutes at fleet scale; the library's 60 s default must not cut them.
          TimeoutSeconds: REAL_TIME_UNLIMITED_SECONDS,
          Parameters: virtualWaitParameters(state),
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
  // A JSON copy, not structuredClone: under jest, structuredClone makes objects of another realm, whose
  // nested `.$` keys the library (which checks for Object.prototype) would then leave unevaluated.
  const copy = JSON.parse(JSON.stringify(definition)) as StateDef;
  visit(copy.States as Record<string, StateDef>);
  return { definition: copy, taskFunctions, retryable, waits, realWaits, distributedMaps };
}

/** What the Task standing for a Wait state passes to its handler (`virtualWait`). */
interface VirtualWaitEvent {
  seconds?: number;
  timestamp?: string;
}

function virtualWaitParameters(state: StateDef): Record<string, Json> {
  if (state.SecondsPath) return { "seconds.$": state.SecondsPath };
  if (state.TimestampPath) return { "timestamp.$": state.TimestampPath };
  if (state.Timestamp !== undefined) return { timestamp: state.Timestamp };
  return { seconds: state.Seconds ?? 0 };
}

/**
 * Timestamps as a Wait state takes them: the RFC 3339 profile of ISO 8601, an uppercase T, and Z or
 * a numeric offset. https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
 */
const WAIT_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds a Wait state sleeps on the virtual clock from `nowMs`. */
export function virtualWaitMillis(event: VirtualWaitEvent, nowMs: number): number {
  if (event.timestamp !== undefined) {
    const at = typeof event.timestamp === "string" ? Date.parse(event.timestamp) : Number.NaN;
    if (!WAIT_TIMESTAMP.test(String(event.timestamp)) || Number.isNaN(at)) {
      throw new StatesRuntimeError(
        `The Wait state's timestamp ${JSON.stringify(event.timestamp)} is not valid`,
      );
    }
    return Math.max(0, at - nowMs);
  }
  return Math.max(0, (event.seconds ?? 0) * 1000);
}

class StatesRuntimeError extends Error {
  override name = "States.Runtime";
}

/** Every function a prepared definition calls, child executions' included. */
export function functionsUsed(prepared: PreparedDefinition): Set<string> {
  const used = new Set(Object.values(prepared.taskFunctions));
  for (const { child } of Object.values(prepared.distributedMaps))
    for (const fn of functionsUsed(child)) used.add(fn);
  return used;
}

export interface RunOptions {
  handlers: Record<string, LocalHandler>;
  executionName: string;
  clock?: VirtualClock | undefined;
  definition?: StateDef;
  /** For Distributed Map states with ItemReader or ResultWriter; created on first use. */
  s3?: RunnerS3 | undefined;
  /**
   * Crash injection: asked after each Lambda task's handler resolved (in the parent and in every
   * Distributed Map child). When it answers true, the handler's result is discarded and the attempt
   * fails with `Lambda.Unknown`: every AWS call the handler made has happened, but Step Functions
   * never saw the answer, as when a function's runtime dies after its last call. Counted in
   * `ExecutionStats.crashesInjected`.
   */
  crash?: ((task: TaskAttempt) => boolean) | undefined;
  /** The state machine the execution belongs to (its ARNs and context object); `snapfleet-backup` by default. */
  stateMachine?: { name: string; region: string; accountId: string } | undefined;
  /** Aborting it stops the execution (StopExecution): the run rejects with ExecutionAbortedError. */
  signal?: AbortSignal | undefined;
  /**
   * Told of this execution's history as it happens (not of its Distributed Map children's, which
   * are executions of their own): what Step Functions' GetExecutionHistory and DescribeMapRun show.
   */
  onEvent?: ((event: RunnerEvent) => void) | undefined;
  /**
   * In real time (no `clock`), every Wait state lasts this many milliseconds instead of its own
   * duration: a local convenience for trying runs by hand, for definitions that check on waking
   * whether what they waited for is done (snapfleet's steps do).
   */
  waitMillis?: number | undefined;
  /**
   * Told of every event of the execution and of its Distributed Map children, as it happens: for a
   * progress display. It must not throw; it cannot change the run.
   */
  onProgress?: ((event: ProgressEvent) => void) | undefined;
}

/** One entry of an execution's history, as the runner reports it (`RunOptions.onEvent`). */
export type RunnerEvent =
  | { type: "StateEntered"; state: string; stateType: string; input: unknown }
  | { type: "StateExited"; state: string; stateType: string; output: unknown }
  | { type: "TaskScheduled"; state: string; resource: string; input: unknown }
  | { type: "TaskSucceeded"; state: string; resource: string; output: unknown }
  | { type: "TaskFailed"; state: string; resource: string; error: string; cause: string }
  | MapRunEvent;

/**
 * What `RunOptions.onProgress` hears: a Distributed Map child execution starting and ending, and the
 * library's own events (StateEntered, StateExited, MapIterationStarted, ...) of every execution,
 * each with the name of the execution it belongs to (`<parent>/<label>:<index>` for a child).
 */
export type ProgressEvent =
  | { type: "ChildStarted"; execution: string }
  | { type: "ChildFinished"; execution: string; status: ChildOutcome["status"] }
  | { type: "State"; execution: string; event: EventLog };

/** Runs a state machine definition with the real handlers, in process. */
export async function runStateMachine(input: Json, options: RunOptions): Promise<ExecutionResult> {
  const prepared = prepareDefinition(options.definition ?? loadDefinition(), options.clock !== undefined);
  let client: S3Client | undefined;
  const s3 = () => {
    if (client) return client;
    const given = options.s3;
    if (!given) {
      throw new Error("This definition has a Distributed Map that reads or writes S3: give RunOptions.s3");
    }
    client =
      given instanceof S3Client
        ? given
        : new S3Client({
            endpoint: given.endpoint,
            region: given.region ?? REGION,
            forcePathStyle: true,
            credentials: given.credentials ?? STATES_CREDENTIALS,
          });
    return client;
  };
  const name = options.executionName;
  const machine = options.stateMachine ?? { name: STATE_MACHINE_NAME, region: REGION, accountId: ACCOUNT_ID };
  const arnBase = `arn:aws:states:${machine.region}:${machine.accountId}`;
  const run = await execute(prepared, input, {
    handlers: options.handlers,
    clock: options.clock,
    s3,
    crash: options.crash,
    onProgress: options.onProgress,
    executionName: name,
    context: {
      Execution: {
        Id: `${arnBase}:execution:${machine.name}:${name}`,
        Name: name,
        StartTime: (options.clock?.now() ?? new Date()).toISOString(),
      },
      StateMachine: { Id: `${arnBase}:stateMachine:${machine.name}`, Name: machine.name },
    },
    historyLimit: true,
    machine,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.waitMillis !== undefined ? { waitMillis: options.waitMillis } : {}),
  });
  if (run.failure !== undefined) throw run.failure;
  return { output: run.output as Json, stats: run.stats };
}

interface ExecuteOptions {
  handlers: Record<string, LocalHandler>;
  clock: VirtualClock | undefined;
  s3: () => S3Client;
  crash: RunOptions["crash"];
  onProgress: RunOptions["onProgress"];
  executionName: string;
  context: Record<string, Json>;
  /** Standard executions fail beyond 25,000 history events; Express ones have no history. */
  historyLimit: boolean;
  signal?: AbortSignal;
  machine: { name: string; region: string; accountId: string };
  /** The parent execution's history listener; children have none. */
  onEvent?: RunOptions["onEvent"];
  waitMillis?: number;
}

interface Execution {
  output?: Json;
  /** Why the execution failed: the library's ExecutionError, a StepFunctionsQuotaError, or aborted. */
  failure?: unknown;
  aborted?: boolean;
  stats: ExecutionStats;
}

function emptyStats(): ExecutionStats {
  return {
    stateTransitions: 0,
    taskInvocations: {},
    taskMillis: {},
    events: 0,
    historyEvents: 2,
    largestHistoryEvents: 0,
    childExecutions: 0,
    largestPayloadBytes: 0,
    taskFailures: [],
    crashesInjected: 0,
  };
}

/** Adds a child execution's figures to its parent's (the parent's own history excepted). */
function absorb(stats: ExecutionStats, child: ExecutionStats): void {
  stats.stateTransitions += child.stateTransitions;
  stats.events += child.events;
  for (const [fn, n] of Object.entries(child.taskInvocations))
    stats.taskInvocations[fn] = (stats.taskInvocations[fn] ?? 0) + n;
  for (const [fn, ms] of Object.entries(child.taskMillis))
    stats.taskMillis[fn] = (stats.taskMillis[fn] ?? 0) + ms;
  stats.largestHistoryEvents = Math.max(stats.largestHistoryEvents, child.largestHistoryEvents);
  stats.largestPayloadBytes = Math.max(stats.largestPayloadBytes, child.largestPayloadBytes);
  stats.childExecutions += 1 + child.childExecutions;
  stats.crashesInjected += child.crashesInjected;
  for (const failure of child.taskFailures) stats.taskFailures.push(failure);
}

/** One execution (the parent, or a Distributed Map's child) of a prepared definition. */
async function execute(
  prepared: PreparedDefinition,
  input: Json,
  options: ExecuteOptions,
): Promise<Execution> {
  const stats = emptyStats();
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
      const realBegan = performance.now();
      const resource = fn.startsWith("arn:")
        ? fn
        : `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:snapfleet-${fn}`;
      options.onEvent?.({ type: "TaskScheduled", state: stateName, resource, input: event });
      try {
        const context = lambdaContext(fn, `${options.executionName}-${invocation}`);
        const invoke = () => handler(event, context) as Promise<Json>;
        // A handler holds the virtual clock while it works (local/clock.ts): its calls take no
        // simulated time, and concurrent iterations do not push each other's steps late.
        const result = options.clock ? await options.clock.whileBusy(invoke) : await invoke();
        if (options.crash?.({ fn, state: stateName, execution: options.executionName })) {
          stats.crashesInjected += 1;
          throw new LambdaUnknownError(
            `snapfleet-${fn} (request ${context.awsRequestId}) exited before returning its result (crash injected by the local runner)`,
          );
        }
        checkPayload(result, `the output of ${stateName}`);
        options.onEvent?.({ type: "TaskSucceeded", state: stateName, resource, output: result });
        return result;
      } catch (error) {
        const e = error as Error;
        options.onEvent?.({
          type: "TaskFailed",
          state: stateName,
          resource,
          error: e?.name ?? "Error",
          cause: e?.message ?? String(error),
        });
        throw error;
      } finally {
        // Lambda bills wall time: the simulated time it slept, or the real time it worked here.
        const ms = Math.max(clockNow() - began, performance.now() - realBegan);
        stats.taskMillis[fn] = (stats.taskMillis[fn] ?? 0) + ms;
      }
    };
  }
  const clock = options.clock;
  if (clock) {
    for (const name of prepared.waits) {
      localHandlers[name] = async (event) => {
        const ms = virtualWaitMillis(event as VirtualWaitEvent, clock.nowMs());
        if (ms > 0) await clock.sleep(ms);
        return null;
      };
    }
  }
  for (const [stateName, { state, child }] of Object.entries(prepared.distributedMaps)) {
    let runs = 0;
    const standard = childExecutionType(state) === "STANDARD";
    localHandlers[stateName] = async (event) => {
      // MapRunStarted, then MapRunSucceeded or MapRunFailed, in the parent's history.
      stats.historyEvents += 2;
      runs += 1;
      checkPayload((event as { input?: Json }).input, `the input of ${stateName}`);
      const result = await runDistributedMap(event as unknown as DistributedMapEvent, {
        state,
        stateName,
        stateMachineName: options.machine.name,
        parentExecutionName: options.executionName,
        region: options.machine.region,
        accountId: options.machine.accountId,
        invocation: runs,
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        s3: options.s3,
        now: () => new Date(clockNow()),
        runChild: (start) => runChild(child, start, standard, stats, options, clockNow),
      });
      checkPayload(result, `the output of ${stateName}`);
      return result;
    };
  }
  prepared.machine ??= new StateMachine(prepared.definition as unknown as StateMachineDefinition, {
    validationOptions: { checkArn: false },
  });
  const execution = prepared.machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: localHandlers,
      // Retries wait no real time locally; simulated retry delays are left to the fleet-scale work.
      retryIntervalOverrides: Object.fromEntries(prepared.retryable.map((name) => [name, 0])),
      ...(options.waitMillis !== undefined
        ? {
            waitTimeOverrides: Object.fromEntries(
              (prepared.realWaits ?? []).map((name) => [name, options.waitMillis as number]),
            ),
          }
        : {}),
    },
    context: options.context,
  });
  let overLimit = false;
  const onAbort = () => execution.abort();
  options.signal?.addEventListener("abort", onAbort);
  const stateType = (name: string, type: string) =>
    name in prepared.distributedMaps ? "Map" : prepared.waits.includes(name) ? "Wait" : type;
  const counting = countEvents(execution.eventLogs, stats, (event) => {
    options.onProgress?.({ type: "State", execution: options.executionName, event });
    if (options.onEvent && event.state?.name !== undefined && event.index === undefined) {
      const state = event.state.name;
      const type = stateType(state, event.state.type ?? "");
      if (event.type === "StateEntered")
        options.onEvent({ type: "StateEntered", state, stateType: type, input: event.state.input });
      if (event.type === "StateExited")
        options.onEvent({ type: "StateExited", state, stateType: type, output: event.state.output });
    }
    // Step Functions fails a Standard execution when its history reaches the quota.
    if (options.historyLimit && !overLimit && stats.historyEvents > MAX_HISTORY_EVENTS) {
      overLimit = true;
      execution.abort();
    }
  });
  const done: Execution = { stats };
  try {
    done.output = (await execution.result) as Json;
  } catch (error) {
    done.failure = error;
    done.aborted = error instanceof ExecutionAbortedError;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
  await counting;
  stats.largestHistoryEvents = Math.max(stats.largestHistoryEvents, stats.historyEvents);
  if (options.historyLimit && stats.historyEvents > MAX_HISTORY_EVENTS) {
    done.aborted = false;
    done.failure = new StepFunctionsQuotaError(
      `States.Runtime: execution ${options.executionName} needed about ${stats.historyEvents} history events; a Standard execution allows ${MAX_HISTORY_EVENTS}`,
    );
  }
  return done;
}

/** A Distributed Map's child execution: its own name, context, history count and payload checks. */
async function runChild(
  child: PreparedDefinition,
  start: ChildStart,
  standard: boolean,
  parentStats: ExecutionStats,
  parent: ExecuteOptions,
  clockNow: () => number,
): Promise<ChildOutcome> {
  const startDate = new Date(clockNow());
  parent.onProgress?.({ type: "ChildStarted", execution: start.runnerName });
  const finish = (outcome: Omit<ChildOutcome, "startDate" | "stopDate">): ChildOutcome => {
    parent.onProgress?.({ type: "ChildFinished", execution: start.runnerName, status: outcome.status });
    return { ...outcome, startDate, stopDate: new Date(clockNow()) };
  };
  const inputBytes = Buffer.byteLength(JSON.stringify(start.input));
  if (inputBytes > MAX_PAYLOAD_BYTES) {
    parentStats.childExecutions += 1;
    return finish({
      status: "FAILED",
      error: "States.DataLimitExceeded",
      cause: `The input of ${start.runnerName} is ${inputBytes} bytes; Step Functions allows ${MAX_PAYLOAD_BYTES}`,
    });
  }
  const run = await execute(child, start.input, {
    handlers: parent.handlers,
    clock: parent.clock,
    s3: parent.s3,
    crash: parent.crash,
    onProgress: parent.onProgress,
    executionName: start.runnerName,
    context: start.context,
    historyLimit: standard,
    signal: start.signal,
    machine: parent.machine,
    ...(parent.waitMillis !== undefined ? { waitMillis: parent.waitMillis } : {}),
  });
  absorb(parentStats, run.stats);
  if (run.failure === undefined) {
    const outputBytes = Buffer.byteLength(JSON.stringify(run.output ?? null));
    if (outputBytes > MAX_PAYLOAD_BYTES) {
      return finish({
        status: "FAILED",
        error: "States.DataLimitExceeded",
        cause: `The output of ${start.runnerName} is ${outputBytes} bytes; Step Functions allows ${MAX_PAYLOAD_BYTES}`,
      });
    }
    return finish({ status: "SUCCEEDED", output: run.output ?? null });
  }
  if (run.aborted) return finish({ status: "ABORTED" });
  if (run.failure instanceof StepFunctionsQuotaError) {
    const [error = "States.Runtime", ...rest] = run.failure.message.split(": ");
    return finish({ status: "FAILED", error, cause: rest.join(": ") });
  }
  const cause = (run.failure as { cause?: { name?: string; message?: string } }).cause;
  return finish({
    status: "FAILED",
    error: cause?.name ?? (run.failure as Error).name ?? "States.Runtime",
    cause: cause?.message ?? String((run.failure as Error).message ?? run.failure),
  });
}

/** The part of aws-local-stepfunctions' event log entries the runner reads (the library does not export the type). */
export type EventLog = {
  type: string;
  index?: number;
  state?: { name?: string; type?: string; input?: unknown; output?: unknown };
  parentState?: { name?: string };
  Error?: string;
  Cause?: unknown;
};

async function countEvents(
  events: AsyncGenerator<EventLog>,
  stats: ExecutionStats,
  onEvent: (event: EventLog) => void,
): Promise<void> {
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
    onEvent(event);
  }
}

/** Timeouts of the functions in serverless.yml (seconds); middy aborts a handler when they run out. */
const FUNCTION_TIMEOUT_SECONDS: Record<string, number> = {
  plan: 900,
  step: 300,
  report: 120,
  summarize: 900,
};

function lambdaContext(fn: string, requestId: string): LocalLambdaContext {
  // A function named by its ARN (a deployed definition) gets Lambda's longest timeout.
  const byArn = fn.startsWith("arn:");
  const deadline = Date.now() + (byArn ? 900 : (FUNCTION_TIMEOUT_SECONDS[fn] ?? 60)) * 1000;
  return {
    functionName: byArn ? (fn.split(":")[6] ?? fn) : `snapfleet-${fn}`,
    awsRequestId: requestId,
    invokedFunctionArn: byArn ? fn : `arn:aws:lambda:us-east-1:000000000000:function:snapfleet-${fn}`,
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
