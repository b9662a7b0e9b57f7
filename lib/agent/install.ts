import { type CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { AGENT_METRICS, DIMENSION_SERVER } from "../metric-names";
import { ResticError } from "./errors";
import { type Restic, resticReason } from "./restic";

/**
 * The repository is reachable with these credentials and password; a repository that does not
 * exist yet is created (restic init). Anything else (wrong password, no such bucket, access
 * denied) is an error with restic's reason.
 */
export async function checkRepository(restic: Restic, repository: string): Promise<"ok" | "initialized"> {
  const opened = await restic.run(["cat", "config"]);
  if (opened.code === 0) return "ok";
  if (/Is there a repository at the following location\?/.test(opened.stderr)) {
    const created = await restic.run(["init"]);
    if (created.code === 0) return "initialized";
    throw new ResticError(
      `cannot create the repository ${repository}: ${resticReason(created)}`,
      created.code,
    );
  }
  throw new ResticError(`cannot open the repository ${repository}: ${resticReason(opened)}`, opened.code);
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
