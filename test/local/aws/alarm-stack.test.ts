/**
 * The stack's alarms, installed from the packaged template on the embedded AWS, against the metrics
 * a backup run publishes. Alarm evaluation:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type MetricAlarm,
  type MetricDatum,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  DEFAULT_NAMESPACE,
  DIMENSION_DRIVE,
  DIMENSION_SERVER,
  DRIVE_METRICS,
  FLEET_METRICS,
} from "../../../lib/metric-names";
import { EXTRA_RANGE_PERIODS } from "../../../local/aws/cloudwatch/alarm-rules";
import { type Emulator, startEmulator } from "../../../local/aws/server";
import { VirtualClock } from "../../../local/clock";
import {
  alarmRequest,
  type CfnTemplate,
  defaultPhysicalIds,
  installStackAlarms,
  loadPackagedTemplate,
  type PhysicalIds,
  resolveParameters,
  stackAlarmIds,
} from "../../../local/stack";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const credentials = { accessKeyId: "admin", secretAccessKey: "x" };

let template: CfnTemplate;
beforeAll(async () => {
  template = await loadPackagedTemplate();
}, 180_000);

let emulator: Emulator;
let clock: VirtualClock;
let cw: CloudWatchClient;
let topicArn: string;
let ids: PhysicalIds;

beforeEach(async () => {
  clock = new VirtualClock(Date.UTC(2026, 0, 1, 3));
  emulator = await startEmulator({ clock });
  const config = { endpoint: emulator.endpoint, region: "us-east-1", credentials, maxAttempts: 1 };
  cw = new CloudWatchClient(config);
  topicArn =
    (await new SNSClient(config).send(new CreateTopicCommand({ Name: "snapfleet-dev-alarms" }))).TopicArn ??
    "";
  ids = {
    ...defaultPhysicalIds(template),
    AlarmTopic: topicArn,
    BackupStateMachine: "arn:aws:states:us-east-1:000000000000:stateMachine:snapfleet-dev-backup",
  };
  await installStackAlarms(template, ids, emulator.endpoint, { credentials });
});
afterEach(() => emulator.stop());

/** The installed alarm that watches `metricName`, found through the template (never by a copied name). */
function alarmOn(metricName: string): string {
  const id = stackAlarmIds(template, ids).find(
    (i) => alarmRequest(template, i, ids).MetricName === metricName,
  );
  if (id === undefined) throw new Error(`no alarm on ${metricName} in the template`);
  return alarmRequest(template, id, ids).AlarmName as string;
}

async function state(metricName: string): Promise<MetricAlarm> {
  const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [alarmOn(metricName)] }));
  return out.MetricAlarms?.[0] as MetricAlarm;
}

function advance(ms: number): void {
  clock.advance(ms);
  emulator.evaluateAlarms();
}

const notifications = () =>
  emulator.published().map((m) => JSON.parse(m.message) as { AlarmName: string; NewStateValue: string });

/** What a run publishes: per-drive Errors (and ElapsedTime), then the fleet-level figures. */
async function publishRun(run: {
  backedUp: number;
  failed: number;
  maxElapsedSeconds: number;
}): Promise<void> {
  const at = clock.now();
  const drive = (i: number) => [
    { Name: DIMENSION_SERVER, Value: `i-${i}` },
    { Name: DIMENSION_DRIVE, Value: "/dev/xvda" },
  ];
  const drives: MetricDatum[] = Array.from({ length: run.backedUp + run.failed }, (_, i) => ({
    MetricName: DRIVE_METRICS.Errors.name,
    Unit: "Count",
    Value: i < run.failed ? 1 : 0,
    Dimensions: drive(i),
    Timestamp: at,
  }));
  const fleet: [string, number][] = [
    [FLEET_METRICS.RunStarted.name, 1],
    [FLEET_METRICS.VolumesBackedUp.name, run.backedUp],
    [FLEET_METRICS.VolumesFailed.name, run.failed],
    [FLEET_METRICS.MaxElapsedTime.name, run.maxElapsedSeconds],
    [FLEET_METRICS.RunDuration.name, run.maxElapsedSeconds + 60],
  ];
  await cw.send(
    new PutMetricDataCommand({
      Namespace: DEFAULT_NAMESPACE,
      MetricData: [...drives, ...fleet.map(([MetricName, Value]) => ({ MetricName, Value, Timestamp: at }))],
    }),
  );
}

describe("the stack's alarms on the embedded AWS", () => {
  it("go to ALARM on a run with a failed drive, and notify the topic", async () => {
    advance(MINUTE);

    await publishRun({ backedUp: 3, failed: 1, maxElapsedSeconds: 120 });
    advance(MINUTE);

    expect((await state(FLEET_METRICS.VolumesFailed.name)).StateValue).toBe("ALARM");
    expect(notifications()).toContainEqual(
      expect.objectContaining({
        AlarmName: alarmOn(FLEET_METRICS.VolumesFailed.name),
        NewStateValue: "ALARM",
      }),
    );
    expect(emulator.published().every((m) => m.topicArn === topicArn)).toBe(true);
  });

  it("go to ALARM when MaxElapsedTime exceeds ElapsedTimeThresholdSeconds", async () => {
    const threshold = Number(resolveParameters(template).ElapsedTimeThresholdSeconds);

    await publishRun({ backedUp: 2, failed: 0, maxElapsedSeconds: threshold + 1 });
    advance(MINUTE);

    expect((await state(FLEET_METRICS.MaxElapsedTime.name)).StateValue).toBe("ALARM");
    expect((await state(FLEET_METRICS.VolumesFailed.name)).StateValue).toBe("OK");
  });

  it("report INSUFFICIENT_DATA (the missed-run alarm's alarm) when no run started within MissedRunWindowHours", async () => {
    const windowHours = Number(resolveParameters(template).MissedRunWindowHours);
    const runAt = clock.nowMs();
    await publishRun({ backedUp: 2, failed: 0, maxElapsedSeconds: 60 });
    advance(MINUTE);
    const afterRun = (await state(FLEET_METRICS.RunStarted.name)).StateValue;

    advance((windowHours - 1) * HOUR);
    const withinWindow = (await state(FLEET_METRICS.RunStarted.name)).StateValue;
    advance((EXTRA_RANGE_PERIODS + 2) * HOUR);
    const missed = await state(FLEET_METRICS.RunStarted.name);

    expect([afterRun, withinWindow, missed.StateValue]).toEqual(["OK", "OK", "INSUFFICIENT_DATA"]);
    // The run's datapoint counts while it is in the evaluation range (window + 2 periods).
    expect(missed.StateUpdatedTimestamp).toEqual(
      new Date(runAt + (windowHours + EXTRA_RANGE_PERIODS) * HOUR + MINUTE),
    );
    expect(notifications().at(-1)).toMatchObject({
      AlarmName: alarmOn(FLEET_METRICS.RunStarted.name),
      NewStateValue: "INSUFFICIENT_DATA",
    });
  });

  it("stay OK after a clean run", async () => {
    await publishRun({ backedUp: 5, failed: 0, maxElapsedSeconds: 90 });

    advance(MINUTE);
    advance(2 * HOUR);

    for (const metric of [
      FLEET_METRICS.VolumesFailed,
      FLEET_METRICS.MaxElapsedTime,
      FLEET_METRICS.RunStarted,
    ]) {
      expect([metric.name, (await state(metric.name)).StateValue]).toEqual([metric.name, "OK"]);
    }
    expect(notifications().map((n) => n.NewStateValue)).not.toContain("ALARM");
  });

  it("are all installed from the template, actions on the emulator's topic", async () => {
    const out = await cw.send(new DescribeAlarmsCommand({}));

    expect(out.MetricAlarms?.map((a) => a.AlarmName).sort()).toEqual(
      stackAlarmIds(template, ids)
        .map((id) => alarmRequest(template, id, ids).AlarmName)
        .sort(),
    );
    for (const a of out.MetricAlarms ?? []) expect(a.AlarmActions).toEqual([topicArn]);
  });
});
