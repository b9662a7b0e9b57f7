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
import { toTagList, toTagMap } from "../lib/tags";
import type { VirtualClock } from "../local/clock";
import { localConfig, runBackupCycle } from "../local/cycle";
import { buildFleet, MODE_MIX, seededRandom, startBenchAws } from "./fleet";

/**
 * `npm run soak [-- --json]`: the chaos soak. 200 volumes, 30 simulated daily runs, 10% transient
 * faults on every EC2, CloudWatch and SNS call (throttling, 500s, dropped connections whose work
 * was half the time done anyway). On some days a manual run starts while the scheduled one is
 * still copying; 3% of the per-volume steps and server reports are killed after their AWS calls
 * answered (Lambda.Unknown); a foreign tool keeps creating snapshots that carry snapfleet's tags but are of
 * another volume. Afterwards it checks, and exits 1 unless all hold: every drive of every run got
 * a completed snapshot and DR copy; no unmanaged or foreign snapshot was deleted; what is left of
 * snapfleet's snapshots is exactly what the policy keeps (its own reckoning below), nothing more
 * and nothing less; no run made two snapshots or copies of one volume.
 */
const DAYS = 30;
const VOLUMES = 200;
const REGION = "us-east-1";
const DR_REGION = "us-west-2";
const POLICY = "1"; // the bench fleet's Retention tag: keep the newest snapshot of each of the last day
/** Days on which a manual run starts while the scheduled one is still copying (never the last). */
const OVERLAP_DAYS = new Set([4, 11, 19]);
/** Days on which the foreign tool adds snapshots carrying snapfleet's tags. */
const FOREIGN_DAYS = new Set([2, 9, 17, 25]);
/** Share of Lambda task attempts killed after their handler ran (its AWS calls answered). */
const CRASH_RATE = 0.03;

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

/**
 * Another tool snapshots an instance's root volume and tags it as snapfleet's snapshot of the
 * instance's data volume (its EC2 VolumeId says otherwise): snapfleet must never delete it.
 */
async function foreignSnapshots(ec2: EC2Client, clock: VirtualClock, count: number): Promise<string[]> {
  const ids: string[] = [];
  const described = await patiently(clock, () =>
    ec2.send(new DescribeInstancesCommand({ MaxResults: 1000 })),
  );
  for (const r of described.Reservations ?? []) {
    for (const i of r.Instances ?? []) {
      const [root, data] = (i.BlockDeviceMappings ?? []).map((m) => m.Ebs?.VolumeId ?? "");
      if (!root || !data || ids.length >= count) continue;
      const tags = {
        "snapfleet:managed": "true",
        "snapfleet:instance-id": i.InstanceId ?? "",
        "snapfleet:device": "/dev/sdf",
        "snapfleet:volume-id": data,
        "snapfleet:run": "foreign-tool",
      };
      const s = await patiently(clock, () =>
        ec2.send(
          new CreateSnapshotCommand({
            VolumeId: root,
            Description: "foreign tool",
            TagSpecifications: [
              {
                ResourceType: "snapshot",
                Tags: toTagList(tags),
              },
            ],
          }),
        ),
      );
      ids.push(s.SnapshotId ?? "");
      clock.advance(1000);
    }
  }
  return ids;
}

/**
 * The soak's own reckoning of what Retention=1 leaves, independent of lib/retention: the newest
 * snapshot of each of the last 1 day that has snapshots is the newest one there is, per volume.
 */
function expectedLeft(made: Map<string, { id: string; start: number }[]>): Set<string> {
  const keep = new Set<string>();
  for (const snapshots of made.values()) {
    const newest = [...snapshots].sort((a, b) => b.start - a.start)[0];
    if (newest) keep.add(newest.id);
  }
  return keep;
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
    await buildFleet(emulator.endpoint, REGION, VOLUMES, clock, MODE_MIX);
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
    let overlappingRuns = 0;
    let crashesInjected = 0;
    const random = seededRandom(2026);
    // Only the per-volume steps, the sets and the server reports: Plan and Summarize are retried as a whole.
    const crash = (task: { fn: string }) => {
      if (!["step", "set", "report"].includes(task.fn) || random() >= CRASH_RATE) return false;
      crashesInjected += 1;
      return true;
    };
    const foreign: string[] = [];
    // Per region and volume, every snapshot snapfleet's runs made (id and start), for the reckoning.
    const made = { [REGION]: new Map(), [DR_REGION]: new Map() } as Record<
      string,
      Map<string, { id: string; start: number }[]>
    >;
    for (let day = 1; day <= DAYS; day += 1) {
      const target = Date.UTC(2026, 0, 1 + day, 3);
      if (clock.nowMs() < target) clock.advance(target - clock.nowMs());
      if (FOREIGN_DAYS.has(day)) foreign.push(...(await foreignSnapshots(admin(REGION), clock, 10)));
      const runs = [runBackupCycle(config, clock, { crash })];
      if (OVERLAP_DAYS.has(day)) {
        // The manual run starts once half the scheduled run's snapshots completed: its copies are queued.
        const completedToday = async () =>
          (await listAll(admin(REGION), clock)).filter(
            (s) => s.State === "completed" && (s.StartTime?.getTime() ?? 0) >= target,
          ).length;
        while ((await completedToday()) < VOLUMES / 2) await clock.sleep(30_000);
        runs.push(runBackupCycle(config, clock, { crash }));
        overlappingRuns += 1;
      }
      for (const { outcome, drives } of await Promise.all(runs)) {
        for (const d of drives) {
          const okPrimary = d.snapshotState === "completed";
          const okDr = okPrimary && d.drSnapshotId !== null && d.status === "ok";
          missingRecoveryPoints += (okPrimary ? 0 : 1) + (okDr ? 0 : 1);
          // Diagnostics on stderr: which drive, and why (stdout stays the report).
          if (!okDr) process.stderr.write(`soak: day ${day}: ${d.host} ${d.device}: ${d.reason}\n`);
        }
        for (const region of [REGION, DR_REGION]) {
          const ofRun = (await listAll(admin(region), clock)).filter(
            (s) => toTagMap(s.Tags)["snapfleet:run"] === outcome.runId,
          );
          const perVolume = new Map<string, number>();
          for (const s of ofRun) {
            const v = toTagMap(s.Tags)["snapfleet:volume-id"] ?? "";
            perVolume.set(v, (perVolume.get(v) ?? 0) + 1);
            if (s.State !== "completed") continue;
            const list = made[region]?.get(v) ?? [];
            list.push({ id: s.SnapshotId ?? "", start: s.StartTime?.getTime() ?? 0 });
            made[region]?.set(v, list);
          }
          for (const n of perVolume.values()) duplicateSnapshots += n - 1;
        }
        if (!json) process.stderr.write(`soak: day ${day}: ${outcome.subject}\n`);
      }
    }

    const faultsInjected = emulator.faultStats().injected;
    emulator.setFaults(undefined);
    let outOfPolicyDeleted = 0;
    let notPruned = 0;
    const primary = await listAll(admin(REGION), clock);
    for (const region of [REGION, DR_REGION]) {
      const left = new Set(
        (region === REGION ? primary : await listAll(admin(region), clock)).map((s) => s.SnapshotId),
      );
      const byRuns = made[region] ?? new Map();
      const expected = expectedLeft(byRuns);
      for (const id of expected) if (!left.has(id)) outOfPolicyDeleted += 1;
      for (const snapshots of byRuns.values()) {
        for (const { id } of snapshots) if (left.has(id) && !expected.has(id)) notPruned += 1;
      }
    }
    const primaryIds = new Set(primary.map((s) => s.SnapshotId));
    const unmanagedDeleted = unmanaged.filter((id) => !primaryIds.has(id)).length;
    const foreignDeleted = foreign.filter((id) => !primaryIds.has(id)).length;
    const report = {
      days: DAYS,
      volumes: VOLUMES,
      faultsInjected,
      overlappingRuns,
      crashesInjected,
      foreignSnapshots: foreign.length,
      missingRecoveryPoints,
      unmanagedDeleted,
      foreignDeleted,
      outOfPolicyDeleted,
      duplicateSnapshots,
      notPruned,
    };
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${JSON.stringify(report)}\n`);
    const holds =
      missingRecoveryPoints === 0 &&
      unmanagedDeleted === 0 &&
      foreignDeleted === 0 &&
      outOfPolicyDeleted === 0 &&
      duplicateSnapshots === 0 &&
      notPruned === 0;
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
