import { VirtualClock } from "../../local/clock";
import { functionsUsed, loadDefinition, prepareDefinition, runStateMachine } from "../../local/runner";

describe("the local runner", () => {
  it("maps every Task of backup.asl.json to a function defined in serverless.yml by name", () => {
    const functions = functionsUsed(prepareDefinition(loadDefinition(), true));
    expect(functions).toEqual(new Set(["plan", "set", "step", "report", "summarize"]));
  });

  it("waits in simulated time: a 300 s Wait state advances the virtual clock by 300 s and no more", async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const definition = {
      StartAt: "Wait",
      States: {
        Wait: { Type: "Wait", SecondsPath: "$.seconds", Next: "Done" },
        Done: { Type: "Task", Resource: { "Fn::GetAtt": ["echo", "Arn"] }, End: true },
      },
    };
    const started = Date.now();
    const { output } = await runStateMachine(
      { seconds: 300 },
      {
        definition,
        clock,
        executionName: "t",
        handlers: { echo: async (event) => ({ event, at: clock.now().toISOString() }) },
      },
    );
    expect(output).toEqual({ event: { seconds: 300 }, at: "2026-01-01T00:05:00.000Z" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("lets a Catch turn a handler's error into a result, with the error's name", async () => {
    const definition = {
      StartAt: "Boom",
      States: {
        Boom: {
          Type: "Task",
          Resource: { "Fn::GetAtt": ["boom", "Arn"] },
          Catch: [{ ErrorEquals: ["SnapshotFailedError"], ResultPath: "$.error", Next: "Caught" }],
          End: true,
        },
        Caught: { Type: "Pass", End: true },
      },
    };
    class SnapshotFailedError extends Error {
      override name = "SnapshotFailedError";
    }
    const { output } = await runStateMachine(
      {},
      {
        definition,
        executionName: "t",
        handlers: {
          boom: async () => {
            throw new SnapshotFailedError("ended in error");
          },
        },
      },
    );
    expect(output).toEqual({ error: { Error: "SnapshotFailedError", Cause: "ended in error" } });
  });

  it("evaluates `.$` keys nested in Parameters (the prepared copy is of the library's realm, even under jest)", async () => {
    const definition = {
      StartAt: "Echo",
      States: {
        Echo: {
          Type: "Task",
          Resource: { "Fn::GetAtt": ["echo", "Arn"] },
          Parameters: { outer: { "inner.$": "$.x", list: [{ "y.$": "$.x" }] } },
          End: true,
        },
      },
    };
    const { output } = await runStateMachine(
      { x: 1 },
      { definition, executionName: "t", handlers: { echo: async (event) => event } },
    );
    expect(output).toEqual({ outer: { inner: 1, list: [{ y: 1 }] } });
  });
});

describe("VirtualClock", () => {
  it("wakes sleepers in simulated-time order", async () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    await Promise.all([
      clock.sleep(3000).then(() => order.push(`b@${clock.nowMs()}`)),
      clock.sleep(1000).then(() => order.push(`a@${clock.nowMs()}`)),
    ]);
    expect(order).toEqual(["a@1000", "b@3000"]);
  });
});

describe("Step Functions quotas in the local runner", () => {
  it("fails loudly when a state's output exceeds 256 KiB, as AWS would", async () => {
    const definition = {
      StartAt: "Big",
      States: { Big: { Type: "Task", Resource: { "Fn::GetAtt": ["big", "Arn"] }, End: true } },
    };
    const run = runStateMachine(
      {},
      { definition, executionName: "t", handlers: { big: async () => ({ blob: "x".repeat(300_000) }) } },
    );
    await expect(run).rejects.toThrow(/States.DataLimitExceeded: the output of Big is 300011 bytes/);
  });

  it("counts transitions and history events of an execution", async () => {
    const definition = {
      StartAt: "A",
      States: {
        A: { Type: "Task", Resource: { "Fn::GetAtt": ["echo", "Arn"] }, Next: "B" },
        B: { Type: "Pass", End: true },
      },
    };
    const { stats } = await runStateMachine(
      {},
      { definition, executionName: "t", handlers: { echo: async () => ({}) } },
    );
    // 2 (execution) + 2 × 2 (states entered and exited) + 3 (Lambda scheduled, started, succeeded)
    expect(stats).toMatchObject({ stateTransitions: 2, historyEvents: 9, taskInvocations: { echo: 1 } });
  });
});

describe("the Lambda context the runner gives handlers", () => {
  it("counts down from the function's timeout in serverless.yml, so middy does not cut a long Summarize short", async () => {
    const definition = {
      StartAt: "C",
      States: { C: { Type: "Task", Resource: { "Fn::GetAtt": ["summarize", "Arn"] }, End: true } },
    };
    const { output } = await runStateMachine(
      {},
      {
        definition,
        executionName: "t",
        handlers: {
          summarize: async (_event, context) => ({ remaining: context.getRemainingTimeInMillis() }),
        },
      },
    );
    expect((output as { remaining: number }).remaining).toBeGreaterThan(890_000);
  });
});
