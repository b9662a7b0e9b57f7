/**
 * The agent end to end: the real restic binary against the embedded S3 over HTTP, the agent's
 * metrics in the embedded CloudWatch, through `snapfleet agent ...` in-process.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { mustRun } from "../../lib/agent/restic";
import { DEFAULT_NAMESPACE } from "../../lib/metric-names";
import type { RealClock } from "../../local/aws/clock";
import { type Emulator, startEmulator } from "../../local/aws/server";
import {
  agentWorld,
  backupAt,
  CREDENTIALS,
  cli,
  createBucket,
  generateTree,
  installAgent,
  readTree,
  resticAvailable,
  sameTree,
  worldRestic,
} from "./helpers";

const describeWithRestic = resticAvailable() ? describe : describe.skip;
const DAY_MS = 86_400_000;

describeWithRestic("snapfleet agent with restic and the embedded AWS", () => {
  let emulator: Emulator<RealClock>;
  let cloudwatch: CloudWatchClient;
  let scratch: string;

  beforeAll(async () => {
    emulator = await startEmulator({});
    await createBucket(emulator);
    cloudwatch = new CloudWatchClient({
      region: "us-east-1",
      endpoint: emulator.endpoint,
      credentials: CREDENTIALS,
    });
    scratch = mkdtempSync(path.join(tmpdir(), "snapfleet-agent-data-"));
  });
  afterAll(async () => {
    cloudwatch.destroy();
    await emulator.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function metricValues(server: string, drive: string, name: string, stat: string): Promise<number[]> {
    const now = Date.now();
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - 7 * DAY_MS),
        EndTime: new Date(now + 60_000),
        MetricDataQueries: [
          {
            Id: "m",
            MetricStat: {
              Metric: {
                Namespace: DEFAULT_NAMESPACE,
                MetricName: name,
                Dimensions: [
                  { Name: "Server", Value: server },
                  { Name: "Drive", Value: drive },
                ],
              },
              Period: 7 * 86_400,
              Stat: stat,
            },
          },
        ],
      }),
    );
    return out.MetricDataResults?.[0]?.Values ?? [];
  }

  it("backs up, changes, backs up again, restores both points in time byte for byte; restic check passes; metrics have Server and Drive", async () => {
    // Prepare: a generated tree and a server configured to back it up.
    const source = path.join(scratch, "www");
    generateTree(source, 1);
    const world = agentWorld(emulator, { server: "onprem-1", paths: [source] });
    const config = ["--config", world.configFile];
    await installAgent(world);

    // Act: back up two days ago, change (modify, add, delete), back up now.
    const now = Date.now();
    const first = await backupAt(world, new Date(now - 2 * DAY_MS));
    const state1 = readTree(source);
    const between = new Date(now - DAY_MS);
    appendFileSync(path.join(source, "dir-0/sub-0/file-0.bin"), Buffer.from("changed"));
    writeFileSync(path.join(source, "dir-1/new.txt"), "added after the first backup\n");
    unlinkSync(path.join(source, "dir-2/sub-2/file-3.bin"));
    const second = await cli(["agent", "backup", ...config], world.env);
    const state2 = readTree(source);
    const listed = await cli(["agent", "snapshots", "--json", ...config], world.env);
    const atFirst = path.join(scratch, "restore-1");
    const restored1 = await cli(
      ["agent", "restore", ...config, "--path", source, "--at", between.toISOString(), "--target", atFirst],
      world.env,
    );
    const atLatest = path.join(scratch, "restore-2");
    const restored2 = await cli(
      ["agent", "restore", ...config, "--path", source, "--target", atLatest],
      world.env,
    );
    const check = await worldRestic(world).run(["check", "--read-data"]);

    // Assert
    expect(first.paths.map((p) => p.status)).toEqual(["ok"]);
    expect([second.code, restored1.code, restored2.code]).toEqual([0, 0, 0]);
    expect(state1.size).toBe(state2.size); // one added, one deleted
    expect(sameTree(state1, state2)).toBe(false);
    const snapshots = JSON.parse(listed.stdout).snapshots as { path: string }[];
    expect(snapshots.map((s) => s.path)).toEqual([source, source]);
    expect(sameTree(readTree(path.join(atFirst, source)), state1)).toBe(true);
    expect(sameTree(readTree(path.join(atLatest, source)), state2)).toBe(true);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("no errors were found");
    const listedMetrics = await cloudwatch.send(
      new ListMetricsCommand({
        Namespace: DEFAULT_NAMESPACE,
        Dimensions: [
          { Name: "Server", Value: "onprem-1" },
          { Name: "Drive", Value: source },
        ],
      }),
    );
    expect(new Set(listedMetrics.Metrics?.map((m) => m.MetricName))).toEqual(
      new Set(["Errors", "ElapsedTime", "Size"]),
    );
    for (const m of listedMetrics.Metrics ?? [])
      expect(m.Dimensions).toEqual(expect.arrayContaining([{ Name: "Drive", Value: source }]));
    expect(await metricValues("onprem-1", source, "Errors", "Maximum")).toEqual([0]);
    expect(await metricValues("onprem-1", source, "Errors", "SampleCount")).toEqual([2]);
    const size = await metricValues("onprem-1", source, "Size", "Maximum");
    // Size is the data each snapshot covers, in GiB as EC2 reports volume sizes.
    const total = (tree: Map<string, Buffer>) => [...tree.values()].reduce((n, b) => n + b.length, 0);
    expect(size).toHaveLength(1);
    expect(size[0]).toBeCloseTo(Math.max(total(state1), total(state2)) / 1024 ** 3, 12);
  }, 120_000);

  it("reports an unreadable path with Errors=1 and exit 1, and still backs up the other path", async () => {
    const good = path.join(scratch, "good");
    mkdirSync(good);
    writeFileSync(path.join(good, "a"), "a");
    const missing = path.join(scratch, "does-not-exist");
    const world = agentWorld(emulator, { server: "onprem-2", paths: [good, missing] });
    await installAgent(world);

    const result = await cli(["agent", "backup", "--json", "--config", world.configFile], world.env);

    const report = JSON.parse(result.stdout) as {
      paths: { path: string; status: string; reason: string | null }[];
    };
    expect(result.code).toBe(1);
    expect(report.paths.map((p) => [p.path, p.status])).toEqual([
      [good, "ok"],
      [missing, "failed"],
    ]);
    expect(await metricValues("onprem-2", good, "Errors", "Maximum")).toEqual([0]);
    expect(await metricValues("onprem-2", missing, "Errors", "Maximum")).toEqual([1]);
  }, 60_000);

  it("with an invalid retention policy backs up, prunes nothing, and reports Errors=1 with the reason", async () => {
    const source = path.join(scratch, "invalid-policy");
    mkdirSync(source);
    writeFileSync(path.join(source, "a"), "a");
    const world = agentWorld(emulator, {
      server: "onprem-3",
      paths: [source],
      overrides: { retention: "1d" },
    });
    const config = ["--config", world.configFile];
    await installAgent(world);
    await cli(["agent", "backup", ...config], world.env);
    await cli(["agent", "backup", ...config], world.env); // 1d keeps only the newest of today
    const invalid = agentWorld(emulator, {
      server: "onprem-3",
      paths: [source],
      prefix: "agents/onprem-3",
      overrides: { retention: "7x" },
    });

    const result = await cli(["agent", "backup", "--json", "--config", invalid.configFile], invalid.env);
    const listed = await cli(["agent", "snapshots", "--json", ...config], world.env);

    const report = JSON.parse(result.stdout) as {
      retentionError: string;
      paths: { status: string; forgotten: number }[];
    };
    expect(result.code).toBe(1);
    expect(report.retentionError).toContain('"7x" is not a rule');
    expect(report.paths).toEqual([expect.objectContaining({ status: "failed", forgotten: 0 })]);
    expect(JSON.parse(listed.stdout).snapshots).toHaveLength(2); // the one 1d left, and this run's
    expect(await metricValues("onprem-3", source, "Errors", "Maximum")).toEqual([1]);
  }, 60_000);

  it("fails clearly, with exit 1, on a wrong password and on a missing bucket", async () => {
    const source = path.join(scratch, "secrets");
    mkdirSync(source);
    writeFileSync(path.join(source, "a"), "a");
    const world = agentWorld(emulator, { server: "onprem-4", paths: [source] });
    await cli(
      ["agent", "install", "--config", world.configFile, "--unit-dir", path.join(world.dir, "units")],
      world.env,
    );
    writeFileSync(world.passwordFile, "wrong\n");
    const noBucket = agentWorld(emulator, {
      server: "onprem-4",
      paths: [source],
      overrides: { repository: `s3:${emulator.endpoint}/no-such-bucket/agents/onprem-4` },
    });

    const wrong = await cli(["agent", "backup", "--config", world.configFile], world.env);
    const missing = await cli(["agent", "snapshots", "--config", noBucket.configFile], noBucket.env);

    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/wrong password/);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("There is no restic repository there: check the bucket and prefix");
  }, 60_000);

  it("refuses a second run while one holds the lock; concurrent restic runs on one repository leave it consistent", async () => {
    const source = path.join(scratch, "busy");
    generateTree(source, 7);
    const world = agentWorld(emulator, { server: "onprem-5", paths: [source] });
    const other = agentWorld(emulator, { server: "onprem-5", paths: [source], prefix: "agents/onprem-5" });
    await cli(
      ["agent", "install", "--config", world.configFile, "--unit-dir", path.join(world.dir, "units")],
      world.env,
    );

    const [a, b, c] = await Promise.all([
      cli(["agent", "backup", "--config", world.configFile], world.env),
      cli(["agent", "backup", "--config", world.configFile], world.env),
      cli(["agent", "backup", "--config", other.configFile], other.env), // its own lock file: restic's locks decide
    ]);
    const check = await mustRun(worldRestic(world), ["check"], "check");

    expect([a.code, b.code].sort()).toEqual([0, 1]);
    expect(`${a.stderr}${b.stderr}`).toContain("another agent run");
    expect(c.code).toBe(0);
    expect(check.stdout).toContain("no errors were found");
  }, 120_000);
});
