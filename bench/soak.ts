import "./quiet";
import "../local/polyfills";
import {
  CreateSnapshotCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { keptByPolicy, parseRetention } from "../lib/retention";
import { toTagMap } from "../lib/tags";
import type { VirtualClock } from "../local/clock";
import { localConfig, runBackupCycle } from "../local/cycle";
import { buildFleet, startBenchAws } from "./fleet";

/**
 * `npm run soak [-- --json]`: the chaos soak of issue 7. 200 volumes, 30 simulated daily runs,
 * 10% transient faults on every EC2, CloudWatch and SNS call (throttling, 500s, dropped
 * connections whose work was half the time done anyway). Afterwards it checks, and exits 1
 * unless all hold: every drive got a completed snapshot and DR copy every day; no unmanaged
 * snapshot was deleted; what is left is exactly what the retention policy keeps; no run made
 * two snapshots or copies of one volume.
 */
const DAYS = 30;
const VOLUMES = 200;
const REGION = "us-east-1";
const DR_REGION = "us-west-2";
const POLICY = "1"; // the bench fleet's Retention tag: keep the newest snapshot of each of the last day

/** The soak's own checks go through the same quotas and faults; they wait and repeat. */
async function patiently<T>(clock: VirtualClock, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt > 50) throw error;
      clock.advance(2000);
    }
  }
}

async function listAll(ec2: EC2Client, clock: VirtualClock): Promise<Snapshot[]> {
  const all: Snapshot[] = [];
  let NextToken: string | undefined;
  do {
    const token = NextToken;
    const page = await patiently(clock, () =>
      ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], MaxResults: 1000, NextToken: token })),
    );
    all.push(...(page.Snapshots ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return all;
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const { clock, emulator } = await startBenchAws();
  const admin = (region: string) =>
    new EC2Client({
      region,
      endpoint: emulator.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: "admin", secretAccessKey: "admin" },
    });
  try {
    await buildFleet(emulator.endpoint, REGION, VOLUMES, clock);
    const sns = new SNSClient({ region: REGION, endpoint: emulator.endpoint, maxAttempts: 1 });
    const topic = await sns.send(new CreateTopicCommand({ Name: "snapfleet-soak" }));
    const config = localConfig({
      endpoint: emulator.endpoint,
      defaultRetention: POLICY,
      topicArn: topic.TopicArn ?? "",
    });

    // Manual snapshots snapfleet must never touch: one per instance's root volume.
    const unmanaged: string[] = [];
    const described = await admin(REGION).send(new DescribeInstancesCommand({ MaxResults: 1000 }));
    for (const r of described.Reservations ?? []) {
      for (const i of r.Instances ?? []) {
        const volumeId = i.BlockDeviceMappings?.[0]?.Ebs?.VolumeId;
        if (!volumeId || unmanaged.length >= 20) continue;
        clock.advance(1000);
        const s = await admin(REGION).send(
          new CreateSnapshotCommand({ VolumeId: volumeId, Description: "manual" }),
        );
        unmanaged.push(s.SnapshotId ?? "");
      }
    }

    emulator.setFaults({
      seed: 2026,
      rules: [
        { service: "ec2", throttle: 0.04, error: 0.03, timeout: 0.03 },
        { service: "cloudwatch", throttle: 0.05, error: 0.05 },
        { service: "sns", error: 0.1 },
      ],
      timeout: { reset: true, applied: 0.5 },
    });

    let missingRecoveryPoints = 0;
    let duplicateSnapshots = 0;
    const runDays = new Map<string, Date[]>(); // volume → days with a completed snapshot and copy
    for (let day = 1; day <= DAYS; day += 1) {
      const target = Date.UTC(2026, 0, 1 + day, 3);
      if (clock.nowMs() < target) clock.advance(target - clock.nowMs());
      const { outcome, drives } = await runBackupCycle(config, clock);
      for (const d of drives) {
        const okPrimary = d.snapshotState === "completed";
        const okDr = okPrimary && d.drSnapshotId !== null && d.status === "ok";
        missingRecoveryPoints += (okPrimary ? 0 : 1) + (okDr ? 0 : 1);
        if (okPrimary) runDays.set(d.volumeId, [...(runDays.get(d.volumeId) ?? []), new Date(target)]);
      }
      for (const region of [REGION, DR_REGION]) {
        const ofRun = (await listAll(admin(region), clock)).filter(
          (s) => toTagMap(s.Tags)["snapfleet:run"] === outcome.runId,
        );
        const perVolume = new Map<string, number>();
        for (const s of ofRun) {
          const v = toTagMap(s.Tags)["snapfleet:volume-id"] ?? "";
          perVolume.set(v, (perVolume.get(v) ?? 0) + 1);
        }
        for (const n of perVolume.values()) duplicateSnapshots += n - 1;
      }
      if (!json) process.stderr.write(`soak: day ${day}: ${outcome.subject}\n`);
    }

    const faultsInjected = emulator.faultStats().injected;
    emulator.setFaults(undefined);
    const policy = parseRetention(POLICY);
    if (!policy.ok) throw new Error(policy.reason);
    let outOfPolicyDeleted = 0;
    let notPruned = 0;
    const primary = await listAll(admin(REGION), clock);
    for (const region of [REGION, DR_REGION]) {
      const left = region === REGION ? primary : await listAll(admin(region), clock);
      const byVolume = new Map<string, Snapshot[]>();
      for (const s of left) {
        const tags = toTagMap(s.Tags);
        if (tags["snapfleet:managed"] !== "true") continue;
        const v = tags["snapfleet:volume-id"] ?? "";
        byVolume.set(v, [...(byVolume.get(v) ?? []), s]);
      }
      for (const [volumeId, days] of runDays) {
        const expected = keptByPolicy(
          days.map((d) => ({ id: d.toISOString().slice(0, 10), startTime: d })),
          policy.policy,
        );
        const present = new Set(
          (byVolume.get(volumeId) ?? []).map((s) => (s.StartTime as Date).toISOString().slice(0, 10)),
        );
        for (const dayKey of expected) if (!present.has(dayKey)) outOfPolicyDeleted += 1;
        for (const dayKey of present) if (!expected.has(dayKey)) notPruned += 1;
      }
    }
    const primaryIds = new Set(primary.map((s) => s.SnapshotId));
    const unmanagedDeleted = unmanaged.filter((id) => !primaryIds.has(id)).length;
    const report = {
      days: DAYS,
      volumes: VOLUMES,
      faultsInjected,
      missingRecoveryPoints,
      unmanagedDeleted,
      outOfPolicyDeleted,
      duplicateSnapshots,
      notPruned,
    };
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${JSON.stringify(report)}\n`);
    const holds =
      missingRecoveryPoints === 0 &&
      unmanagedDeleted === 0 &&
      outOfPolicyDeleted === 0 &&
      duplicateSnapshots === 0;
    process.exitCode = holds ? 0 : 1;
  } finally {
    await emulator.stop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`soak failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(2);
  },
);
