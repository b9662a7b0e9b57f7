import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type Emulator, startEmulator } from "../../local/aws/server";
import { VirtualClock } from "../../local/clock";
import type { ResultEntry, ResultManifest } from "../../local/distributed-map";
import { functionsUsed, type LocalHandler, prepareDefinition, runStateMachine } from "../../local/runner";

/**
 * The local runner runs a Distributed Map as Step Functions does (issue 10, point 3):
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemselector.html
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

let emulator: Emulator<VirtualClock>;
let clock: VirtualClock;
let s3: S3Client;

beforeAll(async () => {
  clock = new VirtualClock(Date.UTC(2026, 0, 1));
  emulator = await startEmulator({ clock });
  s3 = new S3Client({ region: "us-east-1", endpoint: emulator.endpoint, forcePathStyle: true, credentials });
  await s3.send(new CreateBucketCommand({ Bucket: "runs" }));
});
afterAll(() => emulator.stop());

async function putItems(key: string, items: Json[]) {
  await s3.send(new PutObjectCommand({ Bucket: "runs", Key: key, Body: JSON.stringify(items) }));
}

async function getJson<T>(key: string): Promise<T> {
  const got = await s3.send(new GetObjectCommand({ Bucket: "runs", Key: key }));
  return JSON.parse((await got.Body?.transformToString()) ?? "null") as T;
}

const lambda = (fn: string) => ({ "Fn::GetAtt": [fn, "Arn"] });

/** A Distributed Map over `s3://runs/<key>`, each child running `States`; `extra` adds Map fields. */
function fleet(key: string, states: Record<string, Json>, startAt: string, extra: Record<string, Json> = {}) {
  return {
    StartAt: "Fleet",
    States: {
      Fleet: {
        Type: "Map",
        ItemReader: {
          Resource: "arn:aws:states:::s3:getObject",
          ReaderConfig: { InputType: "JSON" },
          Parameters: { "Bucket.$": "$.bucket", Key: key },
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
          StartAt: startAt,
          States: states,
        },
        End: true,
        ...extra,
      },
    },
  };
}

function run(definition: object, handlers: Record<string, LocalHandler>, input: Json = { bucket: "runs" }) {
  return runStateMachine(input, {
    definition: definition as Record<string, Json>,
    clock,
    executionName: "run-1",
    handlers,
    s3: { endpoint: emulator.endpoint, credentials },
  });
}

const echo: LocalHandler = async (event) => event;
const failOn =
  (bad: (event: { id?: string }) => boolean): LocalHandler =>
  async (event) => {
    if (bad(event as { id?: string })) {
      const error = new Error(`drive ${(event as { id?: string }).id} failed`);
      error.name = "SnapshotFailedError";
      throw error;
    }
    return event;
  };

describe("a Distributed Map in the local runner", () => {
  it("runs each item as its own execution: own name and ARN, own history; the parent's history has only its own events", async () => {
    await putItems("own.json", [{ id: "a" }, { id: "b" }, { id: "c" }]);
    const definition = fleet(
      "own.json",
      {
        Work: { Type: "Task", Resource: lambda("echo"), Next: "Who" },
        Who: {
          Type: "Pass",
          Parameters: { "id.$": "$.id", "name.$": "$$.Execution.Name", "arn.$": "$$.Execution.Id" },
          End: true,
        },
      },
      "Work",
    );
    const { output, stats } = await run(definition, { echo });
    const children = output as { id: string; name: string; arn: string }[];
    expect(children.map((c) => c.id)).toEqual(["a", "b", "c"]);
    expect(new Set(children.map((c) => c.name)).size).toBe(3);
    for (const child of children) {
      expect(child.arn).toBe(
        `arn:aws:states:us-east-1:000000000000:execution:snapfleet-backup/Fleet:${child.name}`,
      );
    }
    // Parent: 2 (execution) + 2 (Fleet entered, exited) + 2 (MapRunStarted, MapRunSucceeded).
    expect(stats.historyEvents).toBe(6);
    // Child: 2 (execution) + 2 × 2 (Work, Who) + 3 (Lambda scheduled, started, succeeded).
    expect(stats.largestHistoryEvents).toBe(9);
    expect(stats.childExecutions).toBe(3);
    expect(stats.taskInvocations).toEqual({ echo: 3 });
    // Fleet, then Work and Who in each child.
    expect(stats.stateTransitions).toBe(1 + 3 * 2);
    expect(functionsUsed(prepareDefinition(definition as Record<string, Json>, true))).toEqual(
      new Set(["echo"]),
    );
  });

  it("fails only the child whose history passes 25,000 events; the parent and the other children go on", async () => {
    await putItems("history.json", [
      { id: "small", rounds: 3 },
      { id: "huge", rounds: 5_000 },
    ]);
    // Each round is a Lambda task (2 + 3 events) and a Choice (2 events): 5,000 rounds are 35,000.
    const definition = fleet(
      "history.json",
      {
        Round: { Type: "Task", Resource: lambda("round"), Next: "More?" },
        "More?": {
          Type: "Choice",
          Choices: [{ Variable: "$.rounds", NumericGreaterThan: 0, Next: "Round" }],
          Default: "Done",
        },
        Done: { Type: "Succeed" },
      },
      "Round",
      {
        ToleratedFailurePercentage: 100,
        ResultWriter: {
          Resource: "arn:aws:states:::s3:putObject",
          Parameters: { Bucket: "runs", Prefix: "history" },
        },
      },
    );
    const round: LocalHandler = async (event) => {
      const e = event as { id: string; rounds: number };
      return { ...e, rounds: e.rounds - 1 };
    };
    const { output, stats } = await run(definition, { round });
    expect(stats.historyEvents).toBe(6);
    expect(stats.largestHistoryEvents).toBeGreaterThan(25_000);
    expect(stats.largestHistoryEvents).toBeLessThan(25_020);
    const manifest = await getJson<ResultManifest>(
      (output as { ResultWriterDetails: { Key: string } }).ResultWriterDetails.Key,
    );
    const failed = await getJson<ResultEntry[]>(manifest.ResultFiles.FAILED[0]?.Key as string);
    const succeeded = await getJson<ResultEntry[]>(manifest.ResultFiles.SUCCEEDED[0]?.Key as string);
    expect(failed.map((e) => JSON.parse(e.Input).id)).toEqual(["huge"]);
    expect(failed[0]).toMatchObject({ Status: "FAILED", Error: "States.Runtime" });
    expect(failed[0]?.Cause).toMatch(/history events; a Standard execution allows 25000/);
    expect(succeeded.map((e) => JSON.parse(e.Output as string))).toEqual([{ id: "small", rounds: 0 }]);
  });

  it("keeps at most MaxConcurrency children in flight, and runs them all at once without it", async () => {
    await putItems(
      "concurrency.json",
      Array.from({ length: 12 }, (_, i) => ({ id: `v${i}` })),
    );
    const measure = async (extra: Record<string, Json>) => {
      let inFlight = 0;
      let most = 0;
      const slow: LocalHandler = async (event) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await clock.sleep(60_000);
        inFlight -= 1;
        return event;
      };
      const definition = fleet(
        "concurrency.json",
        { Slow: { Type: "Task", Resource: lambda("slow"), End: true } },
        "Slow",
        extra,
      );
      const started = clock.nowMs();
      const { stats } = await run(definition, { slow });
      expect(stats.childExecutions).toBe(12);
      return { most, minutes: (clock.nowMs() - started) / 60_000 };
    };
    expect(await measure({ MaxConcurrency: 3 })).toEqual({ most: 3, minutes: 4 });
    expect(await measure({})).toEqual({ most: 12, minutes: 1 });
  });

  it("reads MaxConcurrencyPath from the state's input", async () => {
    await putItems(
      "path.json",
      Array.from({ length: 6 }, (_, i) => ({ id: `v${i}` })),
    );
    let inFlight = 0;
    let most = 0;
    const slow: LocalHandler = async (event) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await clock.sleep(1_000);
      inFlight -= 1;
      return event;
    };
    const definition = fleet(
      "path.json",
      { Slow: { Type: "Task", Resource: lambda("slow"), End: true } },
      "Slow",
      {
        MaxConcurrencyPath: "$.limit",
      },
    );
    await run(definition, { slow }, { bucket: "runs", limit: 2 });
    expect(most).toBe(2);
  });

  it("with ToleratedFailurePercentage 100, succeeds although children failed; the failures are in FAILED_0.json", async () => {
    await putItems("tolerate.json", [{ id: "ok-1" }, { id: "bad" }, { id: "ok-2" }]);
    const definition = fleet(
      "tolerate.json",
      { Snapshot: { Type: "Task", Resource: lambda("snapshot"), End: true } },
      "Snapshot",
      {
        ToleratedFailurePercentage: 100,
        ResultWriter: {
          Resource: "arn:aws:states:::s3:putObject",
          Parameters: { Bucket: "runs", Prefix: "results/" },
        },
        ResultPath: "$.fleet",
      },
    );
    const { output, stats } = await run(definition, { snapshot: failOn((e) => e.id === "bad") });
    const { fleet: result, bucket } = output as {
      bucket: string;
      fleet: { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } };
    };
    // ResultPath of the Map state still applies: the input is kept, the result is added.
    expect(bucket).toBe("runs");
    const runId = result.MapRunArn.split(":").at(-1) as string;
    expect(result).toEqual({
      MapRunArn: `arn:aws:states:us-east-1:000000000000:mapRun:snapfleet-backup/Fleet:${runId}`,
      ResultWriterDetails: { Bucket: "runs", Key: `results/${runId}/manifest.json` },
    });
    const manifest = await getJson<ResultManifest>(result.ResultWriterDetails.Key);
    expect(manifest).toEqual({
      DestinationBucket: "runs",
      MapRunArn: result.MapRunArn,
      ResultFiles: {
        FAILED: [{ Key: `results/${runId}/FAILED_0.json`, Size: expect.any(Number) }],
        PENDING: [],
        SUCCEEDED: [{ Key: `results/${runId}/SUCCEEDED_0.json`, Size: expect.any(Number) }],
      },
    });
    const succeeded = await getJson<ResultEntry[]>(`results/${runId}/SUCCEEDED_0.json`);
    const failed = await getJson<ResultEntry[]>(`results/${runId}/FAILED_0.json`);
    expect(succeeded).toHaveLength(2);
    const first = succeeded[0] as ResultEntry;
    expect(first).toEqual({
      ExecutionArn: `arn:aws:states:us-east-1:000000000000:execution:snapfleet-backup/Fleet:${first.Name}`,
      Input: '{"id":"ok-1"}',
      InputDetails: { Included: true },
      Name: first.Name,
      Output: '{"id":"ok-1"}',
      OutputDetails: { Included: true },
      RedriveCount: 0,
      RedriveStatus: "NOT_REDRIVABLE",
      RedriveStatusReason: expect.any(String),
      StartDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      StateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:snapfleet-backup/Fleet",
      Status: "SUCCEEDED",
      StopDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(new Date(first.StopDate).getTime()).toBeGreaterThanOrEqual(new Date(first.StartDate).getTime());
    expect(failed).toEqual([
      expect.objectContaining({
        Input: '{"id":"bad"}',
        Status: "FAILED",
        Error: "SnapshotFailedError",
        Cause: "drive bad failed",
      }),
    ]);
    expect(failed[0]).not.toHaveProperty("Output");
    expect(stats.childExecutions).toBe(3);
  });

  it("with ToleratedFailurePercentage 0, fails the state with States.ExceedToleratedFailureThreshold (and a Catch sees it)", async () => {
    await putItems("strict.json", [{ id: "ok" }, { id: "bad" }]);
    const states = { Snapshot: { Type: "Task", Resource: lambda("snapshot"), End: true } };
    const handlers = { snapshot: failOn((e) => e.id === "bad") };
    const strict = fleet("strict.json", states, "Snapshot", { ToleratedFailurePercentage: 0 });
    await expect(run(strict, handlers)).rejects.toMatchObject({
      cause: { name: "States.ExceedToleratedFailureThreshold" },
    });
    const caught = fleet("strict.json", states, "Snapshot", {
      ToleratedFailurePercentage: 0,
      Catch: [
        { ErrorEquals: ["States.ExceedToleratedFailureThreshold"], ResultPath: "$.error", Next: "Caught" },
      ],
    });
    (caught.States as Record<string, unknown>).Caught = { Type: "Pass", End: true };
    const { output } = await run(caught, handlers);
    expect(output).toMatchObject({ error: { Error: "States.ExceedToleratedFailureThreshold" } });
  });

  it("tolerates failures up to ToleratedFailureCount or ToleratedFailurePercentage, and no failure without either", async () => {
    await putItems(
      "count.json",
      Array.from({ length: 10 }, (_, i) => ({ id: i < 2 ? `bad-${i}` : `ok-${i}` })),
    );
    const states = { Snapshot: { Type: "Task", Resource: lambda("snapshot"), End: true } };
    const handlers = { snapshot: failOn((e) => String(e.id).startsWith("bad")) };
    const outcome = (extra: Record<string, Json>) =>
      run(fleet("count.json", states, "Snapshot", extra), handlers).then(
        () => "succeeded",
        (error: { cause?: { name?: string } }) => error.cause?.name,
      );
    expect(await outcome({ ToleratedFailureCount: 2 })).toBe("succeeded");
    expect(await outcome({ ToleratedFailureCount: 1 })).toBe("States.ExceedToleratedFailureThreshold");
    expect(await outcome({ ToleratedFailurePercentage: 20 })).toBe("succeeded");
    expect(await outcome({ ToleratedFailurePercentage: 19 })).toBe("States.ExceedToleratedFailureThreshold");
    expect(await outcome({})).toBe("States.ExceedToleratedFailureThreshold");
  });

  it("gives ItemSelector the item's index and value ($$.Map.Item), the state's input and the parent's context", async () => {
    await putItems("selector.json", ["i-aaa", "i-bbb"]);
    const definition = fleet(
      "selector.json",
      { Echo: { Type: "Task", Resource: lambda("echo"), End: true } },
      "Echo",
      {
        ItemSelector: {
          "index.$": "$$.Map.Item.Index",
          "instanceId.$": "$$.Map.Item.Value",
          "runId.$": "$.runId",
          "parent.$": "$$.Execution.Name",
          fixed: { kind: "instance" },
        },
        ResultSelector: { "children.$": "$" },
        OutputPath: "$.children",
      },
    );
    const { output } = await run(definition, { echo }, { bucket: "runs", runId: "r-7" });
    expect(output).toEqual([
      { index: 0, instanceId: "i-aaa", runId: "r-7", parent: "run-1", fixed: { kind: "instance" } },
      { index: 1, instanceId: "i-bbb", runId: "r-7", parent: "run-1", fixed: { kind: "instance" } },
    ]);
  });

  it("lets children wait in simulated time, on the parent's clock", async () => {
    await putItems("wait.json", [{ seconds: 300 }, { seconds: 600 }]);
    const definition = fleet(
      "wait.json",
      {
        Wait: { Type: "Wait", SecondsPath: "$.seconds", Next: "At" },
        At: { Type: "Task", Resource: lambda("at"), End: true },
      },
      "Wait",
    );
    const started = clock.nowMs();
    const realStart = Date.now();
    const { output } = await run(definition, { at: async () => (clock.nowMs() - started) / 1000 });
    expect(output).toEqual([300, 600]);
    expect(Date.now() - realStart).toBeLessThan(5_000);
  });

  it("without ItemReader, maps over ItemsPath; ItemBatcher gives each child {Items, BatchInput}", async () => {
    const definition = {
      StartAt: "Batches",
      States: {
        Batches: {
          Type: "Map",
          ItemsPath: "$.volumes",
          ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { "runId.$": "$.runId" } },
          ItemProcessor: {
            ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "EXPRESS" },
            StartAt: "Echo",
            States: { Echo: { Type: "Task", Resource: lambda("echo"), End: true } },
          },
          End: true,
        },
      },
    };
    const { output, stats } = await run(definition, { echo }, { runId: "r-1", volumes: ["a", "b", "c"] });
    expect(output).toEqual([
      { Items: ["a", "b"], BatchInput: { runId: "r-1" } },
      { Items: ["c"], BatchInput: { runId: "r-1" } },
    ]);
    expect(stats.childExecutions).toBe(2);
  });

  it("fails with States.ItemReaderFailed when the items object is missing", async () => {
    const definition = fleet("missing.json", { P: { Type: "Pass", End: true } }, "P");
    await expect(run(definition, {})).rejects.toMatchObject({ cause: { name: "States.ItemReaderFailed" } });
  });
});
