import { buildFleet, startBenchAws } from "../../bench/fleet";
import { localConfig, runBackupCycle } from "../../local/cycle";

/**
 * A fleet on the embedded AWS with its quotas on (aws-limits.md): the run must stay inside every
 * one of them — no throttled call, no limit error — and still back up every drive.
 */
describe("a 400-volume run with AWS's quotas enforced", () => {
  it("backs up every drive without one throttled call or limit error, with few Describe calls", async () => {
    const { clock, emulator } = await startBenchAws();
    try {
      const fleet = await buildFleet(emulator.endpoint, "us-east-1", 400, clock);
      const config = localConfig({ endpoint: emulator.endpoint, defaultRetention: "1" });
      clock.advance(3 * 3600_000);
      await runBackupCycle(config, clock);
      clock.advance(86_400_000);
      const before = emulator.quotaStats();
      const requestsBefore = emulator.requests().length;

      const { drives, stats } = await runBackupCycle(config, clock);

      const after = emulator.quotaStats();
      const describes = emulator
        .requests()
        .slice(requestsBefore)
        .filter((r) => r.service === "ec2" && r.action.startsWith("Describe")).length;
      expect(drives).toHaveLength(fleet.volumes);
      expect(drives.filter((d) => d.status !== "ok")).toEqual([]);
      expect(drives.every((d) => d.pruned.length === 1 && d.drPruned.length === 1)).toBe(true);
      expect(after.throttled - before.throttled).toBe(0);
      expect(after.limitErrors - before.limitErrors).toBe(0);
      // One status check per snapshot and per copy, at their predicted completion (the timetable).
      expect(describes / fleet.volumes).toBeLessThanOrEqual(2.1);
      // About 10 transitions per volume, plus one per server: its Consistency? choice (issue 14).
      expect((stats.stateTransitions - fleet.instances) / fleet.volumes).toBeLessThanOrEqual(10.1);
      expect(stats.largestPayloadBytes).toBeLessThan(4096);
    } finally {
      await emulator.stop();
    }
  }, 120_000);
});
