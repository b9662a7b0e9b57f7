import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListMapRunsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { localConfig } from "../../../local/cycle";
import { applyStack } from "../../../local/stack-on-emulator";
import { launchInstance, startTestAws, type TestAws } from "../../helpers/aws";

/**
 * The packaged stack "deployed" on the embedded AWS: its state machines exist, and an execution of
 * the backup machine started over the Step Functions API runs a real cycle of the emulator's fleet.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html
 */
let aws: TestAws;
let sfn: SFNClient;

beforeAll(async () => {
  aws = await startTestAws(Date.UTC(2026, 0, 1, 3));
  await applyStack(aws.emulator, localConfig({ topicArn: aws.topicArn, endpoint: aws.emulator.endpoint }), {
    iam: true,
    stateMachines: true,
  });
  sfn = new SFNClient({
    endpoint: aws.emulator.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
}, 120_000);

afterAll(async () => {
  sfn.destroy();
  await aws.stop();
});

describe("the packaged stack on the embedded AWS", () => {
  it("lists the backup and restore state machines (ListStateMachines)", async () => {
    const { stateMachines } = await sfn.send(new ListStateMachinesCommand({}));

    expect(stateMachines?.map((m) => m.name)).toEqual(["snapfleet-dev-backup", "snapfleet-dev-restore"]);
    expect(stateMachines?.[0]?.stateMachineArn).toBe(
      "arn:aws:states:us-east-1:000000000000:stateMachine:snapfleet-dev-backup",
    );
  });

  it("runs a backup cycle of the fleet from StartExecution: output, Map Run counts and history", async () => {
    // Prepare: two selected servers (3 drives) and one that is not selected.
    await launchInstance(aws, { tags: { Name: "web", Backup: "true" } });
    await launchInstance(aws, {
      tags: { Name: "db", Backup: "yes" },
      volumes: [{ device: "/dev/xvdf", size: 20 }],
    });
    await launchInstance(aws, { tags: { Name: "scratch" } });
    const { stateMachines } = await sfn.send(new ListStateMachinesCommand({}));
    const backup = stateMachines?.find((m) => m.name === "snapfleet-dev-backup")?.stateMachineArn;

    // Act
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: backup, name: "by-hand", input: "{}" }),
    );
    await aws.emulator.executionsIdle();

    // Assert: the execution's output is Summarize's outcome, 3 of 3 drives backed up.
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(execution.status).toBe("SUCCEEDED");
    const output = JSON.parse(execution.output ?? "{}") as {
      runId: string;
      volumesBackedUp: number;
      volumesFailed: number;
      resultsKey: string;
    };
    expect(output).toMatchObject({ runId: "by-hand", volumesBackedUp: 3, volumesFailed: 0 });
    expect(output.resultsKey).toBe("runs/by-hand/results.json");

    // One Map Run (the Fleet state), one child per selected server, both succeeded.
    const { mapRuns } = await sfn.send(new ListMapRunsCommand({ executionArn }));
    expect(mapRuns).toHaveLength(1);
    const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn: mapRuns?.[0]?.mapRunArn }));
    expect(run.status).toBe("SUCCEEDED");
    expect(run.itemCounts).toMatchObject({ total: 2, succeeded: 2, failed: 0, running: 0, pending: 0 });
    expect(run.mapRunArn).toMatch(
      /^arn:aws:states:us-east-1:000000000000:mapRun:snapfleet-dev-backup\/Fleet:/,
    );

    // The history the console shows: the three states in order, each Lambda call, the Map Run.
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const types = events?.map((e) => e.type);
    expect(types?.[0]).toBe("ExecutionStarted");
    expect(types?.at(-1)).toBe("ExecutionSucceeded");
    const entered = events
      ?.filter((e) => e.type?.endsWith("StateEntered"))
      .map((e) => e.stateEnteredEventDetails?.name);
    expect(entered).toEqual(["Plan", "Fleet", "Summarize"]);
    expect(types).toEqual(
      expect.arrayContaining([
        "LambdaFunctionScheduled",
        "LambdaFunctionSucceeded",
        "MapRunStarted",
        "MapRunSucceeded",
      ]),
    );
    expect(types?.indexOf("MapStateEntered")).toBeLessThan(types?.indexOf("MapRunStarted") ?? -1);
  });
});
