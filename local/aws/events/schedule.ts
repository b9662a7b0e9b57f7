import { CronExpressionParser } from "cron-parser";
import { AwsError } from "../errors";

/**
 * EventBridge schedule expressions, in UTC: `cron(Minutes Hours Day-of-month Month Day-of-week Year)`
 * and `rate(Value Unit)`.
 * - cron: six fields; one of Day-of-month and Day-of-week must be `?`; Day-of-week counts 1-7 from
 *   Sunday (or SUN-SAT); the Year field takes `*`, a year, a range or a list. The rest is read by
 *   cron-parser (5 fields, Day-of-week 0-6 from Sunday), after translating those differences.
 * - rate: a positive whole number and `minute`/`hour`/`day` (singular for 1, plural otherwise); the
 *   first run is one period after the rule is created.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html
 */
export interface Schedule {
  /** The first run time strictly after `after`, or undefined when there is none. */
  next(after: Date): Date | undefined;
}

const invalid = () => new AwsError("ValidationException", "Parameter ScheduleExpression is not valid.");

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export function parseSchedule(expression: string, createdAt: Date): Schedule {
  const rate = RATE.exec(expression);
  if (rate) return rateSchedule(Number(rate[1]), rate[2] as string, createdAt);
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) return cronSchedule(cron[1] as string);
  throw invalid();
}

function rateSchedule(value: number, unit: string, createdAt: Date): Schedule {
  const singular = unit.replace(/s$/, "");
  if (value < 1 || (value === 1) !== (unit === singular)) throw invalid();
  const period = value * (UNIT_MS[singular] as number);
  const origin = createdAt.getTime();
  return {
    next(after) {
      const k = Math.max(1, Math.floor((after.getTime() - origin) / period) + 1);
      return new Date(origin + k * period);
    },
  };
}

/** Day-of-week 1-7 (Sunday first) as cron-parser's 0-6; names, `L` and `#` keep their meaning. */
function dayOfWeek(field: string): string {
  return field.replace(/\d+/g, (n, offset: number, whole: string) => {
    // The number after `#` is the week of the month, not a day.
    if (whole[offset - 1] === "#") return n;
    const day = Number(n);
    if (day < 1 || day > 7) throw invalid();
    return String(day - 1);
  });
}

function yearMatcher(field: string): (year: number) => boolean {
  if (field === "*") return () => true;
  const parts = field.split(",").map((part) => {
    const range = /^(\d{4})(?:-(\d{4}))?$/.exec(part);
    if (!range) throw invalid();
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    return (year: number) => year >= from && year <= to;
  });
  return (year) => parts.some((p) => p(year));
}

function cronSchedule(body: string): Schedule {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) throw invalid();
  const [minutes, hours, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === "?") === (dow === "?")) throw invalid();
  const expression = `${minutes} ${hours} ${dom === "?" ? "*" : dom} ${month} ${dow === "?" ? "*" : dayOfWeek(dow)}`;
  const inYear = yearMatcher(year);
  try {
    CronExpressionParser.parse(expression, { tz: "UTC" });
  } catch {
    throw invalid();
  }
  return {
    next(after) {
      const times = CronExpressionParser.parse(expression, { currentDate: after, tz: "UTC" });
      for (let i = 0; i < 10_000 && times.hasNext(); i += 1) {
        const at = times.next().toDate();
        if (at.getUTCFullYear() > 2199) return undefined;
        if (inYear(at.getUTCFullYear())) return at;
      }
      return undefined;
    },
  };
}
