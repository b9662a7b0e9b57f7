import { Command } from "commander";
import { formatReport } from "./report-table";

/**
 * `npm start`: one backup cycle of the demo fleet on the embedded AWS (or on AWS_ENDPOINT_URL).
 * Results go to stdout; logs and notifications to stderr.
 *
 * Exit codes: 0 the cycle ran (even if some drives failed), 1 the cycle could not run, 2 bad usage.
 */
export function makeProgram(): Command {
  return new Command("snapfleet-demo")
    .description("Run one snapfleet backup cycle of a demo fleet on the embedded AWS")
    .option("--json", "print the report as one JSON document on stdout")
    .addHelpText(
      "after",
      "\nExit codes: 0 the cycle ran (some drives may have failed), 1 the cycle could not run, 2 bad usage.\n" +
        "With AWS_ENDPOINT_URL set, the cycle runs against that endpoint instead of the embedded AWS.",
    )
    .exitOverride();
}

export async function start(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const program = makeProgram();
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    return (error as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const json = Boolean(program.opts<{ json?: boolean }>().json);
  // Handlers log through Powertools; in dev mode it uses the global console, which this entry sends to stderr.
  process.env.POWERTOOLS_DEV ??= "true";
  process.env.POWERTOOLS_LOG_LEVEL ??= json ? "WARN" : "INFO";
  const { runDemoCycle } = await import("./cycle");
  const endpoint = process.env.AWS_ENDPOINT_URL || undefined;
  const result = await runDemoCycle({ endpoint });
  try {
    for (const message of result.emulator?.published() ?? []) {
      process.stderr.write(`\n--- SNS ${message.topicArn}\n${describeNotification(message)}\n`);
    }
    if (json) {
      out.write(
        `${JSON.stringify({ runId: result.summary.runId, region: result.config.region, drRegion: result.config.drRegion, drives: result.drives }, null, 2)}\n`,
      );
    } else {
      out.write(`\n${formatReport(result.drives)}\n\n${result.summary.subject}\n`);
    }
  } finally {
    await result.emulator?.stop();
  }
  return 0;
}

/** An alarm's state change (CloudWatch's JSON notification) in one line; a digest as it is. */
export function describeNotification(message: { subject?: string | undefined; message: string }): string {
  try {
    const alarm = JSON.parse(message.message) as {
      AlarmName?: string;
      NewStateValue?: string;
      NewStateReason?: string;
    };
    if (alarm.AlarmName && alarm.NewStateValue) {
      return `Alarm ${alarm.AlarmName} is ${alarm.NewStateValue}: ${alarm.NewStateReason ?? ""}`;
    }
  } catch {
    // Not JSON: the run digest.
  }
  return `Subject: ${message.subject ?? ""}\n${message.message}`;
}

if (require.main === module) {
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  start(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `snapfleet: the backup cycle could not run: ${(error as Error)?.stack ?? String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
