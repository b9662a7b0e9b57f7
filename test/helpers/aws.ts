import {
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  RunInstancesCommand,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Config } from "../../lib/config";
import { type Emulator, startEmulator } from "../../local/aws/server";
import { VirtualClock } from "../../local/clock";
import { localConfig, runBackupCycle } from "../../local/cycle";
import { defaultPhysicalIds, loadPackagedTemplate, policyFromTemplate } from "../../local/stack";
import { applyStack, handlerAccessKey } from "../../local/stack-on-emulator";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const toTags = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** The embedded AWS on a virtual clock, and SDK clients for it: what the integration tests build on. */
export interface TestAws {
  emulator: Emulator<VirtualClock>;
  clock: VirtualClock;
  ec2(region?: string): EC2Client;
  config(overrides?: Partial<Config>): Config;
  topicArn: string;
  stop(): Promise<void>;
}

/**
 * Quotas are off unless asked for: test setup launches instances faster than RunInstances'
 * bucket allows, and the tests that are about quotas turn them on. The stack's IAM policy, from
 * the packaged template, is enforced on the handlers' calls unless `iam: false`: a missing or
 * too-broad permission shows up here, not on AWS.
 */
export async function startTestAws(
  start = Date.UTC(2026, 0, 1, 3),
  options: { quotas?: boolean; iam?: boolean; alarms?: boolean } = {},
): Promise<TestAws> {
  const clock = new VirtualClock(start);
  const emulator = await startEmulator({ clock, quotas: options.quotas ?? false });
  const clients = new Map<string, EC2Client>();
  const ec2 = (region = "us-east-1") => {
    let client = clients.get(region);
    if (!client) {
      client = new EC2Client({ region, endpoint: emulator.endpoint, credentials });
      clients.set(region, client);
    }
    return client;
  };
  const sns = new SNSClient({ region: "us-east-1", endpoint: emulator.endpoint, credentials });
  const topic = await sns.send(new CreateTopicCommand({ Name: "snapfleet-test" }));
  const topicArn = topic.TopicArn ?? "";
  await applyStack(emulator, localConfig({ topicArn, endpoint: emulator.endpoint }), {
    iam: options.iam ?? true,
    alarms: options.alarms ?? false,
  });
  return {
    emulator,
    clock,
    ec2,
    topicArn,
    config: (overrides = {}) => localConfig({ topicArn, ...overrides, endpoint: emulator.endpoint }),
    stop: () => emulator.stop(),
  };
}

export interface LaunchedInstance {
  instanceId: string;
  rootVolumeId: string;
  volumes: Record<string, string>;
}

/** An instance with its root volume at /dev/xvda and, optionally, more volumes. */
export async function launchInstance(
  aws: TestAws,
  props: {
    tags: Record<string, string>;
    rootTags?: Record<string, string>;
    volumes?: { device: string; size: number; tags?: Record<string, string>; encrypted?: boolean }[];
    /** An image id (e.g. a registered Windows image); a Linux one by default. */
    imageId?: string;
  },
): Promise<LaunchedInstance> {
  const ec2 = aws.ec2();
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: props.imageId ?? "ami-12345678",
      InstanceType: "t3.micro",
      MinCount: 1,
      MaxCount: 1,
      Placement: { AvailabilityZone: "us-east-1a" },
      TagSpecifications: [{ ResourceType: "instance", Tags: toTags(props.tags) }],
    }),
  );
  const instanceId = run.Instances?.[0]?.InstanceId ?? "";
  const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const rootVolumeId =
    described.Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId ?? "";
  if (props.rootTags)
    await ec2.send(new CreateTagsCommand({ Resources: [rootVolumeId], Tags: toTags(props.rootTags) }));
  const volumes: Record<string, string> = { "/dev/xvda": rootVolumeId };
  for (const v of props.volumes ?? []) {
    const created = await ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: "us-east-1a",
        Size: v.size,
        ...(v.encrypted ? { Encrypted: true } : {}),
        TagSpecifications: v.tags ? [{ ResourceType: "volume", Tags: toTags(v.tags) }] : undefined,
      }),
    );
    const volumeId = created.VolumeId ?? "";
    await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: v.device }));
    volumes[v.device] = volumeId;
  }
  return { instanceId, rootVolumeId, volumes };
}

/** A snapshot as an earlier snapfleet run would have left it (or, with `managed: false`, a manual one). */
export async function seedSnapshot(
  aws: TestAws,
  props: { volumeId: string; instanceId: string; device?: string; retention?: string; managed?: boolean },
): Promise<string> {
  const tags: Record<string, string> =
    props.managed === false
      ? { Name: "manual" }
      : {
          "snapfleet:managed": "true",
          "snapfleet:instance-id": props.instanceId,
          "snapfleet:device": props.device ?? "/dev/xvda",
          "snapfleet:volume-id": props.volumeId,
          "snapfleet:run": "seeded",
          "snapfleet:retention": props.retention ?? "7",
        };
  const created = await aws.ec2().send(
    new CreateSnapshotCommand({
      VolumeId: props.volumeId,
      TagSpecifications: [{ ResourceType: "snapshot", Tags: toTags(tags) }],
    }),
  );
  return created.SnapshotId ?? "";
}

export async function listSnapshots(aws: TestAws, region = "us-east-1"): Promise<Snapshot[]> {
  const result: Snapshot[] = [];
  let NextToken: string | undefined;
  do {
    const page = await aws
      .ec2(region)
      .send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], MaxResults: 1000, NextToken }));
    result.push(...(page.Snapshots ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return result;
}

export const DAY_MS = 86_400_000;

/**
 * One backup cycle, the real state machine on the embedded AWS: the run's outcome, every drive's
 * record, and the newest digest SNS received (the run's own unless another run finished after it).
 */
export async function runCycle(aws: TestAws, overrides: Parameters<TestAws["config"]>[0] = {}) {
  const { outcome, drives } = await runBackupCycle(aws.config(overrides), aws.clock);
  return { ...outcome, drives, digest: aws.emulator.published().at(-1)?.message ?? "" };
}

/** Enforces the backup functions' policy from the packaged template less the statements named. */
export async function enforcePolicyWithout(aws: TestAws, ...sids: string[]): Promise<void> {
  const template = await loadPackagedTemplate();
  const ids = {
    ...defaultPhysicalIds(template),
    AlarmTopic: aws.topicArn,
    RunBucket: "snapfleet-runs",
    "RunBucket.Arn": "arn:aws:s3:::snapfleet-runs",
  };
  const policy = policyFromTemplate(template, "IamRoleLambdaExecution", ids).filter(
    (statement) => !sids.includes(statement.Sid ?? ""),
  );
  aws.emulator.setIam({ principals: { [handlerAccessKey()]: policy } });
}
