import { localConfig } from "../../../local/cycle";
import { applyStack } from "../../../local/stack-on-emulator";
import { launchInstance, startTestAws, type TestAws } from "../../helpers/aws";
import { awsCli, itWithCli as cliHelper } from "../../helpers/aws-cli";

/**
 * The console workflow from the AWS CLI with --endpoint-url: the stack's state machines are listed,
 * `start-execution` runs a backup cycle and `describe-execution` shows its result; the schedule is
 * visible through EventBridge's ListRules.
 */
const itWithCli = cliHelper("Step Functions");

let aws: TestAws;

async function cli(...args: string[]): Promise<Record<string, unknown>> {
  return JSON.parse(await awsCli(aws.emulator.endpoint, ["--region", "us-east-1", ...args])) as Record<
    string,
    unknown
  >;
}

beforeAll(async () => {
  aws = await startTestAws(Date.UTC(2026, 0, 1, 1));
  await applyStack(aws.emulator, localConfig({ topicArn: aws.topicArn, endpoint: aws.emulator.endpoint }), {
    iam: true,
    schedule: true,
  });
  await launchInstance(aws, { tags: { Name: "web", Backup: "true" } });
}, 120_000);

afterAll(() => aws.stop());

describe("aws stepfunctions / events with --endpoint-url", () => {
  itWithCli("list-state-machines lists the backup and restore machines", async () => {
    const out = await cli("stepfunctions", "list-state-machines");

    expect(out.stateMachines).toEqual([
      expect.objectContaining({ name: "snapfleet-dev-backup", type: "STANDARD" }),
      expect.objectContaining({ name: "snapfleet-dev-restore", type: "STANDARD" }),
    ]);
  });

  itWithCli("start-execution runs a backup cycle whose result describe-execution shows", async () => {
    const machine = "arn:aws:states:us-east-1:000000000000:stateMachine:snapfleet-dev-backup";

    const started = await cli(
      "stepfunctions",
      "start-execution",
      "--state-machine-arn",
      machine,
      "--name",
      "from-cli",
    );
    await aws.emulator.executionsIdle();
    const described = await cli(
      "stepfunctions",
      "describe-execution",
      "--execution-arn",
      String(started.executionArn),
    );

    expect(started.executionArn).toBe(
      "arn:aws:states:us-east-1:000000000000:execution:snapfleet-dev-backup:from-cli",
    );
    expect(described.status).toBe("SUCCEEDED");
    expect(JSON.parse(String(described.output))).toMatchObject({
      runId: "from-cli",
      volumesBackedUp: 1,
      volumesFailed: 0,
      subject: "snapfleet us-east-1: OK, 1/1 drives backed up",
    });
  });

  itWithCli(
    "describe-execution of an unknown execution: ExecutionDoesNotExist, exit 254 (v2) or 255 (v1)",
    async () => {
      const failed = await cli(
        "stepfunctions",
        "describe-execution",
        "--execution-arn",
        "arn:aws:states:us-east-1:000000000000:execution:snapfleet-dev-backup:never",
      ).catch((error: { code?: number; stderr?: string }) => error);

      expect((failed as { code?: number }).code).toBeGreaterThanOrEqual(254);
      expect((failed as { stderr?: string }).stderr).toContain("(ExecutionDoesNotExist)");
    },
  );

  itWithCli("events list-rules shows the schedule and list-targets-by-rule its target", async () => {
    const rules = await cli("events", "list-rules");
    const targets = await cli("events", "list-targets-by-rule", "--rule", "snapfleet-dev-BackupSchedule");

    expect(rules.Rules).toEqual([
      expect.objectContaining({
        Name: "snapfleet-dev-BackupSchedule",
        ScheduleExpression: "cron(0 3 * * ? *)",
        State: "ENABLED",
      }),
    ]);
    expect(targets.Targets).toEqual([
      expect.objectContaining({
        Id: "backup",
        Arn: "arn:aws:states:us-east-1:000000000000:stateMachine:snapfleet-dev-backup",
      }),
    ]);
  });
});
