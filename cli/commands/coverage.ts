import { type CoverageReport, coverageReport, type DriveCoverage, formatHours } from "../../lib/coverage";
import { listInventory } from "../../lib/coverage-inventory";
import { parseRetention } from "../../lib/retention";
import { type CliContext, defaultContext } from "../context";
import { EXIT, reportError, UsageError } from "../errors";
import { table } from "../format";
import { requireRegion } from "../options";

/** A daily schedule plus two hours' grace for a run that starts late or takes long. */
export const DEFAULT_MAX_AGE_HOURS = 26;

export interface CoverageOptions {
  region?: string;
  drRegion?: string;
  maxAge?: string;
  selectionTag?: string;
  json?: boolean;
}

/**
 * `snapfleet coverage`: every instance and volume in the region, whether it is backed up (and why
 * not), its newest completed recovery point in each region and its age. Exits EXIT.breach when a
 * selected drive has none, or none recent enough, so cron or CI can run it.
 */
export default async function coverage(
  options: CoverageOptions,
  context: CliContext = defaultContext(),
): Promise<number> {
  const json = Boolean(options.json);
  try {
    const region = requireRegion(options, context);
    const drRegion = options.drRegion ?? context.env.SNAPFLEET_DR_REGION ?? "";
    if (drRegion === region)
      throw new UsageError(`--dr-region ${drRegion} is the region itself: pass the DR region, or omit it`);
    const maxAgeHours = parseMaxAge(options.maxAge);
    const defaultRetention = context.env.SNAPFLEET_DEFAULT_RETENTION || "7";
    if (!parseRetention(defaultRetention).ok)
      throw new UsageError(
        `SNAPFLEET_DEFAULT_RETENTION=${JSON.stringify(defaultRetention)} is not a retention policy: set it as the stack's default, e.g. 7d`,
      );
    const deps = context.deps();
    const inventory = await listInventory({ region, drRegion }, deps);
    const report = coverageReport({
      region,
      drRegion,
      selectionTag: options.selectionTag ?? (context.env.SNAPFLEET_SELECTION_TAG || "Backup"),
      defaultRetention,
      maxAgeHours,
      now: deps.clock.now(),
      ...inventory,
    });
    if (json) context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else context.stdout.write(`${formatCoverage(report)}\n`);
    if (report.summary.breaches === 0) return EXIT.ok;
    context.stderr.write(
      `snapfleet: ${report.summary.breaches} selected drive${report.summary.breaches === 1 ? "" : "s"} without a completed recovery point in the last ${maxAgeHours}h in ${region}\n`,
    );
    return EXIT.breach;
  } catch (error) {
    return reportError(error, context, json);
  }
}

function parseMaxAge(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MAX_AGE_HOURS;
  const hours = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(hours > 0))
    throw new UsageError(
      `--max-age ${JSON.stringify(text)} is not a number of hours: pass e.g. 26 for a daily schedule`,
    );
  return hours;
}

function age(point: DriveCoverage["primary"]["newest"]): string {
  return point ? formatHours(point.ageHours) : "-";
}

function retentionText(d: DriveCoverage): string {
  const { primary, dr } = d.retention;
  if (primary.policy === null && primary.source === "-") return "-";
  const one = (r: typeof primary) =>
    r.problem ? `${r.policy ?? "?"} (problem: ${r.problem})` : `${r.policy} (${r.source})`;
  const drText = dr.source.startsWith("as ") ? "" : `, DR ${one(dr)}`;
  return `${one(primary)}${drText}`;
}

function status(d: DriveCoverage): string {
  if (d.breach) return `BREACH: ${d.breach}`;
  if (!d.selected) return `not selected: ${d.notSelectedReason ?? ""}`;
  return "ok";
}

/** One row per drive, breaches first, then a summary line. */
export function formatCoverage(report: CoverageReport): string {
  const dr = report.drRegion;
  const rows = report.drives.map((d) => [
    d.host ?? "-",
    d.instanceId ?? "-",
    d.device ?? "-",
    d.volumeId ?? "-",
    d.primary.newest?.snapshotId ?? "-",
    age(d.primary.newest),
    d.primary.newest?.consistency ?? "-",
    ...(dr ? [d.dr?.newest?.snapshotId ?? "-", age(d.dr?.newest ?? null)] : []),
    `${d.primary.snapshots} (${d.primary.sizeGiB} GiB)${dr ? ` + ${d.dr?.snapshots ?? 0} DR (${d.dr?.sizeGiB ?? 0} GiB)` : ""}`,
    retentionText(d),
    status(d),
  ]);
  const header = [
    "HOST",
    "INSTANCE",
    "DEVICE",
    "VOLUME",
    `NEWEST ${report.region}`,
    "AGE",
    "CONSISTENCY",
    ...(dr ? [`NEWEST ${dr}`, "AGE"] : []),
    "SNAPSHOTS",
    "RETENTION",
    "STATUS",
  ];
  const s = report.summary;
  const n = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;
  const summary =
    `${n(s.selected, "selected drive")}, ${s.breaches} in breach ` +
    `(newest recovery point older than ${report.maxAgeHours}h, or none), ${s.notSelected} not selected; ` +
    `${n(s.instances, "instance")}, ${n(s.volumes, "volume")} in ${report.region}` +
    `${dr ? `, DR region ${dr}` : ", no DR region (pass --dr-region)"}; checked ${report.checkedAt}`;
  return `${table(header, rows)}\n\n${summary}`;
}
