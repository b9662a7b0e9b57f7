import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { formatReport } from "../../local/report-table";
import { type CliContext, defaultContext } from "../context";
import { EXIT, reportError, UsageError } from "../errors";
import { requireRegion } from "../options";
import { describeProgress, type ProgressDisplay, progressDisplay } from "../progress";
import { driveRecords, findBackupMachine, outcomeOf, RunObserver, runsAws, viewOf } from "../runs-aws";

export interface RunOptions {
  stateMachine?: string;
  region?: string;
  name?: string;
  wait?: boolean;
  interval?: string;
  json?: boolean;
}

/**
 * `snapfleet run [--wait]`: starts an execution of the backup state machine (as the console's
 * "Start execution" does, with the input the schedule would send). With --wait, follows it to its
 * end (a live line on a terminal, plain lines otherwise, on stderr) and prints every drive's record.
 */
export default async function run(
  options: RunOptions,
  context: CliContext = defaultContext(),
): Promise<number> {
  const json = Boolean(options.json);
  try {
    const region = requireRegion(options, context);
    const intervalMs = Number(options.interval ?? "2") * 1000;
    if (!(intervalMs > 0))
      throw new UsageError(`--interval must be a positive number of seconds, got ${options.interval}`);
    const aws = runsAws(context, region);
    const machineArn = await findBackupMachine(aws.sfn, region, options.stateMachine);
    const started = await aws.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn,
        ...(options.name ? { name: options.name } : {}),
        input: "{}",
      }),
    );
    const executionArn = started.executionArn as string;
    if (!options.wait) {
      const result = {
        stateMachineArn: machineArn,
        executionArn,
        startDate: started.startDate?.toISOString() ?? null,
      };
      context.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `Started ${executionArn}\n`);
      return EXIT.ok;
    }
    context.stderr.write(`snapfleet: started ${executionArn}\n`);
    const observer = new RunObserver(aws, executionArn);
    const display: ProgressDisplay = progressDisplay(context.stderr as NodeJS.WritableStream);
    const sleep = context.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let seen = await observer.observe(new Date());
    try {
      while (seen.execution.status === "RUNNING") {
        display.update(seen.progress);
        await sleep(intervalMs);
        seen = await observer.observe(new Date());
      }
      display.update(seen.progress);
    } finally {
      display.stop();
    }
    const { execution, progress } = seen;
    const drives = await driveRecords(aws, execution);
    const outcome = outcomeOf(execution);
    const ran = execution.status === "SUCCEEDED";
    if (json) {
      context.stdout.write(
        `${JSON.stringify({ stateMachineArn: machineArn, execution: viewOf(execution), summary: outcome ? summaryOf(outcome) : null, drives }, null, 2)}\n`,
      );
    } else {
      if (drives.length > 0) context.stdout.write(`${formatReport(drives)}\n\n`);
      context.stdout.write(`${outcome?.subject ?? `Run ${execution.name} ${execution.status}`}\n`);
      context.stdout.write(`${execution.status} · ${describeProgress(progress)}\n`);
      if (!ran)
        context.stderr.write(
          `snapfleet: the execution ${execution.status}${execution.error ? `: ${execution.error}` : ""}${execution.cause ? ` (${execution.cause})` : ""}\n`,
        );
    }
    return ran ? EXIT.ok : EXIT.runFailed;
  } catch (error) {
    return reportError(error, context, json);
  }
}

/** The run's figures from Summarize's outcome, without its list of failed drives (they are in `drives`). */
export function summaryOf(outcome: NonNullable<ReturnType<typeof outcomeOf>>) {
  const { failed: _failed, ...rest } = outcome;
  return rest;
}
