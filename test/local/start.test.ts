import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { start } from "../../local/start";

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

/** A line of a handler's log, as Powertools writes it. */
const JSON_LOG = /"level":\s*"(INFO|WARN|ERROR|DEBUG)"/;
/** The demo's run starts six simulated days after DEMO_START, at 2026-11-26T03:00Z. */
const RUN_START = Date.parse("2026-11-26T03:00:00Z");

let dir: string;
const logLevel = process.env.POWERTOOLS_LOG_LEVEL;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "snapfleet-start-test-"));
  // test/setup-env.ts silences handler logs; these tests are about where they go. Set before the
  // first start() imports the handlers, whose logger reads it once.
  process.env.POWERTOOLS_LOG_LEVEL = "INFO";
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (logLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = logLevel;
});

describe("npm start", () => {
  it("prints one JSON document with one record per drive for --json, and exits 0 although a drive failed", async () => {
    const out = capture();
    const err = capture();
    const code = await start(["--json", "--log-file", join(dir, "json.log")], out.stream, err.stream);
    const report = JSON.parse(out.text()) as { drives: { status: string; host: string; device: string }[] };
    expect(code).toBe(0);
    expect(out.text()).not.toMatch(JSON_LOG);
    expect(report.drives).toHaveLength(10);
    expect(report.drives.filter((d) => d.status === "failed").map((d) => `${d.host} ${d.device}`)).toEqual([
      "db-1 /dev/sdg",
    ]);
  });

  it("prints a table with a header and one row per server and drive", async () => {
    const out = capture();
    const code = await start(["--log-file", join(dir, "table.log")], out.stream, capture().stream);
    const lines = out.text().trim().split("\n");
    expect(code).toBe(0);
    expect(lines[0]).toMatch(
      /^INSTANCE\s+HOST\s+DEVICE\s+VOLUME\s+SNAPSHOT\s+STATE\s+SIZE\s+ELAPSED\s+PRUNED\s+DR COPY\s+CONSISTENCY\s+STATUS$/,
    );
    const rows = lines.filter((l) => l.startsWith("i-"));
    expect(rows).toHaveLength(10);
    expect(rows.filter((r) => r.endsWith("  ok"))).toHaveLength(7);
    // pg-1 froze and took its set; mq-1's pre script failed, so it got a crash-consistent set and says why.
    expect(
      rows.filter((r) => /\spg-1\s/.test(r)).map((r) => /\s(application|instance|volume)\s+ok/.exec(r)?.[1]),
    ).toEqual(["application", "application"]);
    const mq = rows.filter((r) => /\smq-1\s/.test(r));
    expect(mq).toHaveLength(2);
    for (const row of mq)
      expect(row).toMatch(
        /\sinstance\s+ok \(consistency: the pre script \(snapfleet-dev-fsfreeze\) failed 3 time\(s\): ended Failed with exit code 1; a crash-consistent set was taken instead\)$/,
      );
    expect(rows.find((r) => r.includes("/dev/sdg"))).toMatch(
      /failed: SnapshotFailedError: Snapshot snap-\w+ in us-east-1 ended in state error/,
    );
  });

  it("shows plain progress lines in simulated time when stderr is not a terminal, and no logs", async () => {
    const out = capture();
    const err = capture();

    const code = await start(["--log-file", join(dir, "plain.log")], out.stream, err.stream);

    const progress = err
      .text()
      .split("\n")
      .filter((l) => l.startsWith("servers "));
    expect(code).toBe(0);
    expect(progress[0]).toBe(
      "servers 0/5 (0 failed, 0 in flight) · drives 0/10 (0 failed, 0 in flight) · 0s",
    );
    // The demo's slowest drive (200 GiB) takes half an hour of simulated time, not seconds.
    expect(progress.at(-1)).toMatch(
      /^servers 5\/5 \(0 failed, 0 in flight\) · drives 10\/10 \(1 failed, 0 in flight\) · 3\dm\d\ds/,
    );
    expect(progress.length).toBeGreaterThan(3);
    expect(err.text()).toContain(`Handler logs: ${join(dir, "plain.log")}`);
    expect(err.text()).not.toMatch(JSON_LOG);
    expect(out.text()).not.toMatch(JSON_LOG);
    expect(out.text()).toMatch(/^INSTANCE\s+HOST/m);
  });

  it("writes the handlers' logs to the file, one JSON entry a line, stamped with the run's simulated time", async () => {
    const file = join(dir, "stamped.log");

    await start(["--log-file", file], capture().stream, capture().stream);

    const entries = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { message: string; timestamp: string; level: string });
    const times = entries.map((e) => Date.parse(e.timestamp));
    expect(entries.map((e) => e.message)).toEqual(
      expect.arrayContaining(["planned run", "snapshot started"]),
    );
    // The run starts when the demo fleet exists: at the demo's start, or seconds after it when
    // creating the fleet met RunInstances' throttling (simulated time moves on while it waits).
    expect(Math.min(...times)).toBeGreaterThanOrEqual(RUN_START);
    expect(Math.min(...times)).toBeLessThan(RUN_START + 60_000);
    expect(Math.max(...times)).toBeLessThan(RUN_START + 3600_000);
    expect(times.some((t) => t > RUN_START)).toBe(true);
  });

  it("writes the stamped logs to stderr with --verbose, and refuses --verbose with --log-file", async () => {
    const err = capture();

    await start(["--verbose"], capture().stream, err.stream);

    const logs = err
      .text()
      .split("\n")
      .filter((l) => JSON_LOG.test(l))
      .map((l) => JSON.parse(l) as { timestamp: string });
    expect(logs.length).toBeGreaterThan(5);
    expect(logs.every((l) => l.timestamp.startsWith("2026-11-26T03:"))).toBe(true);
    expect(await start(["--verbose", "--log-file", join(dir, "x.log")], capture().stream, err.stream)).toBe(
      2,
    );
  });

  it("exits 2 on an unknown option", async () => {
    const out = capture();
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    expect(await start(["--bogus"], out.stream)).toBe(2);
    stderr.mockRestore();
  });
});
