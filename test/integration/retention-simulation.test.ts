import { toTagMap } from "../../lib/tags";
import { runBackupCycle } from "../../local/cycle";
import { DAY_MS, launchInstance, listSnapshots, startTestAws } from "../helpers/aws";

/**
 * 400 days of daily runs on the embedded AWS, some days missed, with `7d,4w,12m,2y` on the
 * instance and `14d,6m` as DrRetention. Afterwards the snapshots left in each region must be
 * exactly the calendar set an independent reckoning expects from the days that ran.
 */
type Unit = "d" | "w" | "m" | "y";

/** Calendar period of a UTC day, computed without lib/retention. */
function calendarKey(day: Date, unit: Unit): string {
  const y = day.getUTCFullYear();
  const m = day.getUTCMonth() + 1;
  if (unit === "y") return `${y}`;
  if (unit === "m") return `${y}-${String(m).padStart(2, "0")}`;
  if (unit === "d") return day.toISOString().slice(0, 10);
  const mondayOffset = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - mondayOffset * DAY_MS).toISOString().slice(0, 10);
}

/** For each rule: group the run days by period, take the n latest periods, keep the last day of each. */
function expectedDays(runDays: Date[], rules: [Unit, number][]): Set<string> {
  const kept = new Set<string>();
  for (const [unit, n] of rules) {
    const lastDayOfPeriod = new Map<string, Date>();
    for (const day of runDays) {
      const key = calendarKey(day, unit);
      const seen = lastDayOfPeriod.get(key);
      if (!seen || seen < day) lastDayOfPeriod.set(key, day);
    }
    const latest = [...lastDayOfPeriod.keys()].sort().reverse().slice(0, n);
    for (const key of latest) kept.add((lastDayOfPeriod.get(key) as Date).toISOString().slice(0, 10));
  }
  return kept;
}

const missed = (day: number) => day % 13 === 5 || (day >= 100 && day < 106) || (day >= 250 && day < 290);

describe("400 days of daily runs", () => {
  it("leaves exactly the expected calendar set in the primary and the DR region", async () => {
    const start = Date.UTC(2025, 10, 3, 3);
    const aws = await startTestAws(start);
    try {
      const instance = await launchInstance(aws, {
        tags: { Name: "sim", Backup: "true", Retention: "7d,4w,12m,2y", DrRetention: "14d,6m" },
      });
      const config = aws.config();
      const runDays: Date[] = [];
      for (let day = 0; day < 400; day += 1) {
        const dayStart = start + day * DAY_MS;
        if (aws.clock.nowMs() < dayStart) aws.clock.advance(dayStart - aws.clock.nowMs());
        if (missed(day)) continue;
        const { drives } = await runBackupCycle(config, aws.clock);
        expect(drives.map((d) => d.status)).toEqual(["ok"]);
        runDays.push(new Date(dayStart));
      }

      const daysLeft = async (region: string) =>
        (await listSnapshots(aws, region))
          .filter((s) => toTagMap(s.Tags)["snapfleet:volume-id"] === instance.rootVolumeId)
          .map((s) => (s.StartTime as Date).toISOString().slice(0, 10))
          .sort();
      const primary = await daysLeft("us-east-1");
      const dr = await daysLeft("us-west-2");

      expect(runDays.length).toBeLessThan(400);
      expect(primary).toEqual(
        [
          ...expectedDays(runDays, [
            ["d", 7],
            ["w", 4],
            ["m", 12],
            ["y", 2],
          ]),
        ].sort(),
      );
      expect(dr).toEqual(
        [
          ...expectedDays(runDays, [
            ["d", 14],
            ["m", 6],
          ]),
        ].sort(),
      );
    } finally {
      await aws.stop();
    }
  }, 600_000);
});
