/**
 * restic's forget, driven by the agent's keep rules, keeps exactly what snapfleet's retention
 * grammar promises: checked on a real restic repository (embedded S3) with snapshots taken at
 * chosen times (restic backup --time). The expected sets are reckoned by hand from a calendar:
 *
 *   A 2026-09-15 10:00 Tue (ISO week 38)   E 2026-11-02 20:00 Mon (week 45)
 *   B 2026-10-20 10:00 Tue (week 43)       F 2026-11-04 09:00 Wed (week 45)
 *   C 2026-10-31 23:00 Sat (week 44)       G 2026-11-05 09:00 Thu (week 45)
 *   D 2026-11-02 08:00 Mon (week 45)       (times UTC)
 *
 * Policy 3d,2w,2m in UTC: newest G; days 11-05 G, 11-04 F, 11-02 E; weeks 45 G, 44 C; months
 * Nov G, Oct C. Kept C E F G; forgotten A B D.
 * In Europe/Berlin (UTC+1 on those dates) C is Sun 2026-11-01 00:00, still ISO week 44 but in
 * November: months Nov G, Oct B. Kept B C E F G; forgotten A D.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AGENT_TAG, applyRetention } from "../../lib/agent/backup";
import type { PathRecord } from "../../lib/agent/metrics";
import { jsonLines, mustRun, resticTime } from "../../lib/agent/restic";
import { listAgentSnapshots } from "../../lib/agent/snapshots";
import { silentLog } from "../../lib/deps";
import { parseRetention, type RetentionPolicy } from "../../lib/retention";
import type { RealClock } from "../../local/aws/clock";
import { type Emulator, startEmulator } from "../../local/aws/server";
import { agentWorld, createBucket, installAgent, resticAvailable, worldRestic } from "./helpers";

const describeWithRestic = resticAvailable() ? describe : describe.skip;

const SEEDS: Record<string, string> = {
  A: "2026-09-15T10:00:00Z",
  B: "2026-10-20T10:00:00Z",
  C: "2026-10-31T23:00:00Z",
  D: "2026-11-02T08:00:00Z",
  E: "2026-11-02T20:00:00Z",
  F: "2026-11-04T09:00:00Z",
  G: "2026-11-05T09:00:00Z",
};

describeWithRestic("retention on a real restic repository", () => {
  let emulator: Emulator<RealClock>;
  let scratch: string;
  beforeAll(async () => {
    emulator = await startEmulator({});
    await createBucket(emulator);
    scratch = mkdtempSync(path.join(tmpdir(), "snapfleet-retention-"));
  });
  afterAll(async () => {
    await emulator.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function keptAfter(policyText: string, timeZone: string, server: string): Promise<string[]> {
    const source = path.join(scratch, server);
    mkdirSync(source);
    const world = agentWorld(emulator, { server, paths: [source], overrides: { timeZone } });
    await installAgent(world);
    const restic = worldRestic(world);
    const label = new Map<string, string>();
    for (const [name, iso] of Object.entries(SEEDS)) {
      writeFileSync(path.join(source, "data"), name);
      const args = [
        "backup",
        "--json",
        "--time",
        resticTime(new Date(iso), timeZone),
        "--host",
        server,
        "--tag",
        AGENT_TAG,
        source,
      ];
      const out = await mustRun(restic, args, `seeding ${name}`);
      const summary = jsonLines(out.stdout).find((m) => m.message_type === "summary");
      label.set(String(summary?.snapshot_id), name);
    }
    const policy = (parseRetention(policyText) as { ok: true; policy: RetentionPolicy }).policy;
    const record: PathRecord = {
      path: source,
      status: "ok",
      reason: null,
      snapshotId: null,
      startedAt: new Date(),
      elapsedSeconds: 0,
      bytes: 0,
      forgotten: 0,
    };

    await applyRetention({ server, policy, records: [record] }, { restic, log: silentLog });

    const left = await listAgentSnapshots({ server }, restic);
    await mustRun(restic, ["check"], "check");
    expect(record.forgotten).toBe(Object.keys(SEEDS).length - left.length);
    const names = left.map((s) => label.get(s.shortId) ?? s.shortId);
    // The snapshots record the instants they were taken at, whatever the zone.
    expect(left.map((s) => s.time.toISOString())).toEqual(
      names.map((n) => new Date(SEEDS[n] ?? 0).toISOString()),
    );
    return names.sort();
  }

  it("keeps C E F G of A..G for 3d,2w,2m counted in UTC", async () => {
    expect(await keptAfter("3d,2w,2m", "UTC", "retention-utc")).toEqual(["C", "E", "F", "G"]);
  }, 120_000);

  it("keeps B C E F G for 3d,2w,2m counted in Europe/Berlin, where C falls on November 1", async () => {
    expect(await keptAfter("3d,2w,2m", "Europe/Berlin", "retention-berlin")).toEqual([
      "B",
      "C",
      "E",
      "F",
      "G",
    ]);
  }, 120_000);

  it("keeps only the newest, G, for 1h", async () => {
    expect(await keptAfter("1h", "UTC", "retention-newest")).toEqual(["G"]);
  }, 120_000);
});
