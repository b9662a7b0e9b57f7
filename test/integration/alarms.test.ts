import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
} from "@aws-sdk/client-cloudwatch";
import { awsDeps, silentLog } from "../../lib/deps";
import { DEFAULT_NAMESPACE, FLEET_METRICS } from "../../lib/metric-names";
import { fleetMetrics, putMetrics, reportRunStarted } from "../../lib/metrics";
import { runBackupCycle } from "../../local/cycle";
import { DAY_MS, launchInstance, startTestAws, type TestAws } from "../helpers/aws";

/**
 * The stack's alarms, installed from the packaged template on the embedded AWS, evaluated by it
 * against the metrics a real run publishes (issue 4).
 */
async function alarmStates(aws: TestAws): Promise<Record<string, string>> {
  aws.emulator.evaluateAlarms();
  const cw = new CloudWatchClient({
    region: "us-east-1",
    endpoint: aws.emulator.endpoint,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const described = await cw.send(new DescribeAlarmsCommand({}));
  return Object.fromEntries(
    (described.MetricAlarms ?? []).map((a) => [
      (a.AlarmName ?? "").replace("snapfleet-dev-", ""),
      a.StateValue ?? "",
    ]),
  );
}

const digests = (aws: TestAws) =>
  aws.emulator.published().filter((m) => {
    try {
      return !("AlarmName" in (JSON.parse(m.message) as object));
    } catch {
      return true;
    }
  });

/** The missed-run alarm's notifications on the topic, oldest first. */
function missedRunNotices(aws: TestAws): { NewStateValue: string }[] {
  return aws.emulator
    .published()
    .map((m) => {
      try {
        return JSON.parse(m.message) as { AlarmName?: string; NewStateValue: string };
      } catch {
        return undefined;
      }
    })
    .filter(
      (n): n is { AlarmName: string; NewStateValue: string } => n?.AlarmName === "snapfleet-dev-missed-run",
    );
}

async function run(aws: TestAws) {
  const result = await runBackupCycle(aws.config(), aws.clock);
  aws.clock.advance(5 * 60_000);
  return result;
}

describe("alarms on the embedded AWS", () => {
  let aws: TestAws;
  afterEach(() => aws?.stop());

  it("leaves every alarm OK after a clean run", async () => {
    aws = await startTestAws(Date.UTC(2026, 0, 1, 3), { alarms: true });
    await launchInstance(aws, { tags: { Name: "ok", Backup: "true" } });

    await run(aws);

    expect(await alarmStates(aws)).toEqual({
      "consistency-fallback": "OK",
      "dr-lag": "OK",
      "elapsed-time": "OK",
      "executions-failed": "OK",
      "executions-timed-out": "OK",
      "missed-run": "OK",
      "volumes-failed": "OK",
    });
  });

  it("raises the failed-drive alarm for one injected failure, with exactly one digest naming server and drive", async () => {
    aws = await startTestAws(Date.UTC(2026, 0, 1, 3), { alarms: true });
    const broken = await launchInstance(aws, {
      tags: { Name: "db", Backup: "true" },
      volumes: [{ device: "/dev/sdg", size: 10, tags: { "emulator:snapshot-result": "error" } }],
    });

    await run(aws);

    const states = await alarmStates(aws);
    expect(states["volumes-failed"]).toBe("ALARM");
    expect(states["elapsed-time"]).toBe("OK");
    expect(digests(aws)).toHaveLength(1);
    expect(digests(aws)[0]?.message).toContain(
      `- db (${broken.instanceId}) /dev/sdg ${broken.volumes["/dev/sdg"]}:`,
    );
  });

  it("raises the elapsed-time alarm when a snapshot takes longer than the threshold", async () => {
    aws = await startTestAws(Date.UTC(2026, 0, 1, 3), { alarms: true });
    // 60 s + 5 s per GiB on the embedded AWS: 800 GiB takes 4,060 s, over the default 3,600 s.
    await launchInstance(aws, {
      tags: { Name: "big", Backup: "true" },
      volumes: [{ device: "/dev/sdf", size: 800 }],
    });

    await run(aws);

    const states = await alarmStates(aws);
    expect(states["elapsed-time"]).toBe("ALARM");
    expect(states["volumes-failed"]).toBe("OK");
  });

  it("reports the missed run (INSUFFICIENT_DATA, notified) when a day passes without a run", async () => {
    aws = await startTestAws(Date.UTC(2026, 0, 1, 3), { alarms: true });
    await launchInstance(aws, { tags: { Name: "ok", Backup: "true" } });
    await run(aws);
    expect((await alarmStates(aws))["missed-run"]).toBe("OK");

    aws.clock.advance(2 * DAY_MS);

    expect((await alarmStates(aws))["missed-run"]).toBe("INSUFFICIENT_DATA");
    expect(missedRunNotices(aws).map((n) => n.NewStateValue)).toEqual(["OK", "INSUFFICIENT_DATA"]);
  });
});

/**
 * The missed-run alarm is driven by the datapoint each run sends as it starts (issue 13): how long a
 * run takes does not move it, and a new stack says nothing before its first run.
 */
describe("the missed-run alarm", () => {
  let aws: TestAws;
  afterEach(() => aws?.stop());

  it("counts the RunStarted datapoint a run sends, stamped with the run's start", async () => {
    const start = Date.UTC(2026, 0, 1, 3);
    aws = await startTestAws(start, { alarms: true });
    await launchInstance(aws, { tags: { Name: "ok", Backup: "true" } });

    await run(aws);
    const cw = new CloudWatchClient({
      region: "us-east-1",
      endpoint: aws.emulator.endpoint,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const stats = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: DEFAULT_NAMESPACE,
        MetricName: FLEET_METRICS.RunStarted.name,
        StartTime: new Date(start - 3_600_000),
        EndTime: new Date(aws.clock.nowMs()),
        Period: 60,
        Statistics: ["SampleCount"],
      }),
    );

    expect(stats.Datapoints?.map((d) => [d.Timestamp?.toISOString(), d.SampleCount])).toEqual([
      ["2026-01-01T03:00:00.000Z", 1],
    ]);
  });

  it("says nothing after a deploy until the first run, then OK", async () => {
    // Deployed at 07:00; the schedule's first run is at 03:00 the next day, 20 hours later.
    aws = await startTestAws(Date.UTC(2026, 0, 1, 7), { alarms: true });
    await launchInstance(aws, { tags: { Name: "ok", Backup: "true" } });
    for (let hour = 0; hour < 20; hour++) {
      aws.clock.advance(3_600_000);
      expect((await alarmStates(aws))["missed-run"]).toBe("INSUFFICIENT_DATA");
    }

    await run(aws);

    expect((await alarmStates(aws))["missed-run"]).toBe("OK");
    expect(missedRunNotices(aws).map((n) => n.NewStateValue)).toEqual(["OK"]);
  });

  it("stays OK through a week of runs that take 14 hours one day and 10 the next (28 hours between two ends)", async () => {
    const day1 = Date.UTC(2026, 0, 1, 3);
    aws = await startTestAws(day1, { alarms: true });
    const config = aws.config();
    const deps = awsDeps(config, aws.clock, silentLog);
    const states = new Set<string>();

    for (let day = 0; day < 7; day++) {
      aws.clock.advance(day1 + day * DAY_MS - aws.clock.nowMs());
      await reportRunStarted(config.metricNamespace, deps); // what Plan sends at 03:00
      const hours = day % 2 === 0 ? 10 : 14;
      const end = day1 + day * DAY_MS + hours * 3_600_000;
      while (aws.clock.nowMs() < end) {
        aws.clock.advance(3_600_000);
        states.add((await alarmStates(aws))["missed-run"] ?? "");
      }
      const figures = {
        volumesBackedUp: 10_000,
        volumesFailed: 0,
        maxElapsedSeconds: 600,
        drLagSeconds: 3_600,
        consistencyFallbacks: 0,
      };
      await putMetrics(
        config.metricNamespace,
        fleetMetrics({ ...figures, runDurationSeconds: hours * 3600 }, aws.clock.now()),
        deps,
      );
    }
    // Up to the next run's start (and its grace hour): still OK.
    while (aws.clock.nowMs() < day1 + 7 * DAY_MS + 3_600_000) {
      aws.clock.advance(3_600_000);
      states.add((await alarmStates(aws))["missed-run"] ?? "");
    }

    expect([...states]).toEqual(["OK"]);
    expect(missedRunNotices(aws).map((n) => n.NewStateValue)).toEqual(["OK"]);
  });
});
