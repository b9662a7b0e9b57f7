import {
  CloudWatchClient,
  DeleteDashboardsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DescribeAlarmsForMetricCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListDashboardsCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import { CreateTopicCommand } from "@aws-sdk/client-sns";
import { failure, type Harness, startHarness } from "./harness";
import { FORM, raw, signedAs } from "./raw";

const API = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference";
const T0 = new Date(Date.UTC(2026, 0, 1));

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ quotas: false });
});
afterEach(() => h.emulator.stop());

async function alarm(name: string, topicArn?: string): Promise<void> {
  await h.cloudwatch().send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: "Snapfleet",
      MetricName: "Errors",
      Dimensions: [{ Name: "Server", Value: "i-1" }],
      Statistic: "Sum",
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      ...(topicArn ? { AlarmActions: [topicArn] } : {}),
    }),
  );
}

describe(`SetAlarmState (${API}/API_SetAlarmState.html)`, () => {
  it("sets the state, runs the state's actions and records the change in the history", async () => {
    const { TopicArn } = await h.sns().send(new CreateTopicCommand({ Name: "alerts" }));
    await alarm("errors", TopicArn);

    await h
      .cloudwatch()
      .send(new SetAlarmStateCommand({ AlarmName: "errors", StateValue: "ALARM", StateReason: "testing" }));
    const described = await h.cloudwatch().send(new DescribeAlarmsCommand({ AlarmNames: ["errors"] }));
    const history = await h.cloudwatch().send(new DescribeAlarmHistoryCommand({ AlarmName: "errors" }));

    expect(described.MetricAlarms?.[0]).toMatchObject({ StateValue: "ALARM", StateReason: "testing" });
    expect(h.emulator.published()).toEqual([
      expect.objectContaining({ topicArn: TopicArn, subject: expect.stringContaining("ALARM") }),
    ]);
    expect(history.AlarmHistoryItems?.map((i) => [i.HistoryItemType, i.HistorySummary])).toEqual([
      ["StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM"],
      ["ConfigurationUpdate", 'Alarm "errors" created'],
    ]);
  });

  it(`is authorized against the alarm's ARN (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html)`, async () => {
    await alarm("errors");
    h.emulator.setIam({
      principals: {
        drill: [
          {
            Effect: "Allow",
            Action: "cloudwatch:SetAlarmState",
            Resource: "arn:aws:cloudwatch:*:*:alarm:other",
          },
        ],
      },
    });
    const drill = new CloudWatchClient({
      endpoint: h.emulator.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "drill", secretAccessKey: "x" },
      maxAttempts: 1,
    });

    const error = await failure(
      drill.send(new SetAlarmStateCommand({ AlarmName: "errors", StateValue: "ALARM", StateReason: "x" })),
    );

    expect(error).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(error.message).toContain("on resource: arn:aws:cloudwatch:us-east-1:000000000000:alarm:errors");
  });

  it("refuses an alarm that does not exist with ResourceNotFound (404)", async () => {
    const error = await failure(
      h
        .cloudwatch()
        .send(new SetAlarmStateCommand({ AlarmName: "nope", StateValue: "OK", StateReason: "x" })),
    );

    expect(error).toMatchObject({ name: "ResourceNotFound", status: 404 });
  });

  it("refuses StateReasonData that is not JSON with InvalidFormat", async () => {
    await alarm("errors");

    const error = await failure(
      h.cloudwatch().send(
        new SetAlarmStateCommand({
          AlarmName: "errors",
          StateValue: "OK",
          StateReason: "x",
          StateReasonData: "{",
        }),
      ),
    );

    // The SDK names the modeled InvalidFormatFault, whose query error code is InvalidFormat.
    expect(error).toMatchObject({ name: "InvalidFormatFault", status: 400 });
  });
});

describe(`DescribeAlarmsForMetric (${API}/API_DescribeAlarmsForMetric.html)`, () => {
  it("lists the alarms on a metric with exactly those dimensions", async () => {
    await alarm("errors");

    const hit = await h.cloudwatch().send(
      new DescribeAlarmsForMetricCommand({
        Namespace: "Snapfleet",
        MetricName: "Errors",
        Dimensions: [{ Name: "Server", Value: "i-1" }],
      }),
    );
    const miss = await h.cloudwatch().send(
      new DescribeAlarmsForMetricCommand({
        Namespace: "Snapfleet",
        MetricName: "Errors",
        Dimensions: [{ Name: "Server", Value: "i-2" }],
      }),
    );

    expect(hit.MetricAlarms?.map((a) => a.AlarmName)).toEqual(["errors"]);
    expect(miss.MetricAlarms).toEqual([]);
  });
});

describe(`GetMetricStatistics (${API}/API_GetMetricStatistics.html)`, () => {
  const base = {
    Namespace: "Snapfleet",
    MetricName: "ElapsedTime",
    StartTime: T0,
    EndTime: new Date(T0.getTime() + 3600_000),
    Period: 3600,
  };
  beforeEach(async () => {
    await h.cloudwatch().send(
      new PutMetricDataCommand({
        Namespace: "Snapfleet",
        MetricData: [
          {
            MetricName: "ElapsedTime",
            Timestamp: new Date(T0.getTime() + 60_000),
            Values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
          },
        ],
      }),
    );
  });

  it("answers ExtendedStatistics p90 and p50 (nearest rank)", async () => {
    const out = await h
      .cloudwatch()
      .send(new GetMetricStatisticsCommand({ ...base, ExtendedStatistics: ["p90", "p50"] }));

    expect(out.Datapoints?.[0]?.ExtendedStatistics).toEqual({ p90: 9, p50: 5 });
  });

  it("answers ExtendedStatistics over the query protocol as a map of entries", async () => {
    const answer = await raw(h.emulator.endpoint, {
      headers: { ...FORM, ...signedAs("monitoring") },
      body: `Action=GetMetricStatistics&Version=2010-08-01&Namespace=Snapfleet&MetricName=ElapsedTime&StartTime=${T0.toISOString()}&EndTime=${new Date(T0.getTime() + 3600_000).toISOString()}&Period=3600&ExtendedStatistics.member.1=p90`,
    });

    expect(answer.body).toContain(
      "<ExtendedStatistics><entry><key>p90</key><value>9</value></entry></ExtendedStatistics>",
    );
  });

  it.each([
    [
      "both Statistics and ExtendedStatistics",
      { Statistics: ["Sum" as const], ExtendedStatistics: ["p90"] },
      "InvalidParameterCombination",
    ],
    [
      "a Period of 45 (not a multiple of 60)",
      { Statistics: ["Sum" as const], Period: 45 },
      "InvalidParameterValue",
    ],
    [
      "StartTime after EndTime",
      { Statistics: ["Sum" as const], StartTime: new Date(T0.getTime() + 7200_000) },
      "InvalidParameterValue",
    ],
    ["a malformed percentile", { ExtendedStatistics: ["p900"] }, "InvalidParameterValue"],
  ])("refuses %s", async (_, extra, code) => {
    const answer = await raw(h.emulator.endpoint, {
      headers: { ...FORM, ...signedAs("monitoring") },
      body: new URLSearchParams({
        Action: "GetMetricStatistics",
        Version: "2010-08-01",
        Namespace: base.Namespace,
        MetricName: base.MetricName,
        StartTime: ((extra as { StartTime?: Date }).StartTime ?? base.StartTime).toISOString(),
        EndTime: base.EndTime.toISOString(),
        Period: String((extra as { Period?: number }).Period ?? base.Period),
        ...Object.fromEntries(
          ((extra as { Statistics?: string[] }).Statistics ?? []).map((s, n) => [
            `Statistics.member.${n + 1}`,
            s,
          ]),
        ),
        ...Object.fromEntries(
          ((extra as { ExtendedStatistics?: string[] }).ExtendedStatistics ?? []).map((s, n) => [
            `ExtendedStatistics.member.${n + 1}`,
            s,
          ]),
        ),
      }).toString(),
    });

    expect([answer.status, /<Code>([^<]*)</.exec(answer.body)?.[1]]).toEqual([400, code]);
  });

  it(`refuses GetMetricData with StartTime after EndTime (${API}/API_GetMetricData.html)`, async () => {
    const error = await failure(
      h.cloudwatch().send(
        new GetMetricDataCommand({
          StartTime: base.EndTime,
          EndTime: base.StartTime,
          MetricDataQueries: [
            {
              Id: "a",
              MetricStat: {
                Metric: { Namespace: "Snapfleet", MetricName: "ElapsedTime" },
                Period: 60,
                Stat: "p90",
              },
            },
          ],
        }),
      ),
    );

    expect(error).toMatchObject({ name: "InvalidParameterValueException", status: 400 });
  });
});

describe(`GetMetricData metric math (${API}/API_GetMetricData.html)`, () => {
  const period = 60;
  const stat = (id: string, name: string, returnData = false) => ({
    Id: id,
    ReturnData: returnData,
    MetricStat: { Metric: { Namespace: "Snapfleet", MetricName: name }, Period: period, Stat: "Sum" },
  });
  beforeEach(async () => {
    await h.cloudwatch().send(
      new PutMetricDataCommand({
        Namespace: "Snapfleet",
        MetricData: [
          { MetricName: "A", Timestamp: T0, Value: 3 },
          { MetricName: "A", Timestamp: new Date(T0.getTime() + 60_000), Value: 5 },
          { MetricName: "B", Timestamp: T0, Value: 10 },
          { MetricName: "B", Timestamp: new Date(T0.getTime() + 60_000), Value: 20 },
        ],
      }),
    );
  });
  const query = (expressions: { Id: string; Expression: string }[]) =>
    h.cloudwatch().send(
      new GetMetricDataCommand({
        StartTime: T0,
        EndTime: new Date(T0.getTime() + 600_000),
        ScanBy: "TimestampAscending",
        MetricDataQueries: [stat("a", "A"), stat("b", "B"), ...expressions],
      }),
    );

  it("evaluates a*2, a+b and SUM(METRICS()) per timestamp", async () => {
    const out = await query([
      { Id: "double", Expression: "a*2" },
      { Id: "both", Expression: "(a + b) / 2" },
      { Id: "total", Expression: "SUM(METRICS())" },
    ]);

    expect(out.MetricDataResults?.map((r) => [r.Id, r.Values])).toEqual([
      ["double", [6, 10]],
      ["both", [6.5, 12.5]],
      ["total", [13, 25]],
    ]);
  });

  it("refuses what it does not emulate (SEARCH) with InvalidParameterValue rather than a wrong answer", async () => {
    const error = await failure(
      query([{ Id: "s", Expression: "SEARCH('{Snapfleet} MetricName=\"A\"', 'Sum', 60)" }]),
    );

    expect(error).toMatchObject({ name: "InvalidParameterValueException", status: 400 });
  });
});

describe(`dashboards (${API}/API_PutDashboard.html)`, () => {
  const body = JSON.stringify({
    widgets: [{ type: "text", x: 0, y: 0, width: 6, height: 3, properties: { markdown: "hi" } }],
  });

  it("puts, gets, lists and deletes a dashboard", async () => {
    await h.cloudwatch().send(new PutDashboardCommand({ DashboardName: "fleet", DashboardBody: body }));

    const got = await h.cloudwatch().send(new GetDashboardCommand({ DashboardName: "fleet" }));
    const listed = await h.cloudwatch().send(new ListDashboardsCommand({ DashboardNamePrefix: "fl" }));
    await h.cloudwatch().send(new DeleteDashboardsCommand({ DashboardNames: ["fleet"] }));
    const gone = await failure(h.cloudwatch().send(new GetDashboardCommand({ DashboardName: "fleet" })));

    expect(got).toMatchObject({
      DashboardName: "fleet",
      DashboardBody: body,
      DashboardArn: "arn:aws:cloudwatch::000000000000:dashboard/fleet",
    });
    expect(listed.DashboardEntries?.map((d) => [d.DashboardName, d.Size])).toEqual([
      ["fleet", Buffer.byteLength(body)],
    ]);
    expect(gone.status).toBe(404);
  });

  it("refuses a body without a widgets array", async () => {
    const error = await failure(
      h.cloudwatch().send(new PutDashboardCommand({ DashboardName: "bad", DashboardBody: "{}" })),
    );

    expect(error).toMatchObject({ name: "DashboardInvalidInputError", status: 400 });
  });
});
