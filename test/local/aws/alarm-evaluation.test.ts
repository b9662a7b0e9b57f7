import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { CreateTopicCommand } from "@aws-sdk/client-sns";
import { failure, type Harness, startHarness } from "./harness";

const GUIDE = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html";
const MISSING = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html";
const API = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html";

const MINUTE = 60_000;
let h: Harness;
let cw: CloudWatchClient;
let topicArn: string;

beforeEach(async () => {
  h = await startHarness();
  cw = h.cloudwatch();
  topicArn = (await h.sns().send(new CreateTopicCommand({ Name: "alarms" }))).TopicArn ?? "";
});
afterEach(() => h.emulator.stop());

const now = () => h.clock.nowMs();

async function put(
  metricName: string,
  value: number,
  at: number,
  dims: { Name: string; Value: string }[] = [],
) {
  await cw.send(
    new PutMetricDataCommand({
      Namespace: "Test",
      MetricData: [{ MetricName: metricName, Value: value, Timestamp: new Date(at), Dimensions: dims }],
    }),
  );
}

async function alarm(name: string, props: Partial<PutMetricAlarmCommandInput> = {}) {
  await cw.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: "Test",
      MetricName: name,
      Statistic: "Maximum",
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: "GreaterThanThreshold",
      AlarmActions: [topicArn],
      OKActions: [topicArn],
      ...props,
    }),
  );
}

async function describe_(name: string): Promise<MetricAlarm> {
  const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
  return out.MetricAlarms?.[0] as MetricAlarm;
}

/** Advances the simulated clock and lets the emulator catch up on alarm evaluation. */
function advance(ms: number): void {
  h.clock.advance(ms);
  h.emulator.evaluateAlarms();
}

describe(`missing data, as the tables of "How alarm state is evaluated when data is missing" (${MISSING})`, () => {
  // Five most recent periods, oldest first: 0 not breaching, X breaching, - missing.
  const TABLE_3_OF_3: [string, string, string, string, string][] = [
    ["0 - X - X", "OK", "OK", "OK", "OK"],
    ["0 - - - -", "OK", "OK", "OK", "OK"],
    ["- - - - -", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"],
    ["0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"],
    ["- - - - X", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"],
  ];
  const TABLE_2_OF_3: [string, string, string, string, string][] = [
    ["0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"],
    ["0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"],
    ["0 - X - -", "OK", "OK", "ALARM", "OK"],
    ["- - - - 0", "OK", "OK", "ALARM", "OK"],
    ["- - - - X", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"],
  ];
  const treatments = ["missing", "ignore", "breaching", "notBreaching"] as const;

  it.each([
    ["3 out of 3", 3, TABLE_3_OF_3],
    ["2 out of 3", 2, TABLE_2_OF_3],
  ] as const)(
    "gives each row's documented state for a %s alarm",
    async (_label, datapointsToAlarm, table) => {
      const period = 300_000;
      const at = now() + 40 * MINUTE;
      h.clock.advance(at - 30_000 - now());
      for (const [row, pattern] of table.entries()) {
        const marks = pattern[0].split(" ");
        for (const [n, mark] of marks.entries()) {
          const start = at - (marks.length - n) * period;
          if (mark !== "-") await put(`row${row}`, mark === "X" ? 10 : 0, start + 30_000);
        }
        for (const treat of treatments) {
          await alarm(`row${row}-${treat}`, {
            MetricName: `row${row}`,
            EvaluationPeriods: 3,
            DatapointsToAlarm: datapointsToAlarm,
            TreatMissingData: treat,
          });
        }
      }

      advance(30_000);

      for (const [row, [, ...expected]] of table.entries()) {
        for (const [n, treat] of treatments.entries()) {
          const state = (await describe_(`row${row}-${treat}`)).StateValue;
          const want = expected[n] === "retain" ? "INSUFFICIENT_DATA" : expected[n];
          expect([table[row]?.[0], treat, state]).toEqual([table[row]?.[0], treat, want]);
        }
      }
    },
  );
});

describe(`evaluation of a metric alarm (${GUIDE}, ${API})`, () => {
  it("stays INSUFFICIENT_DATA until a whole minute of emulator time has passed", async () => {
    await alarm("fresh", { TreatMissingData: "notBreaching" });

    const before = await describe_("fresh");
    advance(MINUTE);
    const after = await describe_("fresh");

    expect(before.StateValue).toBe("INSUFFICIENT_DATA");
    expect(after.StateValue).toBe("OK");
    expect(after.StateReason).toMatch(/missing datapoint was treated as \[NonBreaching\]/);
  });

  it("evaluates lazily on the next request after the clock moved", async () => {
    await alarm("lazy", { TreatMissingData: "breaching" });

    h.clock.advance(5 * MINUTE);
    const described = await describe_("lazy");

    expect(described.StateValue).toBe("ALARM");
    expect(described.StateUpdatedTimestamp).toEqual(new Date(Date.UTC(2026, 0, 1, 0, 1)));
  });

  it.each([
    ["SampleCount", 3],
    ["Sum", 12],
    ["Average", 4],
    ["Minimum", 1],
    ["Maximum", 8],
  ] as const)("computes the %s of a period's datapoints", async (statistic, expected) => {
    await alarm(`stat-${statistic}`, {
      MetricName: "load",
      Statistic: statistic,
      Threshold: expected,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    for (const value of [1, 3, 8]) await put("load", value, now() + 10_000);

    advance(MINUTE);
    const atThreshold = await describe_(`stat-${statistic}`);

    expect(atThreshold.StateValue).toBe("ALARM");
    expect(atThreshold.StateReason).toContain(`[${expected}.0 (`);
  });

  it("watches only its namespace, metric name and exact dimension set", async () => {
    const dims = [{ Name: "Server", Value: "i-1" }];
    await alarm("dims", {
      MetricName: "Errors",
      Dimensions: dims,
      TreatMissingData: "notBreaching",
      Threshold: 0,
    });
    await put("Errors", 1, now() + 1000);
    await put("Errors", 1, now() + 1000, [...dims, { Name: "Drive", Value: "/dev/xvda" }]);
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "Other",
        MetricData: [{ MetricName: "Errors", Value: 1, Dimensions: dims, Timestamp: new Date(now() + 1000) }],
      }),
    );

    advance(MINUTE);
    const untouched = (await describe_("dims")).StateValue;
    await put("Errors", 1, now() + 1000, dims);
    advance(MINUTE);
    const tripped = (await describe_("dims")).StateValue;

    expect([untouched, tripped]).toEqual(["OK", "ALARM"]);
  });

  it("needs DatapointsToAlarm breaching periods out of EvaluationPeriods", async () => {
    await alarm("m-of-n", {
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: "notBreaching",
    });
    const states: (string | undefined)[] = [];

    for (const value of [10, 0, 10, 10, 0, 0]) {
      await put("m-of-n", value, now() + 1000);
      advance(MINUTE);
      states.push((await describe_("m-of-n")).StateValue);
    }

    expect(states).toEqual(["OK", "OK", "ALARM", "ALARM", "ALARM", "OK"]);
  });

  it("keeps evaluating the last datapoint while it is in the evaluation range (EvaluationPeriods + 2 periods)", async () => {
    await alarm("hourly", { Period: 3600, TreatMissingData: "notBreaching" });
    await put("hourly", 10, now() + 10 * MINUTE);

    advance(4 * 3600_000);
    const alarmStates = h.emulator
      .published()
      .map((m) => JSON.parse(m.message) as { NewStateValue: string; StateChangeTime: string });

    expect(alarmStates.map((m) => [m.NewStateValue, m.StateChangeTime])).toEqual([
      ["OK", "2026-01-01T00:01:00.000+0000"],
      ["ALARM", "2026-01-01T00:11:00.000+0000"],
      ["OK", "2026-01-01T03:11:00.000+0000"],
    ]);
  });
});

describe(`state changes (${GUIDE})`, () => {
  it("lists alarms by StateValue with reason and timestamp", async () => {
    await alarm("quiet", { TreatMissingData: "notBreaching" });
    await alarm("loud", { TreatMissingData: "breaching" });

    advance(MINUTE);
    const inAlarm = await cw.send(new DescribeAlarmsCommand({ StateValue: "ALARM" }));

    expect(inAlarm.MetricAlarms?.map((a) => a.AlarmName)).toEqual(["loud"]);
    expect(inAlarm.MetricAlarms?.[0]).toMatchObject({
      StateReason:
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].",
      StateUpdatedTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 1)),
    });
    expect(JSON.parse(inAlarm.MetricAlarms?.[0]?.StateReasonData ?? "{}")).toMatchObject({
      version: "1.0",
      period: 300,
    });
  });

  it("publishes CloudWatch's notification to the topic of the new state, once per change", async () => {
    await alarm("failures", {
      Statistic: "Sum",
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
      AlarmDescription: "any failure",
      Dimensions: [{ Name: "Server", Value: "i-1" }],
    });
    advance(MINUTE);
    await put("failures", 2, now() + 1000, [{ Name: "Server", Value: "i-1" }]);

    advance(MINUTE);
    advance(MINUTE);
    const published = h.emulator.published();
    const last = published.at(-1);

    expect(published.map((m) => m.subject)).toEqual([
      'OK: "failures" in US East (N. Virginia)',
      'ALARM: "failures" in US East (N. Virginia)',
    ]);
    expect(last?.topicArn).toBe(topicArn);
    expect(JSON.parse(last?.message ?? "{}")).toEqual({
      AlarmName: "failures",
      AlarmDescription: "any failure",
      AWSAccountId: "000000000000",
      AlarmConfigurationUpdatedTimestamp: "2026-01-01T00:00:00.000+0000",
      NewStateValue: "ALARM",
      NewStateReason:
        "Threshold Crossed: 1 out of the last 1 datapoints [2.0 (31/12/25 23:57:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).",
      StateChangeTime: "2026-01-01T00:02:00.000+0000",
      Region: "US East (N. Virginia)",
      AlarmArn: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:failures",
      OldStateValue: "OK",
      OKActions: [topicArn],
      AlarmActions: [topicArn],
      InsufficientDataActions: [],
      Trigger: {
        MetricName: "failures",
        Namespace: "Test",
        StatisticType: "Statistic",
        Statistic: "SUM",
        Unit: null,
        Dimensions: [{ value: "i-1", name: "Server" }],
        Period: 300,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        Threshold: 1,
        TreatMissingData: "notBreaching",
        EvaluateLowSampleCountPercentile: "",
      },
    });
  });

  it("runs no actions when ActionsEnabled is false", async () => {
    await alarm("muted", { ActionsEnabled: false, TreatMissingData: "breaching" });

    advance(MINUTE);

    expect((await describe_("muted")).StateValue).toBe("ALARM");
    expect(h.emulator.published()).toEqual([]);
  });
});

describe(`PutMetricAlarm parameter rules (${API})`, () => {
  it.each([
    ["a Period that is not 10, 20, 30 or a multiple of 60", { Period: 90 }, "InvalidParameterValueException"],
    [
      "more than 7 days of evaluation",
      { Period: 3600, EvaluationPeriods: 169 },
      "InvalidParameterValueException",
    ],
    [
      "more than 1 day below one-hour periods",
      { Period: 300, EvaluationPeriods: 289 },
      "InvalidParameterValueException",
    ],
    [
      "DatapointsToAlarm above EvaluationPeriods",
      { EvaluationPeriods: 2, DatapointsToAlarm: 3 },
      "InvalidParameterValueException",
    ],
    ["an unknown TreatMissingData", { TreatMissingData: "sometimes" }, "InvalidParameterValueException"],
  ] as const)("refuses %s", async (_label, props, code) => {
    const error = await failure(alarm("bad", props as Partial<PutMetricAlarmCommandInput>));

    expect(error.name).toBe(code);
  });
});
