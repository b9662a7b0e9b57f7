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

/** The period a moment falls in, as a comparable key. Weeks are ISO weeks, starting Monday. */
export function periodKey(time: Date, unit: RetentionUnit): string {
  const iso = time.toISOString();
  switch (unit) {
    case "h":
      return iso.slice(0, 13);
    case "d":
      return iso.slice(0, 10);
    case "m":
      return iso.slice(0, 7);
    case "y":
      return iso.slice(0, 4);
    case "w": {
      const day = Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate());
      const weekday = (time.getUTCDay() + 6) % 7; // Monday = 0
      const monday = new Date(day - weekday * 86_400_000);
      return `W${monday.toISOString().slice(0, 10)}`;
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
export function keptByPolicy(snapshots: RetentionCandidate[], policy: RetentionPolicy): Set<string> {
  const ordered = [...snapshots].sort(
    (a, b) => b.startTime.getTime() - a.startTime.getTime() || a.id.localeCompare(b.id),
  );
  const kept = new Set<string>();
  const newest = ordered[0];
  if (newest) kept.add(newest.id);
  for (const rule of policy.rules) {
    let remaining = rule.count;
    let lastPeriod: string | undefined;
    for (const snapshot of ordered) {
      if (remaining === 0) break;
      const period = periodKey(snapshot.startTime, rule.unit);
      if (period === lastPeriod) continue;
      lastPeriod = period;
      kept.add(snapshot.id);
      remaining -= 1;
    }
  }
  return kept;
}
