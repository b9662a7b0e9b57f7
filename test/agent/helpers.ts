import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { agentSetup } from "../../cli/agent-context";
import type { CliContext } from "../../cli/context";
import { run } from "../../cli/program";
import { type AgentRunReport, runAgentBackup } from "../../lib/agent/backup";
import { agentConfigSchema } from "../../lib/agent/config";
import { childRestic, type Restic } from "../../lib/agent/restic";
import { silentLog } from "../../lib/deps";
import type { EmulatorClock } from "../../local/aws/clock";
import type { Emulator } from "../../local/aws/server";

/**
 * restic on this machine, or why the agent's end-to-end tests cannot run: they say so and skip,
 * as every test that needs a system tool does (`.ci/run` installs it from Debian's packages).
 */
export function resticAvailable(): boolean {
  const probe = spawnSync("restic", ["version"], { encoding: "utf8" });
  if (probe.status === 0) return true;
  const message =
    "restic is not installed (apt-get install restic): the agent's end-to-end tests are skipped";
  process.stderr.write(`${message}\n`);
  return false;
}

export const CREDENTIALS = { accessKeyId: "agent-key", secretAccessKey: "agent-secret" };
export const BUCKET = "snapfleet-agents";

export async function createBucket(emulator: Emulator<EmulatorClock>, bucket = BUCKET): Promise<void> {
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: emulator.endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
}

export interface AgentWorld {
  dir: string;
  configFile: string;
  passwordFile: string;
  env: NodeJS.ProcessEnv;
  config: Record<string, unknown>;
}

/** A temp dir with a password file and a config file for one server; `overrides` change the config. */
export function agentWorld(
  emulator: Emulator<EmulatorClock>,
  props: { server: string; paths: string[]; prefix?: string; overrides?: Record<string, unknown> },
): AgentWorld {
  const dir = mkdtempSync(path.join(tmpdir(), "snapfleet-agent-"));
  const passwordFile = path.join(dir, "password");
  writeFileSync(passwordFile, "correct horse battery staple\n", { mode: 0o600 });
  const config = {
    server: props.server,
    paths: props.paths,
    repository: `s3:${emulator.endpoint}/${BUCKET}/${props.prefix ?? `agents/${props.server}`}`,
    bucketLookup: "path",
    region: "us-east-1",
    passwordFile,
    retention: "7d,4w,12m",
    cacheDir: path.join(dir, "cache"),
    lockFile: path.join(dir, "agent.lock"),
    ...props.overrides,
  };
  const configFile = path.join(dir, "agent.json");
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ENDPOINT_URL: emulator.endpoint,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  };
  return { dir, configFile, passwordFile, env, config };
}

/** `snapfleet agent install` as an operator runs it first: creates the repository, writes the units. */
export async function installAgent(world: AgentWorld): Promise<CliResult> {
  const result = await cli(
    ["agent", "install", "--config", world.configFile, "--unit-dir", path.join(world.dir, "units")],
    world.env,
  );
  if (result.code !== 0) throw new Error(`agent install failed: ${result.stderr}`);
  return result;
}

/**
 * One agent run through the domain function with the agent's clock at `at` (snapshot time and
 * metric timestamps), built as the CLI builds it: how a test backs up "two days ago".
 */
export async function backupAt(world: AgentWorld, at: Date): Promise<AgentRunReport> {
  const context: CliContext = {
    stdout: { write: () => true },
    stderr: { write: () => true },
    env: world.env,
    deps: () => {
      throw new Error("unused");
    },
  };
  const setup = await agentSetup({ config: world.configFile }, context);
  try {
    return await runAgentBackup(
      { config: setup.config, server: setup.server },
      { restic: setup.restic, cloudwatch: setup.cloudwatch, now: () => at, log: silentLog },
    );
  } finally {
    setup.cloudwatch.destroy();
  }
}

/** restic on the world's repository, for what the agent does not do itself (check, --time seeds). */
export function worldRestic(world: AgentWorld): Restic {
  const config = agentConfigSchema.parse(world.config);
  return childRestic({ config, env: world.env, credentials: CREDENTIALS });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `snapfleet ...` in-process, with the world's environment. */
export async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const context: CliContext = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env,
    deps: () => {
      throw new Error("the agent does not use the EC2 restore deps");
    },
  };
  const code = await run(args, context);
  return { code, stdout, stderr };
}

/** Every regular file under `root`, by relative path, with its bytes. */
export function readTree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(path.relative(root, full), readFileSync(full));
    }
  };
  walk(root);
  return out;
}

/** A generated tree: nested directories, text and binary files, an empty file. */
export function generateTree(root: string, seed: number): void {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state;
  };
  for (let d = 0; d < 3; d += 1) {
    const dir = path.join(root, `dir-${d}`, `sub-${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 4; f += 1) {
      const bytes = Buffer.alloc(500 + (random() % 70_000));
      for (let i = 0; i < bytes.length; i += 1) bytes[i] = random() % 256;
      writeFileSync(path.join(dir, `file-${f}.bin`), bytes);
    }
  }
  writeFileSync(path.join(root, "README.txt"), "generated for the agent test\n");
  writeFileSync(path.join(root, "empty"), "");
}

export const sameTree = (a: Map<string, Buffer>, b: Map<string, Buffer>): boolean =>
  a.size === b.size && [...a].every(([k, v]) => b.get(k)?.equals(v) === true);
