import type { DriveRecord } from "../lib/drive";

const COLUMNS: { header: string; value: (d: DriveRecord) => string }[] = [
  { header: "INSTANCE", value: (d) => d.instanceId },
  { header: "HOST", value: (d) => d.host },
  { header: "DEVICE", value: (d) => d.device },
  { header: "VOLUME", value: (d) => d.volumeId },
  { header: "SNAPSHOT", value: (d) => d.snapshotId ?? "-" },
  { header: "STATE", value: (d) => d.snapshotState ?? "-" },
  { header: "SIZE", value: (d) => `${d.sizeGiB} GiB` },
  { header: "ELAPSED", value: (d) => (d.elapsedSeconds === null ? "-" : `${d.elapsedSeconds} s`) },
  { header: "PRUNED", value: (d) => `${d.pruned.length}+${d.drPruned.length} DR` },
  { header: "DR COPY", value: (d) => d.drSnapshotId ?? "-" },
  { header: "CONSISTENCY", value: (d) => d.consistency ?? "-" },
  {
    header: "STATUS",
    value: (d) =>
      [
        d.status === "ok" ? "ok" : `failed: ${d.reason ?? "unknown"}`,
        ...(d.consistencyNote ? [`(consistency: ${d.consistencyNote})`] : []),
      ].join(" "),
  },
];

/** One row per server and drive, columns aligned; the status column is last so long reasons don't misalign. */
export function formatReport(drives: DriveRecord[]): string {
  const rows = [COLUMNS.map((c) => c.header), ...drives.map((d) => COLUMNS.map((c) => c.value(d)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  "),
    )
    .join("\n");
}
