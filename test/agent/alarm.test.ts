/**
 * Each server's own missed-backup alarm, created by `agent install`, evaluated by the embedded
 * CloudWatch on a virtual clock: OK while the agent reports, ALARM once it has not reported for
 * missedBackupHours, with the notification on the stack's topic.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { agentAlarmName } from "../../lib/agent/alarm";
import { type Emulator, startEmulator } from "../../local/aws/server";
import { VirtualClock } from "../../local/clock";
import { agentWorld, backupAt, CREDENTIALS, cli, createBucket, resticAvailable } from "./helpers";

const describeWithRestic = resticAvailable() ? describe : describe.skip;
const HOUR_MS = 3_600_000;

describeWithRestic("a server's missed-backup alarm", () => {
  let emulator: Emulator<VirtualClock>;
  let clock: VirtualClock;
  beforeAll(async () => {
    clock = new VirtualClock(Math.floor(Date.now() / HOUR_MS) * HOUR_MS);
    emulator = await startEmulator({ clock, quotas: false });
    await createBucket(emulator);
  });
  afterAll(() => emulator.stop());

  it("stays OK while the agent reports and goes to ALARM after missedBackupHours without a report", async () => {
    // Prepare: the stack's topic, and a server whose config names it.
    const sns = new SNSClient({ region: "us-east-1", endpoint: emulator.endpoint, credentials: CREDENTIALS });
    const topicArn =
      (await sns.send(new CreateTopicCommand({ Name: "snapfleet-dev-alarms" }))).TopicArn ?? "";
    const world = agentWorld(emulator, {
      server: "onprem-9",
      paths: [],
      overrides: { alarmTopicArn: topicArn, missedBackupHours: 3 },
    });
    const source = path.join(world.dir, "data");
    mkdirSync(source);
    writeFileSync(path.join(source, "a"), "a");
    writeFileSync(world.configFile, JSON.stringify({ ...world.config, paths: [source] }));
    const cloudwatch = new CloudWatchClient({
      region: "us-east-1",
      endpoint: emulator.endpoint,
      credentials: CREDENTIALS,
    });
    const state = async () =>
      (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [agentAlarmName("onprem-9")] })))
        .MetricAlarms?.[0]?.StateValue;

    // Act: install, back up now, then let 2 and 6 hours pass without another run. CloudWatch looks at
    // a range somewhat longer than the 3 evaluation periods when data is missing, so the alarm
    // fires between 3 and 6 hours after the last report (the embedded CloudWatch models the range).
    const installed = await cli(
      ["agent", "install", "--config", world.configFile, "--unit-dir", path.join(world.dir, "units")],
      world.env,
    );
    await backupAt(world, clock.now());
    clock.advance(2 * HOUR_MS);
    emulator.evaluateAlarms();
    const afterTwoHours = await state();
    clock.advance(4 * HOUR_MS);
    emulator.evaluateAlarms();
    const afterSixHours = await state();

    // Assert
    expect([installed.code, installed.stderr]).toEqual([
      0,
      expect.stringContaining(`alarm ${agentAlarmName("onprem-9")}`),
    ]);
    expect(afterTwoHours).toBe("OK");
    expect(afterSixHours).toBe("ALARM");
    const notices = emulator
      .published()
      .filter((m) => m.topicArn === topicArn)
      .map((m) => JSON.parse(m.message) as { AlarmName: string; NewStateValue: string });
    expect(notices.at(-1)).toMatchObject({ AlarmName: agentAlarmName("onprem-9"), NewStateValue: "ALARM" });
    cloudwatch.destroy();
    sns.destroy();
  }, 120_000);
});
