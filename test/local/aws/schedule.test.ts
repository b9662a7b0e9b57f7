import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { parseSchedule } from "../../../local/aws/events/schedule";
import { localConfig } from "../../../local/cycle";
import { applyStack } from "../../../local/stack-on-emulator";
import { DAY_MS, launchInstance, startTestAws, type TestAws } from "../../helpers/aws";

/**
 * EventBridge schedules on the emulator's clock.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html
 */
const at = (iso: string) => new Date(iso);

describe("schedule expressions (EventBridge's cron and rate)", () => {
  it.each([
    // [expression, after, next]: the expected times are read off a calendar (2026-01-03 is a Saturday).
    ["cron(0 3 * * ? *)", "2026-01-01T00:00:00Z", "2026-01-01T03:00:00Z"],
    ["cron(0 3 * * ? *)", "2026-01-01T03:00:00Z", "2026-01-02T03:00:00Z"],
    ["cron(0 12 ? * 2-6 *)", "2026-01-03T00:00:00Z", "2026-01-05T12:00:00Z"], // MON-FRI as 2-6
    ["cron(0 12 ? * 1 *)", "2026-01-01T00:00:00Z", "2026-01-04T12:00:00Z"], // 1 = Sunday
    ["cron(0 12 ? * MON *)", "2026-01-01T00:00:00Z", "2026-01-05T12:00:00Z"],
    ["cron(15 10 1 * ? 2027)", "2026-06-01T00:00:00Z", "2027-01-01T10:15:00Z"],
    ["rate(5 minutes)", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"],
    ["rate(1 day)", "2026-01-01T07:00:00Z", "2026-01-02T00:00:00Z"],
  ])("%s after %s runs next at %s", (expression, after, next) => {
    const schedule = parseSchedule(expression, at("2026-01-01T00:00:00Z"));

    expect(schedule.next(at(after))?.toISOString()).toBe(at(next).toISOString());
  });

  it.each([
    "cron(0 3 * * * *)", // Day-of-month and Day-of-week both given
    "cron(0 3 * *)",
    "cron(0 3 ? * 8 *)",
    "rate(1 minutes)",
    "rate(5 minute)",
    "rate(0 days)",
    "at(2026-01-01T00:00:00)",
  ])("refuses %s with ValidationException", (expression) => {
    expect(() => parseSchedule(expression, new Date())).toThrow("Parameter ScheduleExpression is not valid.");
  });
});

describe("the stack's schedule on the emulator's clock", () => {
  let aws: TestAws;

  beforeAll(async () => {
    aws = await startTestAws(Date.UTC(2026, 0, 1, 0, 0));
  }, 120_000);
  afterAll(() => aws.stop());

  it("starts exactly three runs in three simulated days, each with the scheduled event as input", async () => {
    // Prepare: one server, the stack with its default schedule cron(0 3 * * ? *).
    await launchInstance(aws, { tags: { Name: "web", Backup: "true" } });
    const { stateMachines } = await applyStack(
      aws.emulator,
      localConfig({ topicArn: aws.topicArn, endpoint: aws.emulator.endpoint }),
      { iam: true, schedule: true },
    );
    const stateMachineArn = stateMachines.BackupStateMachine;
    const sfn = new SFNClient({
      endpoint: aws.emulator.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });

    // Act: three days, an hour at a time, letting each run finish.
    const end = Date.UTC(2026, 0, 4, 0, 0);
    while (aws.clock.nowMs() < end) {
      aws.clock.advance(Math.min(3_600_000, end - aws.clock.nowMs()));
      await aws.emulator.executionsIdle();
    }

    // Assert
    const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    expect(executions).toHaveLength(3);
    const inputs = await Promise.all(
      executions.map(async (e) => {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
        expect(d.status).toBe("SUCCEEDED");
        return JSON.parse(d.input ?? "{}") as Record<string, unknown>;
      }),
    );
    expect(inputs.map((i) => i.time).sort()).toEqual([
      "2026-01-01T03:00:00Z",
      "2026-01-02T03:00:00Z",
      "2026-01-03T03:00:00Z",
    ]);
    expect(inputs[0]).toMatchObject({
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "000000000000",
      region: "us-east-1",
      resources: ["arn:aws:events:us-east-1:000000000000:rule/snapfleet-dev-BackupSchedule"],
      detail: {},
    });
    expect(aws.clock.nowMs() - Date.UTC(2026, 0, 1)).toBeGreaterThanOrEqual(3 * DAY_MS);
    sfn.destroy();
  }, 120_000);
});
