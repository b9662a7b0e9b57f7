/**
 * Retention policies: comma- or space-separated rules `<n>h`, `<n>d`, `<n>w`, `<n>m`, `<n>y`, each
 * keeping the newest snapshot in each of the last n hours/days/ISO weeks/months/years that have
 * snapshots (restic's keep-hourly/daily/weekly/monthly/yearly). A bare number means days. Periods
 * are UTC.
 */
export type RetentionUnit = "h" | "d" | "w" | "m" | "y";

export interface RetentionRule {
  unit: RetentionUnit;
  count: number;
}

export interface RetentionPolicy {
  text: string;
  rules: RetentionRule[];
}

export type ParseResult = { ok: true; policy: RetentionPolicy } | { ok: false; reason: string };

export const RETENTION_GRAMMAR =
  "comma- or space-separated rules <n>h, <n>d, <n>w, <n>m, <n>y (a bare number means days), n from 1 to 10000, for example 7d,4w,12m";

const MAX_COUNT = 10_000;
const RULE = /^(\d+)([hdwmy]?)$/i;

export function parseRetention(text: string): ParseResult {
  const parts = text
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  if (parts.length === 0) return { ok: false, reason: "the value is empty" };
  const rules: RetentionRule[] = [];
  for (const part of parts) {
    const match = RULE.exec(part);
    if (!match) return { ok: false, reason: `"${part}" is not a rule` };
    const count = Number(match[1]);
    if (count < 1 || count > MAX_COUNT) {
      return { ok: false, reason: `"${part}" keeps ${count}; n must be from 1 to ${MAX_COUNT}` };
    }
    const unit = (match[2] || "d").toLowerCase() as RetentionUnit;
    if (rules.some((rule) => rule.unit === unit))
      return { ok: false, reason: `unit "${unit}" appears twice` };
    rules.push({ unit, count });
  }
  return { ok: true, policy: { text: text.trim(), rules } };
}

/** Calendar fields of a moment in a time zone ("UTC" by default). */
function localParts(time: Date, timeZone: string): { y: number; mo: number; d: number; h: number } {
  if (timeZone === "UTC") {
    return {
      y: time.getUTCFullYear(),
      mo: time.getUTCMonth() + 1,
      d: time.getUTCDate(),
      h: time.getUTCHours(),
    };
  }
  const parts = formatter(timeZone).formatToParts(time);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { y: get("year"), mo: get("month"), d: get("day"), h: get("hour") % 24 };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this runtime knows, such as "Europe/Berlin". */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * The period a moment falls in, as a comparable key, in the given time zone (UTC by default).
 * Weeks are ISO weeks, starting Monday, keyed by their Monday's date.
 */
export function periodKey(time: Date, unit: RetentionUnit, timeZone = "UTC"): string {
  const { y, mo, d, h } = localParts(time, timeZone);
  switch (unit) {
    case "h":
      return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}`;
    case "d":
      return `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
    case "m":
      return `${pad(y, 4)}-${pad(mo)}`;
    case "y":
      return pad(y, 4);
    case "w": {
      const localDay = Date.UTC(y, mo - 1, d);
      const weekday = (new Date(localDay).getUTCDay() + 6) % 7; // Monday = 0
      return `W${new Date(localDay - weekday * 86_400_000).toISOString().slice(0, 10)}`;
    }
  }
}

export interface RetentionCandidate {
  id: string;
  startTime: Date;
}

/**
 * Which of `snapshots` (completed, managed snapshots of one volume) the policy keeps. The caller
 * passes the snapshot this run is taking, so the newest period is already filled by it.
 */
export function keptByPolicy(
  snapshots: RetentionCandidate[],
  policy: RetentionPolicy,
  timeZone = "UTC",
): Set<string> {
  const ordered = [...snapshots].sort(
    (a, b) => b.startTime.getTime() - a.startTime.getTime() || a.id.localeCompare(b.id),
  );
  const kept = new Set<string>();
  const newest = ordered[0];
  // The newest is always kept; snapshots started in the same instant are all "the newest".
  for (const s of ordered) {
    if (s.startTime.getTime() !== newest?.startTime.getTime()) break;
    kept.add(s.id);
  }
  for (const rule of policy.rules) {
    let remaining = rule.count;
    let lastPeriod: string | undefined;
    for (const snapshot of ordered) {
      if (remaining === 0) break;
      const period = periodKey(snapshot.startTime, rule.unit, timeZone);
      if (period === lastPeriod) continue;
      lastPeriod = period;
      kept.add(snapshot.id);
      remaining -= 1;
    }
  }
  return kept;
}

export interface SnapshotFacts {
  id: string;
  startTime: Date;
  state: string;
  managed: boolean;
}

/**
 * The snapshots of one volume that may be deleted once `newest` (this run's snapshot; absent for
 * an orphan) is completed: managed, completed, and not kept by the policy. The newest completed
 * snapshot (counting `newest`), pending and error ones, and unmanaged ones are never candidates.
 */
export function pruneCandidates(
  snapshots: SnapshotFacts[],
  policy: RetentionPolicy,
  options: { newest?: Date | undefined; timeZone?: string | undefined } = {},
): string[] {
  const completed = snapshots.filter((s) => s.state === "completed");
  const thisRun = options.newest ? [{ id: "\u0000this run", startTime: options.newest }] : [];
  const kept = keptByPolicy([...completed, ...thisRun], policy, options.timeZone);
  return completed
    .filter((s) => s.managed && !kept.has(s.id))
    .map((s) => s.id)
    .sort();
}
