import { createHash } from "node:crypto";
import { setMaxListeners } from "node:events";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { JSONPath } from "jsonpath-plus";

/**
 * Step Functions' Distributed Map, as the local runner emulates it. aws-local-stepfunctions runs a
 * Map state inline whatever its ProcessorConfig says, and ignores ItemReader, ResultWriter and the
 * failure tolerance; so the runner rewrites each Distributed Map state into a Task (keeping its
 * InputPath, ResultSelector, ResultPath, OutputPath, Retry, Catch and transition) whose local
 * handler is `runDistributedMap` below: it reads the items, starts one child execution per item
 * (or batch) with at most MaxConcurrency in flight, applies the failure tolerance and writes the
 * results to S3, as AWS documents:
 * - Distributed mode, child workflow executions with their own history, 10,000 in parallel when
 *   MaxConcurrency is not given, failure threshold:
 *   https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
 * - ItemReader (`arn:aws:states:::s3:getObject`, ReaderConfig InputType JSON, MaxItems):
 *   https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
 * - ItemSelector (`$$.Map.Item.Index`, `$$.Map.Item.Value`):
 *   https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemselector.html
 * - ItemBatcher (MaxItemsPerBatch, BatchInput; a child gets `{"Items": [...], "BatchInput": ...}`):
 *   https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html
 * - ResultWriter (`<Prefix>/<map run id>/manifest.json` and SUCCEEDED_n/FAILED_n/PENDING_n.json;
 *   the state's result is `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`):
 *   https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
 * - Map Run ARNs, child execution statuses and counts:
 *   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type StateDef = Record<string, Json>;

/** About 23 days: the longest real-time timeout setTimeout can hold (2^31 - 1 ms). */
export const REAL_TIME_UNLIMITED_SECONDS = 2_000_000;

export const DISTRIBUTED_MAP_RESOURCE =
  "arn:aws:lambda:us-east-1:000000000000:function:snapfleet-local-distributed-map";

/** AWS runs up to 10,000 child executions in parallel when MaxConcurrency is 0 or absent. */
export const DISTRIBUTED_DEFAULT_CONCURRENCY = 10_000;

export const EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold";

export function isDistributedMap(state: StateDef): boolean {
  if (state.Type !== "Map") return false;
  const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined;
  return processor?.ProcessorConfig?.Mode === "DISTRIBUTED";
}

/** The child state machine of a Distributed Map (its ItemProcessor without ProcessorConfig). */
export function childDefinition(state: StateDef): StateDef {
  const processor = state.ItemProcessor as StateDef;
  return { StartAt: processor.StartAt as string, States: processor.States as StateDef };
}

export function childExecutionType(state: StateDef): "STANDARD" | "EXPRESS" {
  const processor = state.ItemProcessor as { ProcessorConfig?: { ExecutionType?: string } };
  return processor.ProcessorConfig?.ExecutionType === "EXPRESS" ? "EXPRESS" : "STANDARD";
}

/** Fields of the Map state that a Task has too and that keep their meaning on the rewritten Task. */
const CARRIED_FIELDS = [
  "Comment",
  "InputPath",
  "ResultSelector",
  "ResultPath",
  "OutputPath",
  "Retry",
  "Catch",
  "Next",
  "End",
];

/**
 * The Task that stands for a Distributed Map state. Its Parameters let the library evaluate what
 * depends on the state's input (after InputPath) and on the context object: the ItemReader and
 * ResultWriter parameters, the `...Path` variants of the settings, and the input itself.
 */
export function distributedMapTask(state: StateDef): StateDef {
  const parameters: Record<string, Json> = { "input.$": "$", "context.$": "$$" };
  const reader = state.ItemReader as StateDef | undefined;
  if (reader) {
    if (reader.Resource !== "arn:aws:states:::s3:getObject") {
      throw new Error(
        `The local runner reads Distributed Map items with s3:getObject only, not ${reader.Resource}`,
      );
    }
    parameters.readerParameters = (reader.Parameters ?? {}) as Json;
    const config = (reader.ReaderConfig ?? {}) as StateDef;
    if (config.MaxItemsPath) parameters["maxItems.$"] = config.MaxItemsPath;
  } else {
    parameters["items.$"] = (state.ItemsPath as string | undefined) ?? "$";
  }
  const writer = state.ResultWriter as StateDef | undefined;
  if (writer?.Parameters) parameters.writerParameters = writer.Parameters;
  if (state.MaxConcurrencyPath) parameters["maxConcurrency.$"] = state.MaxConcurrencyPath;
  if (state.ToleratedFailurePercentagePath)
    parameters["toleratedFailurePercentage.$"] = state.ToleratedFailurePercentagePath;
  if (state.ToleratedFailureCountPath)
    parameters["toleratedFailureCount.$"] = state.ToleratedFailureCountPath;
  const batcher = state.ItemBatcher as StateDef | undefined;
  if (batcher?.BatchInput !== undefined) parameters.batchInput = batcher.BatchInput;
  const task: StateDef = {
    Type: "Task",
    Resource: DISTRIBUTED_MAP_RESOURCE,
    Parameters: parameters,
    // The library times Tasks out in real time (60 s by default); a Map Run lasts as long as it needs.
    TimeoutSeconds: REAL_TIME_UNLIMITED_SECONDS,
  };
  for (const field of CARRIED_FIELDS) if (field in state) task[field] = state[field] as Json;
  return task;
}

/** What the rewritten Task passes to the handler (see `distributedMapTask`). */
export interface DistributedMapEvent {
  input: Json;
  context: Record<string, Json>;
  items?: Json;
  readerParameters?: { Bucket?: string; Key?: string; VersionId?: string };
  writerParameters?: { Bucket?: string; Prefix?: string };
  maxItems?: number;
  maxConcurrency?: number;
  toleratedFailurePercentage?: number;
  toleratedFailureCount?: number;
  batchInput?: Json;
}

export type ChildStatus = "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface ChildOutcome {
  status: ChildStatus;
  output?: Json;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate: Date;
}

export interface ChildStart {
  index: number;
  input: Json;
  /** The child's execution name, as AWS would show it under the Map Run. */
  name: string;
  /** A readable name for the runner's messages: `<parent>/<label>:<index>`. */
  runnerName: string;
  context: Record<string, Json>;
  signal: AbortSignal;
}

export interface DistributedMapRuntime {
  /** The Distributed Map state as written in the definition. */
  state: StateDef;
  stateName: string;
  stateMachineName: string;
  parentExecutionName: string;
  region: string;
  accountId: string;
  /** How many times this state has run in the parent execution (retries included), from 1. */
  invocation: number;
  s3: () => S3Client;
  now: () => Date;
  runChild: (start: ChildStart) => Promise<ChildOutcome>;
  /** Told when the Map Run starts, as each child starts and ends, and when the Map Run ends. */
  onEvent?: (event: MapRunEvent) => void;
  /** The parent execution's stop: aborts the Map Run's children too. */
  signal?: AbortSignal;
}

/** A Map Run's progress, for DescribeMapRun's counts and the parent's history (MapRunStarted, ...). */
export type MapRunEvent =
  | {
      type: "MapRunStarted";
      state: string;
      mapRunArn: string;
      total: number;
      maxConcurrency: number;
      toleratedFailurePercentage: number;
      toleratedFailureCount: number;
    }
  | {
      type: "MapRunItem";
      mapRunArn: string;
      index: number;
      name: string;
      status: "RUNNING" | ChildStatus;
      /** The child's input (when it starts), its output or error (when it ends). */
      input?: Json;
      output?: Json;
      error?: string;
      cause?: string;
    }
  | {
      type: "MapRunEnded";
      mapRunArn: string;
      status: "SUCCEEDED" | "FAILED";
      error?: string;
      cause?: string;
    };

/** A ResultWriter entry (and, without ResultWriter, the result of a child that did not succeed). */
export interface ResultEntry {
  ExecutionArn: string;
  Input: string;
  InputDetails: { Included: boolean };
  Name: string;
  Output?: string;
  OutputDetails?: { Included: boolean };
  Error?: string;
  Cause?: string;
  RedriveCount: number;
  RedriveStatus: string;
  RedriveStatusReason: string;
  StartDate: string;
  StateMachineArn: string;
  Status: ChildStatus;
  StopDate: string;
}

export interface ResultManifest {
  DestinationBucket: string;
  MapRunArn: string;
  ResultFiles: Record<"FAILED" | "PENDING" | "SUCCEEDED", { Key: string; Size: number }[]>;
}

class StatesError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** A UUID-shaped id derived from the parent execution, the state and the attempt: runs repeat. */
function mapRunId(runtime: DistributedMapRuntime): string {
  const hex = createHash("sha256")
    .update(`${runtime.parentExecutionName}\n${runtime.stateName}\n${runtime.invocation}`)
    .digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export async function runDistributedMap(
  event: DistributedMapEvent,
  runtime: DistributedMapRuntime,
): Promise<Json> {
  const { state } = runtime;
  const label = (state.Label as string | undefined) ?? runtime.stateName;
  const runId = mapRunId(runtime);
  const arnBase = `arn:aws:states:${runtime.region}:${runtime.accountId}`;
  const mapRunArn = `${arnBase}:mapRun:${runtime.stateMachineName}/${label}:${runId}`;
  const childStateMachineArn = `${arnBase}:stateMachine:${runtime.stateMachineName}/${label}`;

  const items = await readItems(event, runtime);
  const inputs = childInputs(items, event, state);

  const maxConcurrency = event.maxConcurrency ?? (state.MaxConcurrency as number | undefined) ?? 0;
  const limit = maxConcurrency > 0 ? maxConcurrency : DISTRIBUTED_DEFAULT_CONCURRENCY;
  const toleratedPercentage =
    event.toleratedFailurePercentage ?? (state.ToleratedFailurePercentage as number | undefined);
  const toleratedCount = event.toleratedFailureCount ?? (state.ToleratedFailureCount as number | undefined);
  const thresholdExceeded = (failed: number) => {
    if (failed === 0) return false;
    // Without either field, no failure is tolerated (the Map Run fails on the first one).
    if (toleratedPercentage === undefined && toleratedCount === undefined) return true;
    if (toleratedCount !== undefined && failed > toleratedCount) return true;
    return toleratedPercentage !== undefined && (failed / inputs.length) * 100 > toleratedPercentage;
  };

  const outcomes: (ChildOutcome | undefined)[] = new Array(inputs.length);
  const names: string[] = new Array(inputs.length);
  const abort = new AbortController();
  // Every running child listens for the Map Run's abort.
  setMaxListeners(0, abort.signal);
  runtime.signal?.addEventListener("abort", () => abort.abort(), { once: true });
  runtime.onEvent?.({
    type: "MapRunStarted",
    state: runtime.stateName,
    mapRunArn,
    total: inputs.length,
    maxConcurrency,
    toleratedFailurePercentage: toleratedPercentage ?? 0,
    toleratedFailureCount: toleratedCount ?? 0,
  });
  let next = 0;
  let failed = 0;
  let exceeded = false;
  const worker = async () => {
    while (!exceeded && next < inputs.length) {
      const index = next;
      next += 1;
      const name = `${runId}-${index}`;
      names[index] = name;
      runtime.onEvent?.({
        type: "MapRunItem",
        mapRunArn,
        index,
        name,
        status: "RUNNING",
        input: inputs[index] as Json,
      });
      const context: Record<string, Json> = {
        Execution: {
          Id: `${arnBase}:execution:${runtime.stateMachineName}/${label}:${name}`,
          Name: name,
          StartTime: runtime.now().toISOString(),
          RoleArn: `${arnBase.replace(":states:", ":iam:").replace(`:${runtime.region}:`, "::")}:role/snapfleet-local-states`,
          RedriveCount: 0,
        },
        StateMachine: { Id: childStateMachineArn, Name: `${runtime.stateMachineName}/${label}` },
      };
      const outcome = await runtime.runChild({
        index,
        input: inputs[index] as Json,
        name,
        runnerName: `${runtime.parentExecutionName}/${label}:${index}`,
        context,
        signal: abort.signal,
      });
      outcomes[index] = outcome;
      runtime.onEvent?.({
        type: "MapRunItem",
        mapRunArn,
        index,
        name,
        status: outcome.status,
        ...(outcome.output !== undefined ? { output: outcome.output } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}),
      });
      // Children aborted because the Map Run failed are not counted as failures of their own.
      if (outcome.status !== "SUCCEEDED" && !exceeded) {
        failed += 1;
        if (thresholdExceeded(failed)) {
          exceeded = true;
          // AWS stops the Map Run: no new children, and the running ones are aborted.
          abort.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker));

  const entry = (index: number): ResultEntry | undefined => {
    const outcome = outcomes[index];
    if (!outcome) return undefined;
    const succeeded = outcome.status === "SUCCEEDED";
    return {
      ExecutionArn: `${arnBase}:execution:${runtime.stateMachineName}/${label}:${names[index]}`,
      Input: JSON.stringify(inputs[index]),
      InputDetails: { Included: true },
      Name: names[index] as string,
      ...(succeeded
        ? { Output: JSON.stringify(outcome.output ?? null), OutputDetails: { Included: true } }
        : { Error: outcome.error ?? "", Cause: outcome.cause ?? "" }),
      RedriveCount: 0,
      RedriveStatus: succeeded ? "NOT_REDRIVABLE" : "REDRIVABLE_BY_MAP_RUN",
      RedriveStatusReason: succeeded
        ? "Execution is SUCCEEDED and cannot be redriven"
        : "Execution can be redriven by its Map Run",
      StartDate: outcome.startDate.toISOString(),
      StateMachineArn: childStateMachineArn,
      Status: outcome.status,
      StopDate: outcome.stopDate.toISOString(),
    };
  };

  const writer = event.writerParameters;
  let result: Json;
  if (writer) {
    try {
      result = await writeResults(runtime, writer, runId, mapRunArn, inputs.length, entry);
    } catch (error) {
      const e = error as Error;
      runtime.onEvent?.({
        type: "MapRunEnded",
        mapRunArn,
        status: "FAILED",
        error: e.name,
        cause: e.message,
      });
      throw error;
    }
  } else {
    // Without ResultWriter, the output is the array of the children's outputs (COMPACT); a child
    // that did not succeed is given as its execution result, as with Transformation NONE.
    result = inputs.map((_, index) => {
      const outcome = outcomes[index];
      if (outcome?.status === "SUCCEEDED") return outcome.output ?? null;
      return (entry(index) ?? null) as Json;
    });
  }
  if (exceeded) {
    const cause = `Map Run ${mapRunArn} failed: ${failed} of ${inputs.length} child executions failed, more than the tolerated failure threshold`;
    runtime.onEvent?.({
      type: "MapRunEnded",
      mapRunArn,
      status: "FAILED",
      error: EXCEED_TOLERATED_FAILURE_THRESHOLD,
      cause,
    });
    throw new StatesError(EXCEED_TOLERATED_FAILURE_THRESHOLD, cause);
  }
  runtime.onEvent?.({ type: "MapRunEnded", mapRunArn, status: "SUCCEEDED" });
  return result;
}

async function readItems(event: DistributedMapEvent, runtime: DistributedMapRuntime): Promise<Json[]> {
  const reader = runtime.state.ItemReader as StateDef | undefined;
  let items: Json;
  if (!reader) {
    items = event.items ?? null;
  } else {
    const config = (reader.ReaderConfig ?? {}) as { InputType?: string; MaxItems?: number };
    const inputType = config.InputType ?? "JSON";
    if (inputType !== "JSON") {
      throw new StatesError(
        "States.ItemReaderFailed",
        `The local runner reads InputType JSON only, not ${inputType}`,
      );
    }
    const { Bucket, Key, VersionId } = event.readerParameters ?? {};
    let body: string;
    try {
      const got = await runtime
        .s3()
        .send(new GetObjectCommand({ Bucket, Key, ...(VersionId ? { VersionId } : {}) }));
      body = (await got.Body?.transformToString()) ?? "";
    } catch (error) {
      throw new StatesError(
        "States.ItemReaderFailed",
        `s3:getObject s3://${Bucket}/${Key}: ${String(error)}`,
      );
    }
    try {
      items = JSON.parse(body) as Json;
    } catch (error) {
      throw new StatesError("States.ItemReaderFailed", `s3://${Bucket}/${Key} is not JSON: ${String(error)}`);
    }
    const maxItems = event.maxItems ?? config.MaxItems;
    if (Array.isArray(items) && maxItems !== undefined && maxItems > 0) items = items.slice(0, maxItems);
  }
  if (!Array.isArray(items)) {
    throw new StatesError(
      reader ? "States.ItemReaderFailed" : "States.Runtime",
      "The items of a Distributed Map must be a JSON array",
    );
  }
  return items;
}

/** Each child's input: ItemSelector applied per item, then ItemBatcher's batches, if any. */
function childInputs(items: Json[], event: DistributedMapEvent, state: StateDef): Json[] {
  const selector = (state.ItemSelector ?? state.Parameters) as Json | undefined;
  const selected =
    selector === undefined
      ? items
      : items.map((value, index) => {
          const context = { ...event.context, Map: { Item: { Index: index, Value: value } } };
          return evaluateTemplate(selector, event.input, context);
        });
  const batcher = state.ItemBatcher as { MaxItemsPerBatch?: number } | undefined;
  if (!batcher) return selected;
  const size = batcher.MaxItemsPerBatch ?? selected.length;
  const batches: Json[] = [];
  for (let i = 0; i < selected.length; i += Math.max(1, size)) {
    const batch: Record<string, Json> = { Items: selected.slice(i, i + Math.max(1, size)) };
    if (event.batchInput !== undefined) batch.BatchInput = event.batchInput;
    batches.push(batch);
  }
  return batches;
}

/**
 * A payload template (ItemSelector) evaluated against the state's input and the context object,
 * as Parameters are: keys ending in `.$` take the value of their path (`$$` is the context).
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-inputpath-params.html
 */
export function evaluateTemplate(template: Json, input: Json, context: Json): Json {
  if (Array.isArray(template)) return template.map((value) => evaluateTemplate(value, input, context));
  if (template === null || typeof template !== "object") return template;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith(".$") && typeof value === "string") {
      if (!value.startsWith("$")) {
        throw new Error(`The local runner does not evaluate intrinsic functions in ItemSelector: ${value}`);
      }
      const [json, path] = value.startsWith("$$") ? [context, value.slice(1)] : [input, value];
      const found = JSONPath({ path, json: json as object, wrap: false }) as Json | undefined;
      if (found === undefined) {
        throw new StatesError("States.Runtime", `Path expression '${value}' does not point to a value`);
      }
      out[key.slice(0, -2)] = found;
    } else {
      out[key] = evaluateTemplate(value, input, context);
    }
  }
  return out;
}

async function writeResults(
  runtime: DistributedMapRuntime,
  writer: { Bucket?: string; Prefix?: string },
  runId: string,
  mapRunArn: string,
  count: number,
  entry: (index: number) => ResultEntry | undefined,
): Promise<Json> {
  const bucket = writer.Bucket ?? "";
  const prefix = (writer.Prefix ?? "").replace(/\/+$/, "");
  const base = prefix ? `${prefix}/${runId}` : runId;
  const groups: Record<"FAILED" | "PENDING" | "SUCCEEDED", ResultEntry[]> = {
    FAILED: [],
    PENDING: [],
    SUCCEEDED: [],
  };
  for (let index = 0; index < count; index += 1) {
    const e = entry(index);
    if (!e) continue;
    // FAILED_n.json holds the children that failed, timed out or were aborted.
    (e.Status === "SUCCEEDED" ? groups.SUCCEEDED : groups.FAILED).push(e);
  }
  const manifest: ResultManifest = {
    DestinationBucket: bucket,
    MapRunArn: mapRunArn,
    ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [] },
  };
  const put = async (key: string, body: string) => {
    try {
      await runtime
        .s3()
        .send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json" }),
        );
    } catch (error) {
      throw new StatesError(
        "States.ResultWriterFailed",
        `s3:putObject s3://${bucket}/${key}: ${String(error)}`,
      );
    }
  };
  for (const status of ["FAILED", "PENDING", "SUCCEEDED"] as const) {
    if (groups[status].length === 0) continue;
    // AWS starts a new file every 5 GB; local runs never come near that, so there is one per status.
    const key = `${base}/${status}_0.json`;
    const body = JSON.stringify(groups[status]);
    await put(key, body);
    manifest.ResultFiles[status].push({ Key: key, Size: Buffer.byteLength(body) });
  }
  const manifestKey = `${base}/manifest.json`;
  await put(manifestKey, JSON.stringify(manifest));
  return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: manifestKey } };
}
