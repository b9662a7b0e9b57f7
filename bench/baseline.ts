import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import type { Deps } from "../lib/deps";
import { isThrottle, withRetry } from "../lib/retry";

/**
 * The naive baseline: what a per-instance backup script does (ec2-consistent-snapshot style),
 * run for every instance at once at schedule time: it describes its own volumes' snapshots one
 * volume at a time, polls each snapshot every 60 s, copies without regard to the 20-copy limit
 * and sends one PutMetricData per metric. Calls are retried like the SDK's default (a few
 * attempts with backoff), then the drive fails.
 *
 * Its Step Functions figures are those of the naive state machine from aws-limits.md that
 * orchestrates exactly these steps: one inline Map over all volumes in one execution, each
 * step a Lambda task, each poll a Wait + Task + Choice.
 */
export interface BaselineResult {
  drives: number;
  failed: number;
  throttleFailures: number;
  polls: number;
  transitions: number;
  lambdaInvocations: number;
  historyEvents: number;
  makespanSeconds: number;
  cloudWatchRequests: number;
}

const POLL_MS = 60_000;
const STEPS_PER_VOLUME = 9; // describe, create, prune, copy, describe DR, prune DR, 3 × metric
const LAMBDA_TASKS_PER_VOLUME = 7;

export async function runBaseline(
  props: {
    region: string;
    drRegion: string;
    namespace: string;
    instanceIds: string[];
    retentionDays: number;
  },
  deps: Deps,
): Promise<BaselineResult> {
  const started = deps.clock.now().getTime();
  const result: BaselineResult = {
    drives: 0,
    failed: 0,
    throttleFailures: 0,
    polls: 0,
    transitions: 0,
    lambdaInvocations: 0,
    historyEvents: 2,
    makespanSeconds: 0,
    cloudWatchRequests: 0,
  };
  const call = <T>(fn: () => Promise<T>) => withRetry(fn, deps, "baseline", { attempts: 4, baseMs: 1000 });
  const primary = deps.ec2(props.region);
  const dr = deps.ec2(props.drRegion);

  const backUpVolume = async (instanceId: string, volumeId: string, device: string) => {
    result.drives += 1;
    try {
      const existing = await call(() =>
        primary.send(new DescribeSnapshotsCommand({ Filters: [{ Name: "volume-id", Values: [volumeId] }] })),
      );
      const created = await call(() =>
        primary.send(
          new CreateSnapshotCommand({
            VolumeId: volumeId,
            TagSpecifications: [
              {
                ResourceType: "snapshot",
                Tags: [
                  { Key: "baseline:volume-id", Value: volumeId },
                  { Key: "baseline:instance-id", Value: instanceId },
                ],
              },
            ],
          }),
        ),
      );
      const snapshotId = created.SnapshotId as string;
      await pollUntilCompleted(primary, snapshotId);
      await prune(primary, existing.Snapshots ?? [], snapshotId);
      const copy = await call(() =>
        dr.send(
          new CopySnapshotCommand({
            SourceRegion: props.region,
            SourceSnapshotId: snapshotId,
            TagSpecifications: [
              { ResourceType: "snapshot", Tags: [{ Key: "baseline:volume-id", Value: volumeId }] },
            ],
          }),
        ),
      );
      await pollUntilCompleted(dr, copy.SnapshotId as string);
      const drExisting = await call(() =>
        dr.send(
          new DescribeSnapshotsCommand({ Filters: [{ Name: "tag:baseline:volume-id", Values: [volumeId] }] }),
        ),
      );
      await prune(dr, drExisting.Snapshots ?? [], copy.SnapshotId as string);
      for (const name of ["ElapsedTime", "Size", "Errors"]) {
        result.cloudWatchRequests += 1;
        await call(() =>
          deps.cloudwatch.send(
            new PutMetricDataCommand({
              Namespace: `${props.namespace}/Baseline`,
              MetricData: [
                {
                  MetricName: name,
                  Value: 0,
                  Dimensions: [
                    { Name: "Server", Value: instanceId },
                    { Name: "Drive", Value: device },
                  ],
                },
              ],
            }),
          ),
        );
      }
    } catch (error) {
      result.failed += 1;
      if (isThrottle(error) || String((error as Error).name).includes("Limit")) result.throttleFailures += 1;
    }
  };

  const pollUntilCompleted = async (client: EC2Client, snapshotId: string) => {
    for (;;) {
      await deps.clock.sleep(POLL_MS);
      result.polls += 1;
      const described = await call(() =>
        client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })),
      );
      const state = described.Snapshots?.[0]?.State;
      if (state === "completed") return;
      if (state === "error") throw new Error(`Snapshot ${snapshotId} failed`);
    }
  };

  const prune = async (client: EC2Client, snapshots: Snapshot[], keep: string) => {
    const cutoff = deps.clock.now().getTime() - props.retentionDays * 86_400_000;
    for (const s of snapshots) {
      if (s.SnapshotId === keep || s.State !== "completed" || (s.StartTime?.getTime() ?? 0) > cutoff)
        continue;
      await call(() => client.send(new DeleteSnapshotCommand({ SnapshotId: s.SnapshotId })));
    }
  };

  await Promise.all(
    props.instanceIds.map(async (instanceId) => {
      try {
        const described = await call(() =>
          primary.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })),
        );
        const mappings = described.Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings ?? [];
        await Promise.all(
          mappings.map((m) => backUpVolume(instanceId, m.Ebs?.VolumeId ?? "", m.DeviceName ?? "")),
        );
      } catch (error) {
        result.failed += 2;
        result.drives += 2;
        if (isThrottle(error)) result.throttleFailures += 2;
      }
    }),
  );

  result.makespanSeconds = (deps.clock.now().getTime() - started) / 1000;
  // The naive state machine: per volume, fixed steps plus Wait + Task + Choice per poll.
  result.transitions = 3 + result.drives * STEPS_PER_VOLUME + result.polls * 3;
  result.lambdaInvocations = 1 + result.drives * LAMBDA_TASKS_PER_VOLUME + result.polls;
  result.historyEvents = 2 + result.transitions * 2 + result.lambdaInvocations * 3 + result.drives * 2;
  return result;
}
