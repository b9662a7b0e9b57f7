import {
  AttachVolumeCommand,
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { copyDescription } from "../lib/ownership";
import type { VirtualClock } from "./clock";

/**
 * A demo fleet, built through the EC2 API only (RunInstances, CreateVolume, AttachVolume,
 * CreateTags, CreateSnapshot, CopySnapshot), so it runs against the embedded AWS or any
 * AWS-compatible endpoint:
 * - web-1: two volumes, volume tags to carry over;
 * - web-2: Retention=3 with six days of older managed snapshots (some due for pruning, in both
 *   regions) and a manual, unmanaged snapshot that must survive;
 * - db-1: three volumes, one opted out with Backup=false, one whose snapshots end in `error`
 *   (the embedded AWS's `emulator:snapshot-result` tag) to show that a failure stays contained;
 * - pg-1: BackupConsistency=application, two volumes: frozen, one snapshot set, thawed;
 * - mq-1: BackupConsistency=application whose SSM agent fails every command (the embedded AWS's
 *   `emulator:ssm-agent` tag): it falls back to a crash-consistent set and says why;
 * - build-1: no Backup tag, so it is not backed up.
 */
export interface DemoFleet {
  topicArn: string;
  instances: Record<string, string>;
  failingVolumeId: string;
  optedOutVolumeId: string;
  unmanagedSnapshotId: string;
  seededManaged: { region: string; snapshotId: string }[];
}

export interface DemoOptions {
  endpoint: string;
  region: string;
  drRegion: string;
  /** With a virtual clock, history is seeded over past days; without, all of it is "now". */
  clock?: VirtualClock | undefined;
}

const DAY_MS = 86_400_000;
export const EMULATOR_SNAPSHOT_RESULT_TAG = "emulator:snapshot-result";
/** The embedded AWS's hook for the instance's simulated SSM agent (succeeds, fails, offline, ...). */
export const EMULATOR_SSM_AGENT_TAG = "emulator:ssm-agent";

export async function createDemoFleet(options: DemoOptions): Promise<DemoFleet> {
  const client = {
    endpoint: options.endpoint,
    credentials: { accessKeyId: "demo", secretAccessKey: "demo" },
  };
  const ec2 = patient(new EC2Client({ region: options.region, ...client }), options.clock);
  const drEc2 = patient(new EC2Client({ region: options.drRegion, ...client }), options.clock);
  const sns = new SNSClient({ region: options.region, ...client });
  const az = `${options.region}a`;

  const topic = await sns.send(new CreateTopicCommand({ Name: "snapfleet-demo-alerts" }));

  const launch = async (name: string, tags: Record<string, string>) => {
    const result = await ec2.send(
      new RunInstancesCommand({
        ImageId: "ami-12345678",
        InstanceType: "t3.micro",
        MinCount: 1,
        MaxCount: 1,
        Placement: { AvailabilityZone: az },
        TagSpecifications: [{ ResourceType: "instance", Tags: toTags({ Name: name, ...tags }) }],
      }),
    );
    const instanceId = result.Instances?.[0]?.InstanceId;
    if (!instanceId) throw new Error(`RunInstances for demo instance ${name} returned no instance id`);
    return instanceId;
  };
  const rootVolume = async (instanceId: string) => {
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const volumeId = described.Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId;
    if (!volumeId) throw new Error(`Demo instance ${instanceId} has no root volume`);
    return volumeId;
  };
  const tagVolume = (volumeId: string, tags: Record<string, string>) =>
    ec2.send(new CreateTagsCommand({ Resources: [volumeId], Tags: toTags(tags) }));
  const addVolume = async (
    instanceId: string,
    device: string,
    size: number,
    tags: Record<string, string>,
  ) => {
    const volume = await ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: az,
        Size: size,
        VolumeType: "gp3",
        TagSpecifications: [{ ResourceType: "volume", Tags: toTags(tags) }],
      }),
    );
    if (!volume.VolumeId) throw new Error("CreateVolume returned no volume id");
    await ec2.send(
      new AttachVolumeCommand({ VolumeId: volume.VolumeId, InstanceId: instanceId, Device: device }),
    );
    return volume.VolumeId;
  };

  const web1 = await launch("web-1", { Backup: "true", Environment: "prod" });
  await tagVolume(await rootVolume(web1), { Name: "web-1-root", CostCenter: "42" });
  await addVolume(web1, "/dev/sdf", 100, { Name: "web-1-data", CostCenter: "42", Role: "content" });

  const web2 = await launch("web-2", { Backup: "yes", Retention: "3" });
  const web2Root = await rootVolume(web2);
  await tagVolume(web2Root, { Name: "web-2-root" });

  const db1 = await launch("db-1", { backup: "On", Retention: "7d" });
  await tagVolume(await rootVolume(db1), { Name: "db-1-root" });
  await addVolume(db1, "/dev/sdf", 200, { Name: "db-1-data" });
  const failingVolumeId = await addVolume(db1, "/dev/sdg", 50, {
    Name: "db-1-logs",
    [EMULATOR_SNAPSHOT_RESULT_TAG]: "error",
  });
  const optedOutVolumeId = await addVolume(db1, "/dev/sdh", 20, { Name: "db-1-scratch", Backup: "false" });

  // Application-consistent servers (BackupConsistency): pg-1's pre script (the stack's fsfreeze
  // document) succeeds; mq-1's SSM agent fails every command (the embedded AWS's `emulator:ssm-agent`
  // tag), so after 3 tries it falls back to a crash-consistent set and the report says why.
  const pg1 = await launch("pg-1", { Backup: "true", BackupConsistency: "application" });
  await tagVolume(await rootVolume(pg1), { Name: "pg-1-root" });
  await addVolume(pg1, "/dev/sdf", 120, { Name: "pg-1-data" });
  const mq1 = await launch("mq-1", {
    Backup: "true",
    BackupConsistency: "application",
    [EMULATOR_SSM_AGENT_TAG]: "fails",
  });
  await tagVolume(await rootVolume(mq1), { Name: "mq-1-root" });
  await addVolume(mq1, "/dev/sdf", 40, { Name: "mq-1-queue" });

  const build1 = await launch("build-1", {});

  // History for web-2: a manual snapshot, then one managed snapshot a day for six days.
  const unmanaged = await ec2.send(
    new CreateSnapshotCommand({
      VolumeId: web2Root,
      Description: "manual snapshot before upgrade",
      TagSpecifications: [{ ResourceType: "snapshot", Tags: toTags({ Name: "before-upgrade" }) }],
    }),
  );
  const seededManaged: DemoFleet["seededManaged"] = [];
  for (let day = 6; day >= 1; day -= 1) {
    options.clock?.advance(DAY_MS / 6);
    const managedTags = {
      Name: "web-2-root",
      "snapfleet:managed": "true",
      "snapfleet:instance-id": web2,
      "snapfleet:host": "web-2",
      "snapfleet:device": "/dev/xvda",
      "snapfleet:volume-id": web2Root,
      "snapfleet:run": `demo-history-${day}`,
      "snapfleet:retention": "3",
    };
    const snap = await ec2.send(
      new CreateSnapshotCommand({
        VolumeId: web2Root,
        Description: `snapfleet history, ${day} days before the demo run`,
        TagSpecifications: [{ ResourceType: "snapshot", Tags: toTags(managedTags) }],
      }),
    );
    if (!snap.SnapshotId) throw new Error("CreateSnapshot returned no snapshot id");
    seededManaged.push({ region: options.region, snapshotId: snap.SnapshotId });
    options.clock?.advance(DAY_MS / 3);
    await untilCompleted(ec2, snap.SnapshotId);
    const copy = await drEc2.send(
      new CopySnapshotCommand({
        SourceRegion: options.region,
        SourceSnapshotId: snap.SnapshotId,
        Description: copyDescription(snap.SnapshotId, options.region, "web-2 /dev/xvda"),
        TagSpecifications: [
          {
            ResourceType: "snapshot",
            Tags: toTags({
              ...managedTags,
              "snapfleet:source-snapshot": snap.SnapshotId,
              "snapfleet:source-region": options.region,
            }),
          },
        ],
      }),
    );
    if (copy.SnapshotId) seededManaged.push({ region: options.drRegion, snapshotId: copy.SnapshotId });
    options.clock?.advance(DAY_MS / 2);
  }

  return {
    topicArn: topic.TopicArn ?? "",
    instances: { "web-1": web1, "web-2": web2, "db-1": db1, "pg-1": pg1, "mq-1": mq1, "build-1": build1 },
    failingVolumeId,
    optedOutVolumeId,
    unmanagedSnapshotId: unmanaged.SnapshotId ?? "",
    seededManaged,
  };
}

/** CopySnapshot needs a completed source; with simulated time it already is, on a real endpoint we poll. */
async function untilCompleted(ec2: EC2Client, snapshotId: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const described = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    const state = described.Snapshots?.[0]?.State;
    if (state === "completed") return;
    if (state === "error") throw new Error(`Demo history snapshot ${snapshotId} ended in state error`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`Demo history snapshot ${snapshotId} did not complete within 10 minutes`);
}

const LIMITS = new Set([
  "RequestLimitExceeded",
  "SnapshotCreationPerVolumeRateExceeded",
  "ConcurrentSnapshotLimitExceeded",
  "ResourceLimitExceeded",
]);

/**
 * The demo builds its fleet faster than AWS's quotas allow (several snapshots of one volume,
 * RunInstances in a burst): on a throttling or limit error it waits (simulated time when there is
 * a virtual clock, real time on a real endpoint) and tries again.
 */
function patient(client: EC2Client, clock: VirtualClock | undefined): EC2Client {
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const retrying = async (command: unknown) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await send(command);
      } catch (error) {
        if (!LIMITS.has((error as { name?: string }).name ?? "") || attempt >= 40) throw error;
        if (clock) clock.advance(5000);
        else await new Promise((resolve) => setTimeout(resolve, 5000));
      }
    }
  };
  client.send = retrying as EC2Client["send"];
  return client;
}

function toTags(tags: Record<string, string>) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
