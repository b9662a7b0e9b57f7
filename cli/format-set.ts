import type { SetRestorePlan } from "../lib/restore/set-plan";
import type { SetOutcome } from "../lib/restore/set-run";
import { stepText, table } from "./format";

/** A set plan for people: the recovery point, one row per drive, what is left alone, the steps. */
export function formatSetPlan(plan: SetRestorePlan): string {
  const i = plan.instance;
  const rows: [string, string][] = [
    [
      "instance",
      `${i.instanceId}${i.host ? ` (${i.host})` : ""}, ${i.state}, ${i.availabilityZone}, root device ${i.rootDeviceName}`,
    ],
  ];
  const point = plan.recoveryPoint;
  if (point) {
    const why = plan.at ? `newest complete at or before ${plan.at}` : "newest complete";
    const instant = point.oneInstant
      ? "every drive at one instant"
      : "NOT one instant: each drive snapshotted on its own";
    const what =
      point.kind === "set"
        ? `set ${point.id} taken ${point.takenAt}`
        : `run ${point.id}, ${point.firstTakenAt} to ${point.takenAt}`;
    rows.push(["recovery point", `${what} (${why}); consistency ${point.consistency}, ${instant}`]);
  }
  for (const u of plan.untouched) rows.push(["left alone", `${u.device} ${u.volumeId}: ${u.reason}`]);
  rows.push([
    "stop",
    plan.stopInstance
      ? "yes, once for every drive; started again afterwards"
      : plan.attach
        ? `no (it is ${i.state})`
        : "no",
  ]);
  rows.push([
    "steps",
    plan.steps.map((s) => `${s.device ? `${s.device} ` : ""}${stepText(s.step)}`).join(", "),
  ]);
  for (const check of plan.checks) rows.push(["checked", check]);
  for (const note of plan.notes) rows.push(["note", note]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const title = plan.mode === "rollback" ? "Rollback plan, every drive" : "Restore plan, every drive";
  const drives = table(
    [
      "DEVICE",
      "NOW",
      plan.mode === "rollback" ? "SWAP BACK" : "SNAPSHOT",
      "TAKEN",
      "CONSISTENCY",
      "NEW VOLUME",
    ],
    plan.drives.map(({ consistency, plan: d }) => {
      const v = d.volume;
      const encryption = v.encrypted ? `encrypted (${v.kmsKeyId ?? "aws/ebs"})` : "not encrypted";
      return [
        `${d.device}${d.isRootDevice ? " (root)" : ""}`,
        d.currentVolumeId ?? "nothing attached",
        d.snapshot?.snapshotId ?? v.volumeId ?? "-",
        d.snapshot?.takenAt ?? "-",
        consistency ?? "-",
        v.volumeId && d.mode === "rollback"
          ? "-"
          : `${v.sizeGiB} GiB ${v.volumeType}, ${v.availabilityZone}, ${encryption}`,
      ];
    }),
  );
  return [
    title,
    ...rows.slice(0, point ? 2 : 1).map(([k, val]) => `  ${k.padEnd(width)}  ${val}`),
    ...drives.split("\n").map((line) => `  ${line}`),
    ...rows.slice(point ? 2 : 1).map(([k, val]) => `  ${k.padEnd(width)}  ${val}`),
  ].join("\n");
}

export function formatSetOutcome(result: SetOutcome, rollbackHint: string | null): string {
  const lines = result.drives.map((d) => {
    if (result.mode === "rollback")
      return `  ${d.device}: ${d.volumeId} is attached again; ${d.previousVolumeId ?? "the restored volume"} is kept`;
    if (!result.attached)
      return `  ${d.device}: created ${d.volumeId} from ${d.snapshotId}, available, not attached`;
    const previous = d.previousVolumeId ? `; previous ${d.previousVolumeId} kept` : "";
    return `  ${d.device}: ${d.volumeId} from ${d.snapshotId} attached${previous}`;
  });
  const head =
    result.mode === "rollback"
      ? `Rolled back every drive of ${result.instanceId} (instance ${result.instanceState}):`
      : result.attached
        ? `Restored every drive of ${result.instanceId} (instance ${result.instanceState}):`
        : `Created a volume for every drive of ${result.instanceId}:`;
  const back = rollbackHint ? [`To swap them back: ${rollbackHint}`] : [];
  return [head, ...lines, ...back].join("\n");
}
