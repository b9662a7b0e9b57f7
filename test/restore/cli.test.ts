import { execFile } from "node:child_process";
import path from "node:path";
import type { CliContext } from "../../cli/context";
import { run } from "../../cli/program";

/** The command line itself: help, exit codes and usage errors, in-process and through the bin. */
async function cli(args: string[], env: NodeJS.ProcessEnv = { AWS_REGION: "us-east-1" }) {
  let stdout = "";
  let stderr = "";
  const context: CliContext = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    deps: () => {
      throw new Error("a usage error must not reach AWS");
    },
  };
  const code = await run(args, context);
  return { code, stdout, stderr };
}

describe("snapfleet --help", () => {
  it.each([[["--help"]], [["restore", "--help"]], [["snapshots", "--help"]]])(
    "%p documents every exit code on stdout and exits 0",
    async (args) => {
      const result = await cli(args);

      expect(result.code).toBe(0);
      for (const code of [
        "0  done",
        "1  unexpected failure",
        "2  bad usage",
        "3  refused",
        "4  failed midway",
      ]) {
        expect(result.stdout).toContain(code);
      }
    },
  );

  it("lists every restore option", async () => {
    const { stdout } = await cli(["restore", "--help"]);

    for (const option of [
      "--host",
      "--instance",
      "--device",
      "--all-drives",
      "--at",
      "--region",
      "--az",
      "--size",
      "--type",
      "--dry-run",
      "--attach",
      "--stop",
      "--start",
      "--rollback",
      "--volume",
      "--json",
    ]) {
      expect(stdout).toContain(option);
    }
  });
});

describe("usage errors exit 2 with the reason on stderr", () => {
  it.each([
    [[], /Usage: snapfleet/],
    [["restore", "--host", "web-1"], /required option '--device <dev>' not specified/],
    [["restore", "--device", "/dev/xvda"], /pass --host NAME or --instance ID/],
    [
      ["restore", "--host", "a", "--instance", "i-1", "--device", "/dev/xvda"],
      /either --host or --instance, not both/,
    ],
    ...[
      "yesterday",
      "0",
      "12",
      "2026-02-30T00:00:00Z",
      "2026-11-30",
      "2026-11-30T00:00:00",
      "2026-11-30T24:00:00Z",
    ].map((at): [string[], RegExp] => [
      ["restore", "--host", "a", "--device", "/dev/xvda", "--at", at],
      new RegExp(
        `--at ${at} is not an ISO 8601 time on a real calendar day: give date, time and zone, e\\.g\\. 2026-11-30T00:00:00Z`,
      ),
    ]),
    [
      ["restore", "--host", "a", "--device", "/dev/xvda", "--rollback", "--at", "2026-11-01T00:00:00Z"],
      /--at does not apply/,
    ],
    [
      ["restore", "--host", "a", "--device", "/dev/xvda", "--size", "8.5"],
      /--size 8.5 is not a whole number of GiB/,
    ],
    [["snapshots"], /pass --host NAME or --instance ID/],
    [["snapshots", "--hots", "web-1"], /unknown option '--hots'/],
    [["rstore"], /unknown command 'rstore'/],
  ])("%p", async (args, message) => {
    const result = await cli(args);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });

  it("asks for a region when neither --region nor AWS_REGION is set", async () => {
    const result = await cli(["snapshots", "--host", "web-1"], {});

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no region: pass --region or set AWS_REGION");
  });
});

describe("bin/snapfleet.js", () => {
  it("runs the TypeScript entry without a build step and exits with the command's code", async () => {
    const bin = path.join(__dirname, "..", "..", "bin", "snapfleet.js");
    const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [bin, "--help"], (error, stdout) =>
        resolve({ code: error ? Number(error.code) : 0, stdout }),
      );
    });
    const usage = await new Promise<number>((resolve) => {
      execFile(process.execPath, [bin, "restore"], (error) => resolve(error ? Number(error.code) : 0));
    });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: snapfleet");
    expect(usage).toBe(2);
  });

  it("prints no AWS SDK notice about the Node.js version (which the SDK prints below Node 22)", async () => {
    const bin = path.join(__dirname, "..", "..", "bin", "snapfleet.js");
    // The test process itself silences the notice (local/polyfills.ts): the CLI must not rely on that.
    const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...inherited } = process.env;
    const stderrOf = (extra: NodeJS.ProcessEnv) =>
      new Promise<string>((resolve) => {
        // Port 9 (discard) on loopback: the call fails fast, after the SDK client was made.
        const env = {
          ...inherited,
          AWS_ENDPOINT_URL: "http://127.0.0.1:9",
          AWS_ACCESS_KEY_ID: "x",
          AWS_SECRET_ACCESS_KEY: "x",
          ...extra,
        };
        const args = [bin, "snapshots", "--host", "web-1", "--region", "us-east-1"];
        execFile(process.execPath, args, { env }, (_error, _stdout, stderr) => resolve(stderr));
      });

    const plain = await stderrOf({});
    const asked = await stderrOf({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "false" });

    expect(plain).not.toContain("NodeVersionSupportWarning");
    // The control: the notice is there to be silenced on this Node.js.
    if (Number(process.versions.node.split(".")[0]) < 22)
      expect(asked).toContain("NodeVersionSupportWarning");
  });
});
