import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  type EC2Client,
  type Instance,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type Volume,
} from "@aws-sdk/client-ec2";
import type { CliContext } from "../../cli/context";
import { run } from "../../cli/program";
import type { HandlerContext } from "../../functions/common";
import { logger } from "../../functions/common";
import * as restoreCheck from "../../functions/restore-check";
import * as restorePlan from "../../functions/restore-plan";
import * as restoreStep from "../../functions/restore-step";
import type { Config } from "../../lib/config";
import { awsDeps, silentLog } from "../../lib/deps";
import type { RestoreDeps } from "../../lib/restore/deps";
import type { RecoveryPoint } from "../../lib/restore/points";
import { runBackupCycle } from "../../local/cycle";
import type { LocalHandler } from "../../local/runner";
import { DAY_MS, listSnapshots, type TestAws } from "../helpers/aws";

export const REGIONS = ["us-east-1", "us-west-2"];
const toTags = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Restore deps on the embedded AWS: waits sleep on the virtual clock. */
export function testDeps(aws: TestAws, overrides: Partial<RestoreDeps> = {}): RestoreDeps {
  return {
    ec2: (region) => aws.ec2(region),
    clock: aws.clock,
    sleep: (ms) => aws.clock.sleep(ms),
    log: silentLog,
    ...overrides,
  };
}

/** `snapfleet ...` run in-process against the embedded AWS, with its output captured. */
export async function snapfleet(
  aws: TestAws,
  args: string[],
  overrides: Partial<RestoreDeps> = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const deps = testDeps(aws, overrides);
  const context: CliContext = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { AWS_REGION: "us-east-1" },
    deps: () => deps,
  };
  const code = await run(args, context);
  return { code, stdout, stderr };
}

/** Splits a printed `npx snapfleet restore ...` command into the arguments `run` takes. */
export function argsOf(command: string): string[] {
  return command.replace(/^npx snapfleet /, "").split(/\s+/);
}

/** `days` daily backup runs of the real state machine, one simulated day apart. */
export async function backUp(aws: TestAws, days: number, config: Partial<Config> = {}): Promise<void> {
  const start = aws.clock.nowMs();
  for (let day = 1; day <= days; day++) {
    const run = await runBackupCycle(aws.config(config), aws.clock);
    const failed = run.drives.filter((d) => d.status !== "ok");
    if (failed.length > 0) throw new Error(`backup day ${day} failed: ${JSON.stringify(failed)}`);
    aws.clock.advance(start + day * DAY_MS - aws.clock.nowMs());
  }
}

/** An instance in any region, root volume at /dev/xvda with tags, as RunInstances makes it. */
export async function launchIn(
  aws: TestAws,
  region: string,
  props: { name: string; zone?: string; tags?: Record<string, string>; rootTags?: Record<string, string> },
): Promise<{ instanceId: string; rootVolumeId: string }> {
  const ec2 = aws.ec2(region);
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: "ami-12345678",
      InstanceType: "t3.micro",
      MinCount: 1,
      MaxCount: 1,
      Placement: { AvailabilityZone: props.zone ?? `${region}a` },
      TagSpecifications: [
        { ResourceType: "instance", Tags: toTags({ Name: props.name, ...props.tags }) },
        ...(props.rootTags ? [{ ResourceType: "volume" as const, Tags: toTags(props.rootTags) }] : []),
      ],
    }),
  );
  const instanceId = run.Instances?.[0]?.InstanceId ?? "";
  return { instanceId, rootVolumeId: (await attachedAt(ec2, instanceId, "/dev/xvda"))?.VolumeId ?? "" };
}

/** Swaps in a blank volume at the device, the way an operator replacing a broken disk would. */
export async function replaceVolume(
  aws: TestAws,
  instanceId: string,
  device: string,
  tags: Record<string, string>,
): Promise<string> {
  const ec2 = aws.ec2();
  const old = await attachedAt(ec2, instanceId, device);
  const created = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: old?.AvailabilityZone,
      Size: old?.Size,
      VolumeType: "gp3",
      TagSpecifications: [{ ResourceType: "volume", Tags: toTags(tags) }],
    }),
  );
  await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
  await ec2.send(new DetachVolumeCommand({ VolumeId: old?.VolumeId }));
  await ec2.send(
    new AttachVolumeCommand({ VolumeId: created.VolumeId, InstanceId: instanceId, Device: device }),
  );
  await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
  return created.VolumeId ?? "";
}

export async function attachedAt(
  ec2: EC2Client,
  instanceId: string,
  device: string,
): Promise<Volume | undefined> {
  const { Volumes } = await ec2.send(
    new DescribeVolumesCommand({
      Filters: [
        { Name: "attachment.instance-id", Values: [instanceId] },
        { Name: "attachment.device", Values: [device] },
      ],
    }),
  );
  return Volumes?.[0];
}

export async function volume(ec2: EC2Client, volumeId: string): Promise<Volume> {
  const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
  return Volumes?.[0] as Volume;
}

export async function instance(ec2: EC2Client, instanceId: string): Promise<Instance> {
  const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return Reservations?.[0]?.Instances?.[0] as Instance;
}

/** Everything EC2 holds in both regions, as the SDK returns it: compared before and after. */
export async function ec2State(aws: TestAws): Promise<unknown> {
  const state: Record<string, unknown> = {};
  for (const region of REGIONS) {
    const ec2 = aws.ec2(region);
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({}));
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({}));
    state[region] = {
      instances: Reservations,
      volumes: Volumes,
      snapshots: await listSnapshots(aws, region),
    };
  }
  return JSON.parse(JSON.stringify(state));
}

/** The restore handlers of functions/, keyed by their serverless.yml names, for the local runner. */
export function restoreHandlers(
  config: Config,
  aws: TestAws,
  ec2?: (region: string) => EC2Client,
): Record<string, LocalHandler> {
  const deps = awsDeps(config, aws.clock, logger);
  const context = { config, deps: ec2 ? { ...deps, ec2 } : deps } as HandlerContext;
  const get = () => context;
  const modules = { restorePlan, restoreStep, restoreCheck };
  return Object.fromEntries(
    Object.entries(modules).map(([name, mod]) => [name, mod.make(get) as unknown as LocalHandler]),
  );
}

/**
 * EC2 on the embedded AWS whose `command` (e.g. "AttachVolumeCommand") fails with
 * UnauthorizedOperation, as a missing permission would, on the calls `fails` picks (counted from 1
 * across regions); every other call goes through.
 */
export function denying(
  aws: TestAws,
  command: string,
  fails: (call: number) => boolean = () => true,
): (region: string) => EC2Client {
  let calls = 0;
  return (region) =>
    new Proxy(aws.ec2(region), {
      get(target, property, receiver) {
        if (property !== "send") return Reflect.get(target, property, receiver);
        return (sent: { constructor: { name: string } }) =>
          sent.constructor.name === command && fails(++calls)
            ? Promise.reject(
                Object.assign(new Error("You are not authorized to perform this operation."), {
                  name: "UnauthorizedOperation",
                }),
              )
            : target.send(sent as never);
      },
    });
}

/** A completed recovery point of web-1's root drive, for pure tests; `props` change what matters. */
export function testPoint(props: Partial<RecoveryPoint>): RecoveryPoint {
  return {
    snapshotId: "snap-1",
    region: "us-east-1",
    state: "completed",
    progress: "100%",
    takenAt: "2026-11-20T03:00:00.000Z",
    sizeGiB: 8,
    encrypted: false,
    kmsKeyId: null,
    instanceId: "i-1",
    host: "web-1",
    device: "/dev/xvda",
    volumeId: "vol-1",
    sourceSnapshotId: null,
    sourceRegion: null,
    tags: {},
    ...props,
  };
}
