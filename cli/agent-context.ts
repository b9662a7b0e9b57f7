import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { type AgentConfig, parseAgentConfig } from "../lib/agent/config";
import {
  AgentBusyError,
  AgentCheckError,
  AgentConfigError,
  AgentRestoreRefusedError,
  ResticError,
} from "../lib/agent/errors";
import { jsonLog } from "../lib/agent/log";
import { childRestic, hasPassword, type Restic, withLockRetry } from "../lib/agent/restic";
import type { Log } from "../lib/deps";
import type { CliContext } from "./context";
import { EXIT } from "./errors";

export const DEFAULT_AGENT_CONFIG = "/etc/snapfleet/agent.json";
/** Where the SSM agent of a hybrid activation records the managed-instance id. */
export const SSM_REGISTRATION = "/var/lib/amazon/ssm/registration";

export const AGENT_EXIT_CODES_HELP = [
  "Exit codes:",
  "  0  done (every path backed up; a listing printed; a restore finished)",
  "  1  failed: a path failed (unreadable files, invalid retention), the repository or AWS is unreachable, wrong password, another run holds the lock",
  "  2  bad usage or an invalid configuration file (the message names the field)",
  "  3  refused: no snapshot of that path at or before --at; nothing was changed",
].join("\n");

export interface AgentSetup {
  config: AgentConfig;
  configFile: string;
  server: string;
  restic: Restic;
  /** What restic gets: the environment's keys, else what the SDK's provider chain resolved. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  cloudwatch: CloudWatchClient;
  log: Log;
}

/** The server's name for metrics and restic's --host: the config's, else the SSM managed-instance id, else the host name. */
export function serverName(config: AgentConfig, env: NodeJS.ProcessEnv): string {
  if (config.server) return config.server;
  try {
    const registration = JSON.parse(
      readFileSync(env.SNAPFLEET_SSM_REGISTRATION ?? SSM_REGISTRATION, "utf8"),
    ) as {
      ManagedInstanceID?: string;
    };
    if (registration.ManagedInstanceID) return registration.ManagedInstanceID;
  } catch {
    // Not an SSM managed instance.
  }
  return hostname();
}

/** Reads the configuration and builds restic and CloudWatch for it; the endpoint and credentials come from the environment. */
export async function agentSetup(options: { config?: string }, context: CliContext): Promise<AgentSetup> {
  const configFile = options.config ?? context.env.SNAPFLEET_AGENT_CONFIG ?? DEFAULT_AGENT_CONFIG;
  let text: string;
  try {
    text = readFileSync(configFile, "utf8");
  } catch (error) {
    throw new AgentConfigError(`cannot read the configuration ${configFile}: ${(error as Error).message}`);
  }
  const config = parseAgentConfig(text, configFile);
  const server = serverName(config, context.env);
  const env = context.env;
  const endpoint = env.AWS_ENDPOINT_URL_CLOUDWATCH ?? env.AWS_ENDPOINT_URL;
  const explicit =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  const cloudwatch = new CloudWatchClient({
    region: config.region,
    ...(endpoint ? { endpoint } : {}),
    ...(explicit ? { credentials: explicit } : {}),
  });
  // restic gets the credentials the SDK's provider chain finds (Roles Anywhere's credential_process,
  // an SSM hybrid activation's shared file, environment variables), as environment variables.
  const credentials = explicit ?? (await cloudwatch.config.credentials());
  const resticProps = {
    config,
    env,
    credentials,
    ...(env.SNAPFLEET_RESTIC ? { binary: env.SNAPFLEET_RESTIC } : {}),
  };
  if (!hasPassword(resticProps))
    throw new AgentConfigError(
      `${configFile}: no repository password: set passwordFile, or RESTIC_PASSWORD_FILE / RESTIC_PASSWORD in the service's environment`,
      "passwordFile",
    );
  return {
    config,
    configFile,
    server,
    credentials,
    restic: withLockRetry(childRestic(resticProps)),
    cloudwatch,
    log: jsonLog(context.stderr, { server }),
  };
}

/** One line on stderr; the exit code by kind. */
export function reportAgentError(error: unknown, context: CliContext): number {
  const e = error as Error;
  const code =
    error instanceof AgentConfigError
      ? EXIT.usage
      : error instanceof AgentRestoreRefusedError
        ? EXIT.refused
        : EXIT.failed;
  const known =
    error instanceof AgentConfigError ||
    error instanceof ResticError ||
    error instanceof AgentBusyError ||
    error instanceof AgentCheckError ||
    error instanceof AgentRestoreRefusedError;
  context.stderr.write(
    `snapfleet agent: ${known ? "" : `${e?.name ?? "Error"}: `}${e?.message ?? String(error)}\n`,
  );
  return code;
}
