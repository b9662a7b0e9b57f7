import { execFile } from "node:child_process";
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { loadPackagedTemplate } from "../../local/stack";

/**
 * The stack's fsfreeze document (serverless.yml, FreezeDocument) run by a real bash, with
 * `fsfreeze` and `findmnt` replaced by stubs that record what they are asked: the script a server
 * will run, checked without root or real file systems.
 */
const run = promisify(execFile);

interface Content {
  mainSteps: { inputs: { runCommand: string[] } }[];
}

let script: string;
let dir: string;
let log: string;

beforeAll(async () => {
  const template = await loadPackagedTemplate();
  const content = (template.Resources.FreezeDocument as unknown as { Properties: { Content: Content } })
    .Properties.Content;
  script = content.mainSteps[0]?.inputs.runCommand.join("\n") ?? "";
  dir = mkdtempSync(path.join(tmpdir(), "fsfreeze-"));
  log = path.join(dir, "calls.log");
  const stub = (name: string, body: string) => {
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(dir, name), 0o755);
  };
  stub("fsfreeze", `echo "fsfreeze $*" >> "${log}"`);
  stub("findmnt", `printf '/ ext4\\n/data xfs\\n/boot vfat\\n/var/lib/pg ext4\\n'`);
}, 120_000);

async function runScript(command: string, timeoutSeconds: string): Promise<{ stdout: string; code: number }> {
  const text = script.replaceAll("{{ command }}", command).replaceAll("{{ timeoutSeconds }}", timeoutSeconds);
  try {
    const { stdout } = await run("bash", ["-c", text], {
      env: { PATH: `${dir}:${process.env.PATH}`, SNAPFLEET_FREEZE_LIST: path.join(dir, "frozen") },
    });
    return { stdout, code: 0 };
  } catch (error) {
    return {
      stdout: (error as { stdout?: string }).stdout ?? "",
      code: (error as { code?: number }).code ?? -1,
    };
  }
}

const calls = () => {
  try {
    return readFileSync(log, "utf8").trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
};

describe("the fsfreeze document's script", () => {
  beforeEach(() => writeFileSync(log, ""));

  it("pre-script freezes every ext3/ext4/xfs/btrfs mount except /, and the watchdog thaws them after the timeout", async () => {
    const pre = await runScript("pre-script", "1");
    expect(pre.code).toBe(0);
    expect(calls()).toEqual(["fsfreeze --freeze /data", "fsfreeze --freeze /var/lib/pg"]);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(calls().slice(2).sort()).toEqual(["fsfreeze --unfreeze /data", "fsfreeze --unfreeze /var/lib/pg"]);
  });

  it("post-script thaws what pre-script froze", async () => {
    await runScript("pre-script", "30");
    writeFileSync(log, "");
    const post = await runScript("post-script", "30");
    expect(post.code).toBe(0);
    expect(calls()).toEqual(["fsfreeze --unfreeze /data", "fsfreeze --unfreeze /var/lib/pg"]);
  });

  it("a mount that cannot be frozen fails the pre step (exit 1)", async () => {
    writeFileSync(
      path.join(dir, "fsfreeze"),
      `#!/bin/sh\necho "fsfreeze $*" >> "${log}"\ntest "$2" != /var/lib/pg\n`,
    );
    const pre = await runScript("pre-script", "1");
    expect(pre.code).toBe(1);
    writeFileSync(path.join(dir, "fsfreeze"), `#!/bin/sh\necho "fsfreeze $*" >> "${log}"\n`);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(calls()).toContain("fsfreeze --unfreeze /data");
  });

  it("dry-run changes nothing", async () => {
    appendFileSync(log, "");
    const dry = await runScript("dry-run", "10");
    expect(dry.stdout.trim()).toBe("ready");
    expect(calls()).toEqual([]);
  });
});
