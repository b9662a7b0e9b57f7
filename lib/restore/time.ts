/**
 * `--at` and the restore input's `at`: an ISO 8601 date and time with seconds optional, a fraction
 * of a second optional, and a zone (`Z` or `±hh:mm`) required, on a real calendar day. `Date.parse`
 * is not used to decide: it reads `0` as 2000-01-01 and rolls 2026-02-30 over into March, which
 * would restore newer data than asked for.
 */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/i;

export const ISO_TIME_EXAMPLE = "2026-11-30T00:00:00Z";

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The instant `text` names, or `undefined` when it is not such a time. */
export function parseIsoTime(text: string): Date | undefined {
  const m = ISO_TIME.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59;
  if (!valid) return undefined;
  const millis = Math.floor(Number(`0.${m[7] ?? "0"}`) * 1000);
  const sign = m[9] === "-" ? -1 : 1;
  const offset = m[8] ? 0 : sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  const utc = new Date(Date.UTC(2000, 0, 1, hour, minute, second, millis));
  utc.setUTCFullYear(year, month - 1, day); // Date.UTC would read years 0-99 as 1900-1999
  return new Date(utc.getTime() - offset);
}
