import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { AGENT_METRICS, DIMENSION_SERVER } from "../metric-names";
import type { AgentConfig } from "./config";
import { ResticError } from "./errors";
import { type Restic, resticReason } from "./restic";

/** Where an `s3:` repository lives: the endpoint restic talks to, the bucket and the prefix. */
export function s3Location(
  repository: string,
): { endpoint: string; bucket: string; prefix: string } | undefined {
  const m = /^s3:(?:(https?):\/\/)?([^/]+)\/([^/]+)(?:\/(.*?))?\/?$/.exec(repository);
  if (!m) return undefined;
  return { endpoint: `${m[1] ?? "https"}://${m[2]}`, bucket: m[3] ?? "", prefix: m[4] ?? "" };
}

export interface RepositoryDeps {
  restic: Restic;
  /** Uploads one file of a new repository (key relative to the repository's prefix). */
  upload(key: string, body: Buffer): Promise<void>;
}

/**
 * The repository is reachable with these credentials and password; one that does not exist yet is
 * created. An S3 repository is created locally (restic init into a temp directory: its config and
 * key files) and uploaded under the prefix with PutObject, because restic's own init first asks
 * HeadBucket, which needs s3:ListBucket on the whole bucket: more than the agent policy grants.
 * Anything else (wrong password, no such bucket, access denied) is an error with restic's reason.
 */
export async function checkRepository(
  config: AgentConfig,
  deps: RepositoryDeps,
): Promise<"ok" | "initialized"> {
  const opened = await deps.restic.run(["cat", "config"]);
  if (opened.code === 0) return "ok";
  if (!/Is there a repository at the following location\?/.test(opened.stderr))
    throw new ResticError(
      `cannot open the repository ${config.repository}: ${resticReason(opened)}`,
      opened.code,
    );
  if (!s3Location(config.repository)) {
    const created = await deps.restic.run(["init"]);
    if (created.code !== 0)
      throw new ResticError(
        `cannot create the repository ${config.repository}: ${resticReason(created)}`,
        created.code,
      );
    return "initialized";
  }
  const local = mkdtempSync(path.join(tmpdir(), "snapfleet-repo-"));
  try {
    const created = await deps.restic.run(["init", "--repo", local]);
    if (created.code !== 0)
      throw new ResticError(`cannot create the repository: ${resticReason(created)}`, created.code);
    for (const file of ["config", ...readdirSync(path.join(local, "keys")).map((k) => `keys/${k}`)])
      await deps.upload(file, readFileSync(path.join(local, file)));
  } catch (error) {
    if (error instanceof ResticError) throw error;
    throw new ResticError(
      `cannot create the repository ${config.repository}: ${(error as Error).message}`,
      1,
    );
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
  const reopened = await deps.restic.run(["cat", "config"]);
  if (reopened.code !== 0)
    throw new ResticError(
      `the new repository ${config.repository} cannot be opened: ${resticReason(reopened)}`,
      reopened.code,
    );
  return "initialized";
}

/** PutMetricData in the agent's namespace works (the policy allows only that namespace). */
export async function checkCloudWatch(
  cloudwatch: CloudWatchClient,
  namespace: string,
  server: string,
  now: Date,
): Promise<void> {
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: namespace,
      MetricData: [
        {
          MetricName: AGENT_METRICS.AgentInstallCheck.name,
          Unit: AGENT_METRICS.AgentInstallCheck.unit,
          Value: 1,
          Timestamp: now,
          Dimensions: [{ Name: DIMENSION_SERVER, Value: server }],
        },
      ],
    }),
  );
}
