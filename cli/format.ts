import type { RestorePlan, StepName } from "../lib/restore/plan";
import type { RecoveryPoint } from "../lib/restore/points";
import type { RestoreOutcome } from "../lib/restore/run";

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  "),
    )
    .join("\n");
}

/** Recovery points grouped by host and drive (the order findRecoveryPoints gives within each). */
export function formatPoints(points: RecoveryPoint[]): string {
  const sorted = [...points].sort(
    (a, b) =>
      a.host.localeCompare(b.host) ||
      a.instanceId.localeCompare(b.instanceId) ||
      a.device.localeCompare(b.device) ||
      b.takenAt.localeCompare(a.takenAt),
  );
  return table(
    ["HOST", "INSTANCE", "DEVICE", "TIME", "SNAPSHOT", "SIZE", "STATE", "REGION", "SOURCE"],
    sorted.map((p) => [
      p.host || "-",
      p.instanceId || "-",
      p.device || "-",
      p.takenAt,
      p.snapshotId,
      `${p.sizeGiB} GiB`,
      p.state === "completed" ? p.state : `${p.state} ${p.progress}`.trim(),
      p.region,
      p.sourceSnapshotId ? `copy of ${p.sourceSnapshotId} (${p.sourceRegion})` : "-",
    ]),
  );
}

const STEP_TEXT: Record<StepName, string> = {
  "create-volume": "create the volume",
  "stop-instance": "stop the instance",
  "tag-replaced": "tag the current volume as replaced",
  "detach-volume": "detach the current volume",
  "attach-volume": "attach the new volume",
  "start-instance": "start the instance",
};

export function stepText(step: StepName): string {
  return STEP_TEXT[step];
}

export function formatPlan(plan: RestorePlan): string {
  const v = plan.volume;
  const i = plan.instance;
  const rows: [string, string][] = [
    [
      "instance",
      `${i.instanceId}${i.host ? ` (${i.host})` : ""}, ${i.state}, ${i.availabilityZone}, root device ${i.rootDeviceName}`,
    ],
    [
      "device",
      `${plan.device}${plan.isRootDevice ? " (root)" : ""}, now ${plan.currentVolumeId ?? "nothing attached"}`,
    ],
  ];
  if (plan.snapshot) {
    const s = plan.snapshot;
    const why = plan.at ? `newest completed at or before ${plan.at}` : "newest completed";
    rows.push(["snapshot", `${s.snapshotId} taken ${s.takenAt} (${why}), ${s.region}`]);
  }
  if (plan.mode === "rollback")
    rows.push(["swap back", `${v.volumeId} (${v.tags["snapfleet:replaced-reason"] ?? "replaced"})`]);
  else if (v.volumeId) rows.push(["volume", `${v.volumeId} (continuing a restore)`]);
  const perf = [v.iops !== null ? `${v.iops} IOPS` : "", v.throughput !== null ? `${v.throughput} MiB/s` : ""]
    .filter(Boolean)
    .join(", ");
  rows.push(["zone", v.availabilityZone]);
  rows.push(["size, type", `${v.sizeGiB} GiB ${v.volumeType}${perf ? ` (${perf})` : ""}`]);
  rows.push(["encryption", v.encrypted ? `encrypted, KMS key ${v.kmsKeyId ?? "aws/ebs"}` : "not encrypted"]);
  if (plan.mode === "restore" && !v.volumeId)
    rows.push([
      "tags",
      Object.entries(v.tags)
        .map(([k, val]) => `${k}=${val}`)
        .join(", "),
    ]);
  rows.push([
    "stop",
    plan.stopInstance
      ? `yes: ${plan.stopReason}${plan.instance.state === "running" ? "; started again afterwards" : ` (it is ${plan.instance.state})`}`
      : "no",
  ]);
  rows.push(["steps", plan.steps.length > 0 ? plan.steps.map(stepText).join(", ") : "none"]);
  for (const check of plan.checks) rows.push(["checked", check]);
  for (const note of plan.notes) rows.push(["note", note]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const title = plan.mode === "rollback" ? "Rollback plan" : "Restore plan";
  return [title, ...rows.map(([k, val]) => `  ${k.padEnd(width)}  ${val}`)].join("\n");
}

export function formatOutcome(result: RestoreOutcome, rollbackHint: string | null): string {
  if (result.mode === "rollback") {
    return `Rolled back: ${result.volumeId} is attached to ${result.instanceId} at ${result.device} again (instance ${result.instanceState}); ${result.previousVolumeId ?? "the restored volume"} is kept.`;
  }
  if (!result.attached) {
    return `Created ${result.volumeId} from ${result.snapshotId}; it is available and not attached.`;
  }
  const previous = result.previousVolumeId
    ? ` The previous volume ${result.previousVolumeId} is kept, tagged snapfleet:replaced-by=${result.volumeId}.`
    : "";
  const back = rollbackHint ? `\nTo swap it back: ${rollbackHint}` : "";
  return `Restored ${result.volumeId}${result.snapshotId ? ` from ${result.snapshotId}` : ""} and attached it to ${result.instanceId} at ${result.device} (instance ${result.instanceState}).${previous}${back}`;
}
