import {
  type CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { type Harness, startHarness } from "./harness";

const API = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference";

let h: Harness;
let cw: CloudWatchClient;

beforeEach(async () => {
  h = await startHarness();
  cw = h.cloudwatch();
});
afterEach(() => h.emulator.stop());

const t0 = new Date(Date.UTC(2026, 0, 1));
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const dims = [
  { Name: "InstanceId", Value: "i-1" },
  { Name: "Device", Value: "/dev/xvda" },
];

describe(`PutMetricData → GetMetricStatistics over awsJson1_0 (${API}/API_PutMetricData.html, ${API}/API_GetMetricStatistics.html)`, () => {
  it("aggregates datapoints per period for the exact dimension set", async () => {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "Snapfleet",
        MetricData: [
          { MetricName: "SnapshotSeconds", Dimensions: dims, Timestamp: at(10), Value: 100, Unit: "Seconds" },
          { MetricName: "SnapshotSeconds", Dimensions: dims, Timestamp: at(20), Value: 300, Unit: "Seconds" },
          {
            MetricName: "SnapshotSeconds",
            Dimensions: dims,
            Timestamp: at(70),
            Values: [1, 2],
            Counts: [1, 3],
            Unit: "Seconds",
          },
          {
            MetricName: "SnapshotSeconds",
            Dimensions: [{ Name: "InstanceId", Value: "i-1" }],
            Timestamp: at(10),
            Value: 9999,
          },
        ],
      }),
    );

    const out = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: "Snapfleet",
        MetricName: "SnapshotSeconds",
        Dimensions: [...dims].reverse(),
        StartTime: t0,
        EndTime: at(120),
        Period: 60,
        Statistics: ["Sum", "Average", "Maximum", "SampleCount"],
      }),
    );

    expect(out.Label).toBe("SnapshotSeconds");
    expect(out.Datapoints).toEqual([
      { Timestamp: t0, Sum: 400, Average: 200, Maximum: 300, SampleCount: 2, Unit: "Seconds" },
      { Timestamp: at(60), Sum: 7, Average: 1.75, Maximum: 2, SampleCount: 4, Unit: "Seconds" },
    ]);
    expect(h.emulator.metrics()[0]).toEqual({
      region: "us-east-1",
      namespace: "Snapfleet",
      metricName: "SnapshotSeconds",
      dimensions: { InstanceId: "i-1", Device: "/dev/xvda" },
      timestamp: at(10),
      value: 100,
      unit: "Seconds",
    });
  });

  it("stamps datapoints without a Timestamp with the emulator clock", async () => {
    h.clock.advance(3_600_000);

    await cw.send(
      new PutMetricDataCommand({ Namespace: "Snapfleet", MetricData: [{ MetricName: "Runs", Value: 1 }] }),
    );

    expect(h.emulator.metrics()[0]?.timestamp).toEqual(at(3600));
  });
});

describe("ListMetrics and GetMetricData", () => {
  it(`lists metrics by namespace, name and dimension (${API}/API_ListMetrics.html)`, async () => {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "Snapfleet",
        MetricData: [
          { MetricName: "A", Dimensions: dims, Value: 1 },
          { MetricName: "A", Dimensions: dims, Value: 2 },
          { MetricName: "B", Dimensions: [{ Name: "InstanceId", Value: "i-2" }], Value: 1 },
        ],
      }),
    );

    const all = await cw.send(new ListMetricsCommand({ Namespace: "Snapfleet" }));
    const i1 = await cw.send(new ListMetricsCommand({ Dimensions: [{ Name: "InstanceId", Value: "i-1" }] }));

    expect(all.Metrics?.map((m) => m.MetricName)).toEqual(["A", "B"]);
    expect(i1.Metrics).toEqual([{ Namespace: "Snapfleet", MetricName: "A", Dimensions: [dims[1], dims[0]] }]);
  });

  it(`answers MetricStat queries newest first (${API}/API_GetMetricData.html)`, async () => {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "Snapfleet",
        MetricData: [
          { MetricName: "A", Timestamp: at(0), Value: 1 },
          { MetricName: "A", Timestamp: at(300), Value: 5 },
        ],
      }),
    );

    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: t0,
        EndTime: at(600),
        MetricDataQueries: [
          {
            Id: "a",
            MetricStat: { Metric: { Namespace: "Snapfleet", MetricName: "A" }, Period: 300, Stat: "Sum" },
          },
        ],
      }),
    );

    expect(out.MetricDataResults?.[0]).toMatchObject({
      Id: "a",
      Timestamps: [at(300), t0],
      Values: [5, 1],
      StatusCode: "Complete",
    });
  });
});

describe(`alarms are stored (${API}/API_PutMetricAlarm.html)`, () => {
  it("puts, describes and deletes a metric alarm", async () => {
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: "backup-failures",
        Namespace: "Snapfleet",
        MetricName: "Failures",
        Statistic: "Sum",
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        AlarmActions: ["arn:aws:sns:us-east-1:000000000000:alerts"],
      }),
    );

    const described = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ["backup-failures"] }));
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ["backup-failures"] }));
    const after = await cw.send(new DescribeAlarmsCommand({}));

    expect(described.MetricAlarms?.[0]).toMatchObject({
      AlarmName: "backup-failures",
      StateValue: "INSUFFICIENT_DATA",
      Threshold: 1,
      AlarmActions: ["arn:aws:sns:us-east-1:000000000000:alerts"],
    });
    expect(after.MetricAlarms).toEqual([]);
  });
});

describe("awsQuery, as the AWS CLI speaks it", () => {
  const form = (params: Record<string, string>) =>
    fetch(h.emulator.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        authorization:
          "AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/monitoring/aws4_request, SignedHeaders=host, Signature=x",
      },
      body: new URLSearchParams({ Version: "2010-08-01", ...params }).toString(),
    });

  it("accepts a form-encoded PutMetricData and answers GetMetricStatistics in XML", async () => {
    const put = await form({
      Action: "PutMetricData",
      Namespace: "Snapfleet",
      "MetricData.member.1.MetricName": "Bytes",
      "MetricData.member.1.Value": "42",
      "MetricData.member.1.Unit": "Bytes",
      "MetricData.member.1.Timestamp": "2026-01-01T00:00:30Z",
      "MetricData.member.1.Dimensions.member.1.Name": "VolumeId",
      "MetricData.member.1.Dimensions.member.1.Value": "vol-1",
    });

    const stats = await form({
      Action: "GetMetricStatistics",
      Namespace: "Snapfleet",
      MetricName: "Bytes",
      "Dimensions.member.1.Name": "VolumeId",
      "Dimensions.member.1.Value": "vol-1",
      StartTime: "2026-01-01T00:00:00Z",
      EndTime: "2026-01-01T01:00:00Z",
      Period: "3600",
      "Statistics.member.1": "Sum",
    });
    const xml = await stats.text();
    const sdkView = await h.cloudwatch("eu-west-1").send(new ListMetricsCommand({ Namespace: "Snapfleet" }));

    expect(put.status).toBe(200);
    expect(await put.text()).toContain(
      '<PutMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">',
    );
    expect(xml).toContain("<GetMetricStatisticsResult><Label>Bytes</Label><Datapoints><member>");
    expect(xml).toContain("<Sum>42</Sum>");
    expect(sdkView.Metrics?.[0]?.Dimensions).toEqual([{ Name: "VolumeId", Value: "vol-1" }]);
    expect(h.emulator.metrics()[0]).toMatchObject({ region: "eu-west-1", value: 42, unit: "Bytes" });
  });

  it("answers an unknown action with an XML ErrorResponse", async () => {
    const res = await form({ Action: "NoSuchThing" });

    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<Code>InvalidAction</Code>");
  });
});

describe("errors over awsJson1_0", () => {
  it("maps the query error code to the modeled exception for a reserved AWS/ namespace", async () => {
    const err = await cw
      .send(new PutMetricDataCommand({ Namespace: "AWS/EC2", MetricData: [{ MetricName: "X", Value: 1 }] }))
      .catch((e: { name: string; $metadata?: { httpStatusCode?: number } }) => e);

    expect(err).toMatchObject({ name: "InvalidParameterValueException", $metadata: { httpStatusCode: 400 } });
    expect(h.emulator.requests()).toEqual([
      { region: "us-east-1", service: "cloudwatch", action: "PutMetricData" },
    ]);
  });
});
