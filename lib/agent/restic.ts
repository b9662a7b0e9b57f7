import { spawn } from "node:child_process";
import type { AgentConfig } from "./config";
import { ResticError } from "./errors";

export interface ResticResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs restic with the agent's repository settings; the password never appears in the arguments. */
export interface Restic {
  run(args: string[]): Promise<ResticResult>;
}

export interface ResticProps {
  config: AgentConfig;
  /** The agent's environment: RESTIC_PASSWORD(_FILE) when the config has no passwordFile, PATH, HOME. */
  env: NodeJS.ProcessEnv;
  /** S3 credentials for restic, resolved by the AWS SDK's provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined };
  binary?: string;
}

/** Exit codes restic documents: 0 ok, 1 fatal (no snapshot), 3 some source files could not be read. */
export const RESTIC_INCOMPLETE = 3;

/** The child's environment: only what restic needs, the password as a file or variable, TZ for periods. */
export function resticEnv(props: ResticProps): NodeJS.ProcessEnv {
  const { config, env, credentials } = props;
  const out: NodeJS.ProcessEnv = {
    PATH: env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: env.HOME ?? "/root",
    // Snapshot times are recorded, and forget's periods counted, in this zone.
    TZ: config.timeZone,
    RESTIC_REPOSITORY: config.repository,
  };
  if (config.passwordFile) out.RESTIC_PASSWORD_FILE = config.passwordFile;
  else if (env.RESTIC_PASSWORD_FILE) out.RESTIC_PASSWORD_FILE = env.RESTIC_PASSWORD_FILE;
  else if (env.RESTIC_PASSWORD) out.RESTIC_PASSWORD = env.RESTIC_PASSWORD;
  if (config.cacheDir) out.RESTIC_CACHE_DIR = config.cacheDir;
  else if (env.RESTIC_CACHE_DIR) out.RESTIC_CACHE_DIR = env.RESTIC_CACHE_DIR;
  if (credentials) {
    out.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    out.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    if (credentials.sessionToken) out.AWS_SESSION_TOKEN = credentials.sessionToken;
  }
  return out;
}

/** Options every command gets: S3 addressing and region (so restic need not ask GetBucketLocation). */
export function commonArgs(config: AgentConfig): string[] {
  if (!config.repository.startsWith("s3:")) return [];
  return ["-o", `s3.bucket-lookup=${config.bucketLookup}`, "-o", `s3.region=${config.region}`];
}

export function hasPassword(props: ResticProps): boolean {
  const env = resticEnv(props);
  return Boolean(env.RESTIC_PASSWORD_FILE || env.RESTIC_PASSWORD);
}

/** restic as a child process. */
export function childRestic(props: ResticProps): Restic {
  const env = resticEnv(props);
  const binary = props.binary ?? "restic";
  return {
    run(args) {
      return new Promise((resolve, reject) => {
        const child = spawn(binary, [...commonArgs(props.config), ...args], {
          env,
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        child.on("error", (error: NodeJS.ErrnoException) =>
          reject(
            error.code === "ENOENT"
              ? new ResticError(`restic is not installed (${binary} not found): apt-get install restic`, 127)
              : error,
          ),
        );
        child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
      });
    },
  };
}

/** The JSON objects restic prints one per line with --json (status lines, errors, the summary). */
export function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed.startsWith("{")) continue;
    try {
      out.push(JSON.parse(trimmed) as Record<string, unknown>);
    } catch {
      // A partial status line; restic rewrites them on a terminal.
    }
  }
  return out;
}

/** restic's own last words on stderr, for a message: the `Fatal:` line, else the last line. */
export function resticReason(result: ResticResult): string {
  const lines = result.stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const fatal = lines.find((l) => l.startsWith("Fatal:"));
  const reason = (fatal ?? lines.at(-1) ?? `restic exited with ${result.code}`).replace(/^Fatal:\s*/, "");
  // A missing bucket and a missing repository look alike to restic (HEAD <prefix>/config is a 404).
  if (/unable to open config file/.test(reason))
    return `${reason} There is no restic repository there: check the bucket and prefix, or run "snapfleet agent install" to create it.`;
  return reason;
}

/** Runs a command that must succeed; otherwise a ResticError with restic's reason. */
export async function mustRun(restic: Restic, args: string[], what: string): Promise<ResticResult> {
  const result = await restic.run(args);
  if (result.code !== 0) throw new ResticError(`${what} failed: ${resticReason(result)}`, result.code);
  return result;
}

const LOCKED = /repository is already locked/;

/**
 * restic 0.14 does not wait for a lock: a backup finds the repository locked while another
 * server's (or run's) forget/prune holds it exclusively. Such a run is retried after a pause, a
 * bounded number of times; restic's locks keep the repository consistent either way.
 */
export function withLockRetry(
  restic: Restic,
  options: { attempts?: number; delayMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Restic {
  const attempts = options.attempts ?? 12;
  const delayMs = options.delayMs ?? 5000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return {
    async run(args) {
      let result = await restic.run(args);
      for (let i = 1; i < attempts && result.code !== 0 && LOCKED.test(result.stderr); i += 1) {
        await sleep(delayMs);
        result = await restic.run(args);
      }
      return result;
    },
  };
}

/** restic's --time: the moment in the zone restic runs in (TZ), as "YYYY-MM-DD HH:MM:SS". */
export function resticTime(time: Date, timeZone: string): string {
  // The sv-SE locale writes ISO-like "2026-11-05 09:00:00".
  return new Intl.DateTimeFormat("sv-SE", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).format(time);
}
