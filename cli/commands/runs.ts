import { DescribeExecutionCommand, ListExecutionsCommand } from "@aws-sdk/client-sfn";
import { type CliContext, defaultContext } from "../context";
import { EXIT, reportError, UsageError } from "../errors";
import { table } from "../format";
import { requireRegion } from "../options";
import { formatDuration } from "../progress";
import { findBackupMachine, outcomeOf, runsAws, viewOf } from "../runs-aws";

export interface RunsOptions {
  stateMachine?: string;
  region?: string;
  max?: string;
  json?: boolean;
}

/** `snapfleet runs`: the backup state machine's recent executions, newest first, with drive counts. */
export default async function runs(
  options: RunsOptions,
  context: CliContext = defaultContext(),
): Promise<number> {
  const json = Boolean(options.json);
  try {
    const region = requireRegion(options, context);
    const max = Number(options.max ?? "10");
    if (!Number.isInteger(max) || max < 1 || max > 1000)
      throw new UsageError(`--max must be a whole number from 1 to 1000, got ${options.max}`);
    const aws = runsAws(context, region);
    const machineArn = await findBackupMachine(aws.sfn, region, options.stateMachine);
    const { executions = [] } = await aws.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: max }),
    );
    // One DescribeExecution per listed run: its output (Summarize's outcome) has the drive counts.
    const rows = await Promise.all(
      executions.map(async (item) => {
        const e = await aws.sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
        const outcome = outcomeOf(e);
        return {
          ...viewOf(e),
          drives: outcome ? { ok: outcome.volumesBackedUp, failed: outcome.volumesFailed } : null,
        };
      }),
    );
    if (json) {
      context.stdout.write(`${JSON.stringify({ stateMachineArn: machineArn, runs: rows }, null, 2)}\n`);
      return EXIT.ok;
    }
    if (rows.length === 0) {
      context.stdout.write(`No runs of ${machineArn} yet: start one with snapfleet run.\n`);
      return EXIT.ok;
    }
    context.stdout.write(
      `${table(
        ["RUN", "STARTED", "DURATION", "STATUS", "DRIVES OK", "FAILED"],
        rows.map((r) => [
          r.name,
          r.startDate ?? "-",
          r.durationSeconds === null ? "-" : formatDuration(r.durationSeconds),
          r.status,
          r.drives ? String(r.drives.ok) : "-",
          r.drives ? String(r.drives.failed) : "-",
        ]),
      )}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    return reportError(error, context, json);
  }
}
