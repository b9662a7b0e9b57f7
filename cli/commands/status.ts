import { DescribeExecutionCommand } from "@aws-sdk/client-sfn";
import { formatReport } from "../../local/report-table";
import { type CliContext, defaultContext } from "../context";
import { EXIT, reportError } from "../errors";
import { requireRegion } from "../options";
import { driveRecords, findBackupMachine, findExecution, outcomeOf, runsAws, viewOf } from "../runs-aws";
import { summaryOf } from "./run";

export interface StatusOptions {
  stateMachine?: string;
  region?: string;
  json?: boolean;
}

/** `snapfleet status [RUN]`: every drive's record of one run (the newest by default). */
export default async function status(
  runName: string | undefined,
  options: StatusOptions,
  context: CliContext = defaultContext(),
): Promise<number> {
  const json = Boolean(options.json);
  try {
    const region = requireRegion(options, context);
    const aws = runsAws(context, region);
    const machineArn = await findBackupMachine(aws.sfn, region, options.stateMachine);
    const executionArn = await findExecution(aws.sfn, machineArn, runName);
    const execution = await aws.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const drives = await driveRecords(aws, execution);
    const outcome = outcomeOf(execution);
    if (json) {
      context.stdout.write(
        `${JSON.stringify({ stateMachineArn: machineArn, execution: viewOf(execution), summary: outcome ? summaryOf(outcome) : null, drives }, null, 2)}\n`,
      );
      return EXIT.ok;
    }
    const view = viewOf(execution);
    context.stdout.write(`Run ${view.name}: ${view.status}, started ${view.startDate ?? "-"}\n`);
    if (drives.length > 0) context.stdout.write(`\n${formatReport(drives)}\n\n${outcome?.subject ?? ""}\n`);
    else if (view.status === "RUNNING")
      context.stdout.write(
        "Its drive records are written when it ends: follow it with snapfleet run --wait, or try again later.\n",
      );
    else
      context.stdout.write(`No drive records${view.error ? `: ${view.error} ${view.cause ?? ""}` : ""}.\n`);
    return EXIT.ok;
  } catch (error) {
    return reportError(error, context, json);
  }
}
