import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

/** Debian's awscli package (`apt-get install awscli`); `.ci/run` installs it. */
export const AWS_CLI = "/usr/bin/aws";
export const cliPresent = existsSync(AWS_CLI);

/** `it`, or `it.skip` with a warning naming what is missing, when the AWS CLI is not installed. */
export function itWithCli(what: string): jest.It {
  if (!cliPresent)
    console.warn(
      `Skipping the AWS CLI tests of ${what}: ${AWS_CLI} is not installed (apt-get install awscli).`,
    );
  return cliPresent ? it : it.skip;
}

const run = promisify(execFile);

/** The CLI's environment: test credentials, no pager, no instance metadata lookups. */
export const cliEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "/tmp",
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_PAGER: "",
  AWS_EC2_METADATA_DISABLED: "true",
});

/**
 * Runs the AWS CLI against the embedded AWS at `endpoint`, JSON output, asynchronously (the
 * emulator serves it from the test's own process), with test credentials and no pager.
 */
export async function awsCli(endpoint: string, args: string[]): Promise<string> {
  const { stdout } = await run(AWS_CLI, ["--endpoint-url", endpoint, "--output", "json", ...args], {
    env: cliEnv(),
  });
  return stdout;
}
