import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
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

  it("raises the missed-run alarm when a day passes without a run", async () => {
    aws = await startTestAws(Date.UTC(2026, 0, 1, 3), { alarms: true });
    await launchInstance(aws, { tags: { Name: "ok", Backup: "true" } });
    await run(aws);
    expect((await alarmStates(aws))["missed-run"]).toBe("OK");

    aws.clock.advance(2 * DAY_MS);

    expect((await alarmStates(aws))["missed-run"]).toBe("ALARM");
  });
});
