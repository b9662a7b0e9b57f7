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

describe("npm start", () => {
  it("prints one JSON document with one record per drive for --json, and exits 0 although a drive failed", async () => {
    const out = capture();
    const code = await start(["--json"], out.stream);
    const report = JSON.parse(out.text()) as { drives: { status: string; host: string; device: string }[] };
    expect(code).toBe(0);
    expect(report.drives).toHaveLength(6);
    expect(report.drives.filter((d) => d.status === "failed").map((d) => `${d.host} ${d.device}`)).toEqual([
      "db-1 /dev/sdg",
    ]);
  });

  it("prints a table with a header and one row per server and drive", async () => {
    const out = capture();
    const code = await start([], out.stream);
    const lines = out.text().trim().split("\n");
    expect(code).toBe(0);
    expect(lines[0]).toMatch(
      /^INSTANCE\s+HOST\s+DEVICE\s+VOLUME\s+SNAPSHOT\s+STATE\s+SIZE\s+ELAPSED\s+PRUNED\s+DR COPY\s+CONSISTENCY\s+STATUS$/,
    );
    const rows = lines.filter((l) => l.startsWith("i-"));
    expect(rows).toHaveLength(6);
    expect(rows.filter((r) => r.endsWith("  ok"))).toHaveLength(5);
    expect(rows.find((r) => r.includes("/dev/sdg"))).toMatch(
      /failed: SnapshotFailedError: Snapshot snap-\w+ in us-east-1 ended in state error/,
    );
  });

  it("exits 2 on an unknown option", async () => {
    const out = capture();
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    expect(await start(["--bogus"], out.stream)).toBe(2);
    stderr.mockRestore();
  });
});
