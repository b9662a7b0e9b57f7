import {
  AttachVolumeCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type VolumeType,
} from "@aws-sdk/client-ec2";
import { toTagList } from "../tags";
import type { RestoreDeps } from "./deps";
import { RestoreWaitTimeoutError } from "./errors";
import { describeInstanceState } from "./instance";
import type { RestorePlan, StepName } from "./plan";
import { replacedTags } from "./tags";

/** A real state a step waits for. */
export type CheckName =
  | "volume-available"
  | "instance-stopped"
  | "volume-detached"
  | "volume-attached"
  | "instance-running";

/** Where an executing plan is: the state machine carries it from Task to Task. */
export interface Progress {
  /** Index into plan.steps of the step being worked on. */
  index: number;
  /** The volume being put in place: created by this restore, continued, or swapped back. */
  volumeId: string | null;
  check: CheckName | null;
  /** Seconds to wait before the next check. */
  wait: number;
  attempt: number;
  /** ISO time after which the check gives up. */
  deadline: string | null;
  /** The current step has reached its state. */
  ready: boolean;
  /** Every step is done. */
  done: boolean;
  /** The last state seen by a check. */
  state: string | null;
}

export const FIRST_WAIT_SECONDS = 2;
export const MAX_WAIT_SECONDS = 15;

/** How long each state may take before the restore stops and says so. */
export const CHECK_TIMEOUT_SECONDS: Record<CheckName, number> = {
  "volume-available": 600,
  "instance-stopped": 900,
  "volume-detached": 600,
  "volume-attached": 300,
  "instance-running": 600,
};

const CHECK_OF: Record<StepName, CheckName | null> = {
  "create-volume": "volume-available",
  "stop-instance": "instance-stopped",
  "tag-replaced": null,
  "detach-volume": "volume-detached",
  "attach-volume": "volume-attached",
  "start-instance": "instance-running",
};

export function startProgress(plan: RestorePlan): Progress {
  return {
    index: 0,
    volumeId: plan.volume.volumeId,
    check: null,
    wait: 0,
    attempt: 0,
    deadline: null,
    ready: true,
    done: plan.steps.length === 0,
    state: null,
  };
}

export function currentStep(plan: RestorePlan, progress: Progress): StepName {
  const step = plan.steps[progress.index];
  if (!step) throw new Error(`No step ${progress.index} in a plan of ${plan.steps.length} steps`);
  return step;
}

/** Performs one step. Each is safe to repeat: a retried step finds its work done and moves on. */
export async function performStep(
  plan: RestorePlan,
  progress: Progress,
  deps: RestoreDeps,
): Promise<Progress> {
  const step = currentStep(plan, progress);
  const ec2 = deps.ec2(plan.region);
  const instanceId = plan.instance.instanceId;
  let volumeId = progress.volumeId;
  deps.log.info("restore step", { step, instanceId, device: plan.device, volumeId });
  switch (step) {
    case "create-volume": {
      const v = plan.volume;
      const created = await ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: v.availabilityZone,
          SnapshotId: plan.snapshot?.snapshotId,
          Size: v.sizeGiB,
          VolumeType: v.volumeType as VolumeType,
          ...(v.iops !== null ? { Iops: v.iops } : {}),
          ...(v.throughput !== null ? { Throughput: v.throughput } : {}),
          TagSpecifications: [{ ResourceType: "volume", Tags: toTagList(v.tags) }],
          ClientToken: plan.token,
        }),
      );
      volumeId = created.VolumeId ?? null;
      if (!volumeId) throw new Error(`CreateVolume from ${plan.snapshot?.snapshotId} returned no volume id`);
      break;
    }
    case "stop-instance":
      await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
      break;
    case "tag-replaced":
      await ec2.send(
        new CreateTagsCommand({
          Resources: [plan.currentVolumeId as string],
          Tags: toTagList(
            replacedTags({
              at: deps.clock.now(),
              by: volumeId ?? "",
              reason: replacedReason(plan),
              instanceId,
              device: plan.device,
              set: plan.setRestoreId,
            }),
          ),
        }),
      );
      break;
    case "detach-volume":
      try {
        await ec2.send(
          new DetachVolumeCommand({ VolumeId: plan.currentVolumeId as string, InstanceId: instanceId }),
        );
      } catch (error) {
        // A repeated step finds the volume detached already; anything else is a real failure.
        const now = await volumeState(plan, plan.currentVolumeId as string, deps);
        if (!isNamed(error, "IncorrectState") || now.attachedTo !== null) throw error;
      }
      break;
    case "attach-volume":
      try {
        await ec2.send(
          new AttachVolumeCommand({
            VolumeId: volumeId as string,
            InstanceId: instanceId,
            Device: plan.device,
          }),
        );
      } catch (error) {
        const now = await volumeState(plan, volumeId as string, deps);
        if (!isNamed(error, "VolumeInUse") || now.attachedTo !== `${instanceId} ${plan.device}`) throw error;
      }
      break;
    case "start-instance":
      await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
      break;
  }
  const check = CHECK_OF[step];
  const deadline = check ? new Date(deps.clock.now().getTime() + CHECK_TIMEOUT_SECONDS[check] * 1000) : null;
  return {
    ...progress,
    volumeId,
    check,
    wait: check ? FIRST_WAIT_SECONDS : 0,
    attempt: 0,
    deadline: deadline?.toISOString() ?? null,
    ready: false,
    done: false,
    state: null,
  };
}

/** One check of the state the current step waits for. Past the deadline: RestoreWaitTimeoutError. */
export async function checkStep(plan: RestorePlan, progress: Progress, deps: RestoreDeps): Promise<Progress> {
  const { ready, state } = progress.check
    ? await observe(plan, progress, progress.check, deps)
    : { ready: true, state: null };
  if (ready) {
    const index = progress.index + 1;
    return {
      ...progress,
      index,
      check: null,
      wait: 0,
      attempt: 0,
      deadline: null,
      ready: true,
      done: index >= plan.steps.length,
      state,
    };
  }
  const now = deps.clock.now();
  if (progress.deadline && now.getTime() >= Date.parse(progress.deadline)) {
    const check = progress.check as CheckName;
    throw new RestoreWaitTimeoutError(
      `Waited ${CHECK_TIMEOUT_SECONDS[check]} s for ${describeCheck(plan, progress, check)}; it is still ${state}.`,
      { instanceId: plan.instance.instanceId, volumeId: progress.volumeId ?? undefined, region: plan.region },
    );
  }
  return {
    ...progress,
    attempt: progress.attempt + 1,
    wait: Math.min(progress.wait * 2, MAX_WAIT_SECONDS),
    state,
  };
}

export function describeCheck(plan: RestorePlan, progress: Progress, check: CheckName): string {
  const instance = `instance ${plan.instance.instanceId}`;
  switch (check) {
    case "volume-available":
      return `volume ${progress.volumeId} to become available`;
    case "instance-stopped":
      return `${instance} to stop`;
    case "volume-detached":
      return `volume ${plan.currentVolumeId} to detach from ${plan.device}`;
    case "volume-attached":
      return `volume ${progress.volumeId} to attach at ${plan.device}`;
    case "instance-running":
      return `${instance} to run`;
  }
}

async function observe(
  plan: RestorePlan,
  progress: Progress,
  check: CheckName,
  deps: RestoreDeps,
): Promise<{ ready: boolean; state: string }> {
  switch (check) {
    case "volume-available": {
      const v = await volumeState(plan, progress.volumeId as string, deps);
      if (v.state === "error") {
        throw new Error(
          `Volume ${progress.volumeId} ended in state error: EBS could not create it from ${plan.snapshot?.snapshotId} (check the KMS key and the account's EBS quotas)`,
        );
      }
      return { ready: v.state === "available", state: v.state };
    }
    case "volume-detached": {
      const v = await volumeState(plan, plan.currentVolumeId as string, deps);
      return {
        ready: v.attachedTo === null && v.state === "available",
        state: v.attachedTo ? "attached" : v.state,
      };
    }
    case "volume-attached": {
      const v = await volumeState(plan, progress.volumeId as string, deps);
      const here = v.attachedTo === `${plan.instance.instanceId} ${plan.device}`;
      return { ready: here && v.attachment === "attached", state: v.attachment ?? v.state };
    }
    case "instance-stopped":
    case "instance-running": {
      const state = await describeInstanceState(plan.region, plan.instance.instanceId, deps);
      if (state === "terminated" || state === "shutting-down") {
        throw new Error(
          `Instance ${plan.instance.instanceId} is ${state}: it cannot be restored into any more`,
        );
      }
      return { ready: state === (check === "instance-stopped" ? "stopped" : "running"), state };
    }
  }
}

interface VolumeState {
  state: string;
  attachedTo: string | null;
  attachment: string | null;
}

async function volumeState(plan: RestorePlan, volumeId: string, deps: RestoreDeps): Promise<VolumeState> {
  const result = await deps.ec2(plan.region).send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
  const v = result.Volumes?.[0];
  const a = v?.Attachments?.find((x) => x.State !== "detached");
  return {
    state: v?.State ?? "unknown",
    attachedTo: a ? `${a.InstanceId} ${a.Device}` : null,
    attachment: a?.State ?? null,
  };
}

function replacedReason(plan: RestorePlan): string {
  if (plan.mode === "rollback") return "rollback";
  if (plan.snapshot)
    return `restore of ${plan.snapshot.snapshotId} (${plan.at ? `at ${plan.at}` : "newest"})`;
  return "restore continued";
}

function isNamed(error: unknown, name: string): boolean {
  return (error as { name?: string } | undefined)?.name === name;
}
