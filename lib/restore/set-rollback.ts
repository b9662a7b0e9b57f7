import { randomUUID } from "node:crypto";
import type { RestoreDeps } from "./deps";
import { NoPreviousVolumeError } from "./errors";
import { findTargetInstance, type VolumeInfo } from "./instance";
import { describeInstance } from "./plan";
import { replacedVolumes, rollbackPlanFor } from "./rollback";
import {
  checkDrives,
  refuseOnProblems,
  type SetDrive,
  type SetRestorePlan,
  type SetRestoreRequest,
  setPlan,
  withoutInstanceSteps,
} from "./set-plan";
import { RESTORE_TAG } from "./tags";

/**
 * `--rollback --all-drives`: swap back every volume that the last set restore of this instance
 * swapped out (the available volumes sharing the newest `snapfleet:replaced-set`), with one stop
 * and start. A set restore that stopped midway is rolled back for the drives it did swap.
 */
export async function planSetRollback(
  request: SetRestoreRequest,
  deps: RestoreDeps,
): Promise<SetRestorePlan> {
  const instance = await findTargetInstance(request, deps);
  const replaced = (await replacedVolumes(request.region, instance.instanceId, undefined, deps)).filter(
    (v) => v.tags[RESTORE_TAG.replacedSet],
  );
  const last = replaced[0]?.tags[RESTORE_TAG.replacedSet];
  if (!last) {
    throw new NoPreviousVolumeError(
      `No drive of ${describeInstance(instance)} in ${request.region} is waiting to be swapped back by a set ` +
        `rollback (no available volume is tagged ${RESTORE_TAG.replacedInstance}=${instance.instanceId} and ` +
        `${RESTORE_TAG.replacedSet}). --rollback --all-drives undoes a restore made with --all-drives --attach; ` +
        "for one drive use --device DEV --rollback.",
      { instanceId: instance.instanceId, region: request.region },
    );
  }
  const targets = newestPerDevice(replaced.filter((v) => v.tags[RESTORE_TAG.replacedSet] === last));
  const id = randomUUID();
  const drives: SetDrive[] = targets.map((target) => {
    const device = target.tags[RESTORE_TAG.replacedDevice] ?? "";
    const plan = rollbackPlanFor({ ...request, device }, instance, target);
    return { consistency: null, plan: withoutInstanceSteps(plan, id) };
  });
  const problems = await checkDrives(drives, instance, deps);
  const devices = targets.map((t) => t.tags[RESTORE_TAG.replacedDevice]);
  const plan = setPlan(request, instance, id, drives, {
    recoveryPoint: null,
    untouched: instance.volumes
      .filter((v) => v.attachedTo && !devices.includes(v.attachedTo.device))
      .map((v) => ({
        device: v.attachedTo?.device ?? "",
        volumeId: v.volumeId,
        reason: "the last set restore did not swap it",
      })),
    notes: [],
  });
  refuseOnProblems(plan, problems);
  return plan;
}

/** Volumes are sorted newest replaced first; one per device. */
function newestPerDevice(volumes: VolumeInfo[]): VolumeInfo[] {
  const seen = new Set<string>();
  return volumes
    .filter((v) => {
      const device = v.tags[RESTORE_TAG.replacedDevice] ?? "";
      if (seen.has(device)) return false;
      seen.add(device);
      return true;
    })
    .sort((a, b) =>
      (a.tags[RESTORE_TAG.replacedDevice] ?? "").localeCompare(b.tags[RESTORE_TAG.replacedDevice] ?? ""),
    );
}
