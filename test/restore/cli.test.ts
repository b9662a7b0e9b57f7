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
    [
      ["restore", "--host", "a", "--device", "/dev/xvda", "--at", "yesterday"],
      /--at yesterday is not a time: use ISO 8601/,
    ],
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
});
