import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { failure, type Harness, startHarness } from "./harness";

/**
 * The Step Functions API of the embedded AWS over awsJson1_0, operation by operation, with the
 * error codes AWS documents for each. Task resources are Lambda ARNs registered with the emulator.
 */
const ROLE = "arn:aws:iam::000000000000:role/test-states";
const DOUBLE = "arn:aws:lambda:us-east-1:000000000000:function:double";
const MACHINE = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
const EXECUTION = (machine: string, name: string) =>
  `arn:aws:states:us-east-1:000000000000:execution:${machine}:${name}`;

const taskDefinition = JSON.stringify({
  StartAt: "Double",
  States: { Double: { Type: "Task", Resource: DOUBLE, End: true } },
});

let h: Harness;
let sfn: SFNClient;

beforeEach(async () => {
  h = await startHarness();
  sfn = new SFNClient({
    endpoint: h.emulator.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  h.emulator.registerFunction(DOUBLE, async (event) => ({ n: (event as { n: number }).n * 2 }));
});

afterEach(async () => {
  sfn.destroy();
  await h.emulator.stop();
});

const create = (name: string, definition = taskDefinition) =>
  sfn.send(new CreateStateMachineCommand({ name, definition, roleArn: ROLE }));

describe("CreateStateMachine, ListStateMachines, DescribeStateMachine", () => {
  it("creates a machine with AWS's ARN shape and describes it (API_CreateStateMachine, API_DescribeStateMachine)", async () => {
    const created = await create("nightly");
    const described = await sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }),
    );

    expect(created.stateMachineArn).toBe(MACHINE("nightly"));
    expect(described).toMatchObject({
      name: "nightly",
      status: "ACTIVE",
      type: "STANDARD",
      roleArn: ROLE,
      definition: taskDefinition,
    });
  });

  it("is idempotent for the same definition, and answers StateMachineAlreadyExists for another (API_CreateStateMachine)", async () => {
    await create("nightly");

    await expect(create("nightly")).resolves.toMatchObject({ stateMachineArn: MACHINE("nightly") });
    expect(
      await failure(create("nightly", JSON.stringify({ StartAt: "S", States: { S: { Type: "Succeed" } } }))),
    ).toMatchObject({
      name: "StateMachineAlreadyExists",
      status: 400,
    });
  });

  it.each([
    ["a name with a space", "night ly"],
    ["a name with a colon", "night:ly"],
    ["a name with a bracket", "night[ly]"],
  ])("refuses %s with InvalidName (API_CreateStateMachine, request parameter name)", async (_what, name) => {
    expect(await failure(create(name))).toMatchObject({ name: "InvalidName", status: 400 });
  });

  it("refuses an 81-character name as the service model does: ValidationException (name: max 80)", async () => {
    const error = await failure(create("n".repeat(81)));

    expect(error).toMatchObject({ name: "ValidationException", status: 400 });
    expect(error.message).toContain("'name'");
  });

  it("refuses a definition that is not valid ASL with InvalidDefinition, naming the problem (API_CreateStateMachine)", async () => {
    const bad = JSON.stringify({ StartAt: "Missing", States: { Other: { Type: "Succeed" } } });

    const error = await failure(create("broken", bad));

    expect(error).toMatchObject({ name: "InvalidDefinition", status: 400 });
    expect(error.message).toContain("Missing");
  });

  it("refuses a role that is not an IAM role ARN with InvalidArn, and a missing roleArn with ValidationException", async () => {
    const badRole = sfn.send(
      new CreateStateMachineCommand({ name: "x", definition: taskDefinition, roleArn: "role" }),
    );
    const noRole = sfn.send(
      new CreateStateMachineCommand({ name: "x", definition: taskDefinition } as never),
    );

    expect(await failure(badRole)).toMatchObject({ name: "InvalidArn" });
    expect(await failure(noRole)).toMatchObject({ name: "ValidationException" });
  });

  it("pages ListStateMachines with maxResults and nextToken (API_ListStateMachines)", async () => {
    for (const name of ["a", "b", "c"]) await create(name);

    const first = await sfn.send(new ListStateMachinesCommand({ maxResults: 2 }));
    const second = await sfn.send(
      new ListStateMachinesCommand({ maxResults: 2, nextToken: first.nextToken }),
    );

    expect(first.stateMachines?.map((m) => m.name)).toEqual(["a", "b"]);
    expect(second.stateMachines?.map((m) => m.name)).toEqual(["c"]);
    expect(second.nextToken).toBeUndefined();
  });

  it("answers StateMachineDoesNotExist for an unknown machine and InvalidArn for another resource type (API_DescribeStateMachine)", async () => {
    const unknown = sfn.send(new DescribeStateMachineCommand({ stateMachineArn: MACHINE("ghost") }));
    const wrongType = sfn.send(new DescribeStateMachineCommand({ stateMachineArn: EXECUTION("ghost", "x") }));

    expect(await failure(unknown)).toMatchObject({ name: "StateMachineDoesNotExist", status: 400 });
    expect(await failure(wrongType)).toMatchObject({ name: "InvalidArn", status: 400 });
  });
});

describe("StartExecution, DescribeExecution, ListExecutions", () => {
  it("runs the definition: the registered function's result is the execution's output (API_DescribeExecution)", async () => {
    const { stateMachineArn } = await create("double");

    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: "x21", input: '{"n":21}' }),
    );
    await h.emulator.executionsIdle();
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));

    expect(executionArn).toBe(EXECUTION("double", "x21"));
    expect(described).toMatchObject({
      status: "SUCCEEDED",
      name: "x21",
      input: '{"n":21}',
      output: '{"n":42}',
    });
  });

  it("answers ExecutionAlreadyExists for a name already used by a finished execution (API_StartExecution)", async () => {
    const { stateMachineArn } = await create("double");
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name: "once", input: '{"n":1}' }));
    await h.emulator.executionsIdle();

    const again = sfn.send(new StartExecutionCommand({ stateMachineArn, name: "once", input: '{"n":1}' }));

    expect(await failure(again)).toMatchObject({ name: "ExecutionAlreadyExists", status: 400 });
  });

  it("refuses input that is not JSON with InvalidExecutionInput, and an unknown machine with StateMachineDoesNotExist (API_StartExecution)", async () => {
    const { stateMachineArn } = await create("double");

    const notJson = sfn.send(new StartExecutionCommand({ stateMachineArn, input: "{n:" }));
    const unknown = sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE("ghost") }));

    expect(await failure(notJson)).toMatchObject({ name: "InvalidExecutionInput" });
    expect(await failure(unknown)).toMatchObject({ name: "StateMachineDoesNotExist" });
  });

  it("fails the execution with Lambda.ResourceNotFoundException when its function is not registered", async () => {
    const { stateMachineArn } = await create(
      "orphan",
      JSON.stringify({
        StartAt: "Call",
        States: {
          Call: { Type: "Task", Resource: "arn:aws:lambda:us-east-1:000000000000:function:none", End: true },
        },
      }),
    );

    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
    await h.emulator.executionsIdle();

    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      status: "FAILED",
      error: "Lambda.ResourceNotFoundException",
    });
  });

  it("answers ExecutionDoesNotExist for an unknown execution (API_DescribeExecution)", async () => {
    const error = await failure(
      sfn.send(new DescribeExecutionCommand({ executionArn: EXECUTION("double", "never") })),
    );

    expect(error).toMatchObject({ name: "ExecutionDoesNotExist", status: 400 });
  });

  it("lists executions newest first, filtered by status and paged (API_ListExecutions)", async () => {
    const { stateMachineArn } = await create("double");
    for (const [i, n] of [1, 2, "bad", 4].entries()) {
      await sfn.send(
        new StartExecutionCommand({ stateMachineArn, name: `e${i}`, input: JSON.stringify({ n }) }),
      );
      await h.emulator.executionsIdle();
      h.clock.advance(60_000);
    }

    const page1 = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 3 }));
    const page2 = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: 3, nextToken: page1.nextToken }),
    );
    const succeeded = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: "SUCCEEDED" }),
    );

    expect(page1.executions?.map((e) => e.name)).toEqual(["e3", "e2", "e1"]);
    expect(page2.executions?.map((e) => e.name)).toEqual(["e0"]);
    // "bad" * 2 is NaN, which JSON writes as null: the function still succeeds, so all four did.
    expect(succeeded.executions).toHaveLength(4);
  });

  it("refuses a nextToken from another listing with InvalidToken (API_ListExecutions)", async () => {
    const a = await create("a");
    const b = await create("b");
    for (const name of ["1", "2"]) {
      await sfn.send(
        new StartExecutionCommand({ stateMachineArn: a.stateMachineArn, name, input: '{"n":1}' }),
      );
    }
    await h.emulator.executionsIdle();
    const page = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: a.stateMachineArn, maxResults: 1 }),
    );

    const reused = sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: b.stateMachineArn,
        maxResults: 1,
        nextToken: page.nextToken,
      }),
    );

    expect(await failure(reused)).toMatchObject({ name: "InvalidToken" });
  });
});

describe("StopExecution and GetExecutionHistory", () => {
  it("stops a running execution: ABORTED, its history ends with ExecutionAborted (API_StopExecution)", async () => {
    let release = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const SLOW = "arn:aws:lambda:us-east-1:000000000000:function:slow";
    h.emulator.registerFunction(SLOW, async () => {
      await blocked;
      return {};
    });
    const { stateMachineArn } = await create(
      "slow",
      JSON.stringify({ StartAt: "Slow", States: { Slow: { Type: "Task", Resource: SLOW, End: true } } }),
    );
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));

    await sfn.send(new StopExecutionCommand({ executionArn, error: "Operator", cause: "stopped by hand" }));
    release();
    await h.emulator.executionsIdle();

    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      status: "ABORTED",
      error: "Operator",
      cause: "stopped by hand",
    });
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events?.at(-1)).toMatchObject({
      type: "ExecutionAborted",
      executionAbortedEventDetails: { error: "Operator", cause: "stopped by hand" },
    });
  });

  it("records states and Lambda calls in order, paged and in reverse on request (API_GetExecutionHistory)", async () => {
    const { stateMachineArn } = await create("double");
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{"n":2}' }));
    await h.emulator.executionsIdle();

    const all = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const first = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 4 }));
    const rest = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 4, nextToken: first.nextToken }),
    );
    const reversed = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));

    expect(all.events?.map((e) => e.type)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "LambdaFunctionScheduled",
      "LambdaFunctionStarted",
      "LambdaFunctionSucceeded",
      "TaskStateExited",
      "ExecutionSucceeded",
    ]);
    expect(all.events?.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(all.events?.[2]?.lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: DOUBLE,
      input: '{"n":2}',
    });
    expect(all.events?.[6]?.executionSucceededEventDetails?.output).toBe('{"n":4}');
    expect([...(first.events ?? []), ...(rest.events ?? [])].map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(reversed.events?.map((e) => e.id)).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });
});

describe("ListMapRuns, DescribeMapRun, ListExecutions by Map Run", () => {
  const CHECK = "arn:aws:lambda:us-east-1:000000000000:function:check";
  const distributed = JSON.stringify({
    StartAt: "Each",
    States: {
      Each: {
        Type: "Map",
        Label: "Each",
        ItemsPath: "$.items",
        ToleratedFailurePercentage: 100,
        ItemProcessor: {
          ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
          StartAt: "Check",
          States: { Check: { Type: "Task", Resource: CHECK, End: true } },
        },
        End: true,
      },
    },
  });

  it("counts the Map Run's children by status and lists them (API_DescribeMapRun, API_ListMapRuns)", async () => {
    h.emulator.registerFunction(CHECK, async (item) => {
      if (item === 2) throw new Error("two is refused");
      return item;
    });
    const { stateMachineArn } = await create("fanout", distributed);

    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: "run1", input: '{"items":[1,2,3]}' }),
    );
    await h.emulator.executionsIdle();
    const { mapRuns } = await sfn.send(new ListMapRunsCommand({ executionArn }));
    const mapRunArn = mapRuns?.[0]?.mapRunArn;
    const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
    const failed = await sfn.send(new ListExecutionsCommand({ mapRunArn, statusFilter: "FAILED" }));
    const children = await sfn.send(new ListExecutionsCommand({ mapRunArn }));

    expect(mapRuns).toHaveLength(1);
    expect(mapRunArn).toMatch(/^arn:aws:states:us-east-1:000000000000:mapRun:fanout\/Each:[0-9a-f-]{36}$/);
    expect(run).toMatchObject({ status: "SUCCEEDED", executionArn, toleratedFailurePercentage: 100 });
    expect(run.itemCounts).toMatchObject({
      total: 3,
      succeeded: 2,
      failed: 1,
      running: 0,
      pending: 0,
      resultsWritten: 3,
    });
    expect(children.executions).toHaveLength(3);
    expect(failed.executions).toHaveLength(1);
    const child = await sfn.send(
      new DescribeExecutionCommand({ executionArn: failed.executions?.[0]?.executionArn }),
    );
    expect(child).toMatchObject({ status: "FAILED", input: "2", mapRunArn });
  });

  it("answers ResourceNotFound for an unknown Map Run and ValidationException without an ARN to list by (API_ListExecutions)", async () => {
    const mapRunArn =
      "arn:aws:states:us-east-1:000000000000:mapRun:fanout/Each:00000000-0000-0000-0000-000000000000";

    expect(await failure(sfn.send(new DescribeMapRunCommand({ mapRunArn })))).toMatchObject({
      name: "ResourceNotFound",
    });
    expect(await failure(sfn.send(new ListExecutionsCommand({})))).toMatchObject({
      name: "ValidationException",
    });
  });
});
