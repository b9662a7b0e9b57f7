import { randomUUID } from "node:crypto";
import type { RestoreDeps } from "./deps";
import { InvalidRestorePlanError, NoRecoveryPointError } from "./errors";
import { findTargetInstance, type TargetInstance } from "./instance";
import {
  buildPlan,
  describeInstance,
  type RestorePlan,
  type RestoreRequest,
  type StepName,
  validatePlan,
} from "./plan";
import { findRecoveryPoints } from "./points";
import { type Consistency, chooseRecoverySet, consistencyOf, describeSet, type SetChoice } from "./sets";
import { sourceFromPoint } from "./source";
import { parseIsoTime } from "./time";

/** `--all-drives`: a restore or rollback of every drive of one set; no per-drive options. */
export type SetRestoreRequest = Omit<
  RestoreRequest,
  "device" | "sizeGiB" | "volumeType" | "volumeId" | "stop"
>;

export interface SetDrive {
  /** The consistency its snapshot recorded; null for a rollback. */
  consistency: Consistency | null;
  /** The one-drive plan, without the instance's stop and start (the set does those once). */
  plan: RestorePlan;
}

/** Everything a set restore (or rollback) will do, decided and checked for every drive first. */
export interface SetRestorePlan {
  mode: "restore" | "rollback";
  /** Tagged on every replaced volume (snapfleet:replaced-set): how `--rollback --all-drives` finds them. */
  id: string;
  request: SetRestoreRequest;
  region: string;
  at: string | null;
  instance: Omit<TargetInstance, "volumes">;
  recoveryPoint: {
    kind: "set" | "run";
    id: string;
    takenAt: string;
    firstTakenAt: string;
    consistency: Consistency;
    oneInstant: boolean;
  } | null;
  drives: SetDrive[];
  /** The instance's drives this restore leaves as they are, and why. */
  untouched: { device: string; volumeId: string; reason: string }[];
  attach: boolean;
  stopInstance: boolean;
  startAfter: boolean;
  steps: { device: string | null; step: StepName }[];
  checks: string[];
  notes: string[];
  dryRun: boolean;
}

const INSTANCE_STEPS: readonly StepName[] = ["stop-instance", "start-instance"];

/**
 * `restore --all-drives`: the newest complete set (or, for a server backed up per volume, run) at or
 * before `at`, one checked one-drive plan per drive, and one stop and start for the whole swap.
 * Every drive is checked before anything changes; all problems are reported at once.
 */
export async function planSetRestore(request: SetRestoreRequest, deps: RestoreDeps): Promise<SetRestorePlan> {
  const instance = await findTargetInstance(request, deps);
  const selector = request.host ? { host: request.host } : { instanceId: instance.instanceId };
  const points = await findRecoveryPoints({ region: request.region, ...selector }, deps);
  const devices = instance.volumes.map((v) => v.attachedTo?.device ?? "").filter(Boolean);
  const at = request.at ? parseIsoTime(request.at) : undefined;
  const choice = chooseRecoverySet(points, devices, at);
  const chosen = choice.chosen;
  if (!chosen) {
    throw new NoRecoveryPointError(noSetMessage(request, instance, choice, points.length), {
      instanceId: instance.instanceId,
      region: request.region,
    });
  }
  const id = randomUUID();
  const drives: SetDrive[] = [];
  const problems: string[] = [];
  for (const point of chosen.points) {
    const driveRequest: RestoreRequest = { ...request, device: point.device, stop: true, start: false };
    const current = instance.volumes.find((v) => v.attachedTo?.device === point.device) ?? null;
    if (request.attach && !current)
      problems.push(
        `${point.device}: nothing is attached there now, so there is nothing to swap: restore without --attach, or the drive alone with --device`,
      );
    const plan = buildPlan(driveRequest, instance, current, sourceFromPoint(driveRequest, instance, point));
    drives.push({ consistency: consistencyOf(point), plan: withoutInstanceSteps(plan, id) });
  }
  problems.push(...(await checkDrives(drives, instance, deps)));
  const oneInstant = chosen.kind === "set";
  const notes = choice.skipped.map((s) => `${describeSet(s.set)} is newer but was skipped: ${s.reason}`);
  if (!oneInstant)
    notes.push(
      `the drives are not one instant: this server was backed up volume by volume (consistency volume), ` +
        `each drive at its own moment between ${chosen.firstTakenAt} and ${chosen.takenAt}`,
    );
  const plan = setPlan(request, instance, id, drives, {
    recoveryPoint: {
      kind: chosen.kind,
      id: chosen.id,
      takenAt: chosen.takenAt,
      firstTakenAt: chosen.firstTakenAt,
      consistency: chosen.consistency,
      oneInstant,
    },
    untouched: untouched(
      instance,
      chosen.points.map((p) => p.device),
    ),
    notes,
  });
  refuseOnProblems(plan, problems);
  return plan;
}

/** Assembles a set plan: one stop before the first swap and one start after the last. */
export function setPlan(
  request: SetRestoreRequest,
  instance: TargetInstance,
  id: string,
  drives: SetDrive[],
  extra: Pick<SetRestorePlan, "recoveryPoint" | "untouched" | "notes">,
): SetRestorePlan {
  const { volumes: _, ...summary } = instance;
  const attach = Boolean(request.attach);
  const willStop = attach && instance.state === "running";
  const startAfter = attach && (willStop || (Boolean(request.start) && instance.state !== "running"));
  const stepsOf = (wanted: (s: StepName) => boolean) =>
    drives.flatMap((d) => d.plan.steps.filter(wanted).map((step) => ({ device: d.plan.device, step })));
  const steps = [
    ...stepsOf((s) => s === "create-volume"),
    ...(willStop ? [{ device: null, step: "stop-instance" as const }] : []),
    ...stepsOf((s) => s !== "create-volume"),
    ...(startAfter ? [{ device: null, step: "start-instance" as const }] : []),
  ];
  const notes = [...extra.notes];
  if (!attach) notes.push("without --attach the new volumes are left available, nothing else changes");
  return {
    mode: drives[0]?.plan.mode ?? "restore",
    id,
    request,
    region: request.region,
    at: request.at ?? null,
    instance: summary,
    ...extra,
    drives,
    attach,
    stopInstance: willStop,
    startAfter,
    steps,
    checks: drives.flatMap((d) => d.plan.checks.map((c) => `${d.plan.device}: ${c}`)),
    notes,
    dryRun: Boolean(request.dryRun),
  };
}

/** A drive's plan inside a set: its own steps only, tagged with the set restore's id. */
export function withoutInstanceSteps(plan: RestorePlan, id: string): RestorePlan {
  return {
    ...plan,
    steps: plan.steps.filter((s) => !INSTANCE_STEPS.includes(s)),
    stopInstance: false,
    stopReason: null,
    startAfter: false,
    notes: [],
    setRestoreId: id,
  };
}

/** Runs each drive's checks (zone, KMS key, size and type, tag room); every problem, named by drive. */
export async function checkDrives(
  drives: SetDrive[],
  instance: TargetInstance,
  deps: RestoreDeps,
): Promise<string[]> {
  const problems = new Set<string>();
  for (const { plan } of drives) {
    const current = instance.volumes.find((v) => v.volumeId === plan.currentVolumeId) ?? null;
    try {
      await validatePlan(plan, plan.snapshot?.sizeGiB ?? 0, deps, current);
    } catch (error) {
      if (!(error instanceof InvalidRestorePlanError)) throw error;
      // The instance's state is one problem for the set, not one per drive.
      for (const p of error.problems) problems.add(p.startsWith("instance ") ? p : `${plan.device}: ${p}`);
    }
  }
  return [...problems];
}

/** Refuses the whole set, nothing changed, when any drive has a problem. */
export function refuseOnProblems(plan: SetRestorePlan, problems: string[]): void {
  if (problems.length === 0) return;
  throw new InvalidRestorePlanError(
    `The ${plan.mode} of every drive of ${describeInstance(plan.instance)} cannot work, nothing was changed:\n` +
      problems.map((p) => `  - ${p}`).join("\n"),
    problems,
    { instanceId: plan.instance.instanceId, region: plan.region },
  );
}

function untouched(instance: TargetInstance, devices: string[]): SetRestorePlan["untouched"] {
  return instance.volumes
    .filter((v) => v.attachedTo && !devices.includes(v.attachedTo.device))
    .map((v) => ({
      device: v.attachedTo?.device ?? "",
      volumeId: v.volumeId,
      reason:
        "not in the set: snapfleet has no snapshot of this drive (its volume is not backed up, e.g. Backup=false)",
    }));
}

function noSetMessage(
  request: SetRestoreRequest,
  instance: TargetInstance,
  choice: SetChoice,
  pointCount: number,
): string {
  const what = request.host ? `host ${request.host}` : `instance ${instance.instanceId}`;
  const where = `${what} in ${request.region}`;
  const when = request.at ? ` at or before ${request.at}` : "";
  if (pointCount === 0)
    return `No snapshot of ${where}. Check the name or id (\`snapfleet snapshots\` lists recovery points), or pass --region for the DR region.`;
  const drives = choice.required.join(", ");
  const tried = choice.skipped
    .slice(0, 5)
    .map((s) => `\n  - ${describeSet(s.set)}: ${s.reason}`)
    .join("");
  const more = choice.skipped.length > 5 ? `\n  - and ${choice.skipped.length - 5} older` : "";
  const none =
    choice.skipped.length === 0
      ? ` No recovery point of ${where} was taken${when}: pass a later --at, or omit it for the newest.`
      : `${tried}${more}\n`;
  return (
    `No set or run of ${where}${when} has a completed snapshot of every drive (${drives}).${none}` +
    (choice.skipped.length === 0
      ? ""
      : "Restore the drives one by one with --device (each from its own newest completed snapshot; " +
        "`snapfleet snapshots` lists them), or wait for pending snapshots to complete. For recovery points of " +
        "one instant, give the server the consistency `instance` (one CreateSnapshots call per server).")
  );
}

/** The plan as `--json` prints it: per drive what it restores, from what, and the steps in order. */
export function setPlanView(plan: SetRestorePlan) {
  const { drives, request: _, ...rest } = plan;
  return {
    ...rest,
    drives: drives.map(({ consistency, plan: d }) => ({
      device: d.device,
      isRootDevice: d.isRootDevice,
      currentVolumeId: d.currentVolumeId,
      snapshotId: d.snapshot?.snapshotId ?? null,
      takenAt: d.snapshot?.takenAt ?? null,
      consistency,
      volume: d.volume,
    })),
  };
}
