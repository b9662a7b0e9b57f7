import { VirtualClock } from "../../local/clock";
import { LAMBDA_UNKNOWN, type LocalHandler, runStateMachine, type TaskAttempt } from "../../local/runner";

/**
 * Crash injection (issue 10, point 6: "a task killed after its AWS call answered") and Wait states
 * with Timestamp/TimestampPath on the virtual clock.
 * Lambda.Unknown: https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 * Wait: https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const lambda = (fn: string) => ({ "Fn::GetAtt": [fn, "Arn"] });

/** A handler that records every call (its "AWS call" has happened once it is recorded). */
function recording() {
  const calls: Json[] = [];
  const handler: LocalHandler = async (event) => {
    calls.push(event as Json);
    return { call: calls.length };
  };
  return { calls, handler };
}

/** Crashes the first `n` attempts it is asked about, remembering what it was told. */
function crashFirst(n: number) {
  const seen: TaskAttempt[] = [];
  const crash = (task: TaskAttempt) => {
    seen.push(task);
    return seen.length <= n;
  };
  return { seen, crash };
}

describe("crash injection in the local runner", () => {
  it("fails a task attempt with Lambda.Unknown after its handler ran, so a Retry runs the handler again", async () => {
    const definition = {
      StartAt: "Snapshot",
      States: {
        Snapshot: {
          Type: "Task",
          Resource: lambda("snapshot"),
          Retry: [{ ErrorEquals: [LAMBDA_UNKNOWN], MaxAttempts: 2 }],
          End: true,
        },
      },
    };
    const { calls, handler } = recording();
    const { seen, crash } = crashFirst(1);

    const { output, stats } = await runStateMachine(
      { volume: "vol-1" },
      { definition, executionName: "run-1", handlers: { snapshot: handler }, crash },
    );

    expect(calls).toEqual([{ volume: "vol-1" }, { volume: "vol-1" }]);
    expect(output).toEqual({ call: 2 });
    expect(seen).toEqual([
      { fn: "snapshot", state: "Snapshot", execution: "run-1" },
      { fn: "snapshot", state: "Snapshot", execution: "run-1" },
    ]);
    expect(stats.crashesInjected).toBe(1);
    expect(stats.taskInvocations).toEqual({ snapshot: 2 });
    expect(stats.taskFailures.map((f) => f.error)).toEqual([LAMBDA_UNKNOWN]);
  });

  it("lets a Catch see Lambda.Unknown, the handler's result discarded", async () => {
    const definition = {
      StartAt: "Copy",
      States: {
        Copy: {
          Type: "Task",
          Resource: lambda("copy"),
          Catch: [{ ErrorEquals: [LAMBDA_UNKNOWN], ResultPath: "$.error", Next: "Record" }],
          End: true,
        },
        Record: { Type: "Pass", End: true },
      },
    };
    const { calls, handler } = recording();

    const { output, stats } = await runStateMachine(
      { volume: "vol-1" },
      { definition, executionName: "run-1", handlers: { copy: handler }, crash: () => true },
    );

    expect(calls).toHaveLength(1);
    expect(output).toMatchObject({ volume: "vol-1", error: { Error: LAMBDA_UNKNOWN } });
    expect((output as { error: { Cause: string } }).error.Cause).toMatch(/snapfleet-copy .*exited/);
    expect(stats.crashesInjected).toBe(1);
  });

  it("does not crash a task when the predicate answers false, nor count one", async () => {
    const definition = {
      StartAt: "A",
      States: { A: { Type: "Task", Resource: lambda("a"), End: true } },
    };
    const { handler } = recording();
    const { output, stats } = await runStateMachine(
      {},
      { definition, executionName: "run-1", handlers: { a: handler }, crash: () => false },
    );
    expect(output).toEqual({ call: 1 });
    expect(stats.crashesInjected).toBe(0);
  });

  it("crashes tasks in Distributed Map child executions too, and sums their crashes in the parent's stats", async () => {
    const definition = {
      StartAt: "Fleet",
      States: {
        Fleet: {
          Type: "Map",
          ItemsPath: "$.instances",
          ToleratedFailurePercentage: 100,
          ItemProcessor: {
            ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
            StartAt: "Snapshot",
            States: {
              Snapshot: {
                Type: "Task",
                Resource: lambda("snapshot"),
                Retry: [{ ErrorEquals: [LAMBDA_UNKNOWN], MaxAttempts: 1 }],
                End: true,
              },
            },
          },
          End: true,
        },
      },
    };
    const { calls, handler } = recording();
    const crashed = new Set<string>();
    // Crash the first attempt in every child: its Retry runs the handler a second time.
    const crash = (task: TaskAttempt) => {
      if (crashed.has(task.execution)) return false;
      crashed.add(task.execution);
      return true;
    };

    const { output, stats } = await runStateMachine(
      { instances: ["i-1", "i-2", "i-3"] },
      { definition, executionName: "run-1", handlers: { snapshot: handler }, crash },
    );

    expect(calls).toHaveLength(6);
    expect((output as Json[]).every((o) => typeof (o as { call?: number }).call === "number")).toBe(true);
    expect([...crashed].sort()).toEqual(["run-1/Fleet:0", "run-1/Fleet:1", "run-1/Fleet:2"]);
    expect(stats.childExecutions).toBe(3);
    expect(stats.crashesInjected).toBe(3);
  });
});

describe("Wait states with Timestamp or TimestampPath on the virtual clock", () => {
  const until = (wait: Record<string, Json>) => ({
    StartAt: "Wait",
    States: {
      Wait: { Type: "Wait", ...wait, Next: "Now" },
      Now: { Type: "Task", Resource: lambda("now"), End: true },
    },
  });

  async function waitOn(wait: Record<string, Json>, input: Json) {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1, 3));
    const realStart = Date.now();
    const { output } = await runStateMachine(input, {
      definition: until(wait),
      clock,
      executionName: "run-1",
      handlers: { now: async (event) => ({ event, at: clock.now().toISOString() }) },
    });
    return { output, realMs: Date.now() - realStart };
  }

  it("with TimestampPath, sleeps on the virtual clock until that time and passes its input through", async () => {
    const { output, realMs } = await waitOn(
      { TimestampPath: "$.slot" },
      { slot: "2026-01-01T05:30:00Z", volume: "vol-1" },
    );
    expect(output).toEqual({
      event: { slot: "2026-01-01T05:30:00Z", volume: "vol-1" },
      at: "2026-01-01T05:30:00.000Z",
    });
    expect(realMs).toBeLessThan(5_000);
  });

  it("with Timestamp, sleeps until that time (an offset and fractional seconds allowed)", async () => {
    const { output } = await waitOn({ Timestamp: "2026-01-01T04:00:00.250+01:00" }, {});
    expect(output).toMatchObject({ at: "2026-01-01T03:00:00.250Z" });
  });

  it("does not sleep when the timestamp has passed", async () => {
    const { output } = await waitOn({ TimestampPath: "$.slot" }, { slot: "2025-12-31T23:00:00Z" });
    expect(output).toMatchObject({ at: "2026-01-01T03:00:00.000Z" });
  });

  it("fails the execution with States.Runtime on a timestamp that is not RFC 3339", async () => {
    await expect(waitOn({ TimestampPath: "$.slot" }, { slot: "2026-01-01 05:30" })).rejects.toMatchObject({
      cause: { name: "States.Runtime" },
    });
  });
});
