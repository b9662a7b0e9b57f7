import { EC2Client } from "@aws-sdk/client-ec2";
import type { Log } from "../lib/deps";
import type { RestoreDeps } from "../lib/restore/deps";
import { kmsDescribeKey } from "../lib/restore/kms";
import type { RunsAws } from "./runs-aws";

export interface Output {
  write(text: string): unknown;
}

/** What a command needs from outside: where to write, the environment, and AWS. */
export interface CliContext {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  /** AWS for the restore code; tests pass the embedded AWS and a virtual clock. */
  deps(): RestoreDeps;
  /** Step Functions and S3 for `run`, `runs` and `status`; the SDK's defaults when absent. */
  runsAws?(region: string): RunsAws;
  /** How `run --wait` waits between polls (real time when absent). */
  sleep?(ms: number): Promise<void>;
}

/**
 * The real thing: SDK clients per region with the SDK's own defaults, so AWS_ENDPOINT_URL,
 * credentials and retries behave as in any AWS tool.
 */
export function defaultContext(): CliContext {
  const stderr = process.stderr;
  let deps: RestoreDeps | undefined;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  return {
    stdout: process.stdout,
    stderr,
    env: process.env,
    deps() {
      if (!deps) {
        const clients = new Map<string, EC2Client>();
        deps = {
          ec2(region) {
            let client = clients.get(region);
            if (!client) {
              client = new EC2Client({ region });
              clients.set(region, client);
            }
            return client;
          },
          clock: { now: () => new Date(), sleep },
          sleep,
          log: stderrLog(stderr),
          describeKey: kmsDescribeKey(),
        };
      }
      return deps as RestoreDeps;
    },
  };
}

/** Warnings and errors from the restore code, one line each on stderr; progress is the CLI's job. */
export function stderrLog(stderr: Output): Log {
  const line =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      const details = extra.length > 0 ? ` ${JSON.stringify(Object.assign({}, ...extra))}` : "";
      stderr.write(`snapfleet: ${level}: ${message}${details}\n`);
    };
  return { debug() {}, info() {}, warn: line("warning"), error: line("error") };
}
