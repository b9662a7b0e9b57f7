import { closeSync, openSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { progressDisplay, type RunProgress } from "../cli/progress";
import type { VirtualClock } from "./clock";
import { captureConsole } from "./log-sink";
import { formatReport } from "./report-table";
import type { CycleProgress } from "./run-progress";

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * `npm start`: one backup cycle of the demo fleet on the embedded AWS (or on AWS_ENDPOINT_URL).
 * The report goes to stdout; progress (a live line on a terminal, plain lines otherwise) and
 * notifications to stderr; the handlers' logs, stamped with the run's clock, to a file (or stderr
 * with --verbose).
 *
 * Exit codes: 0 the cycle ran (even if some drives failed), 1 the cycle could not run, 2 bad usage.
 */
export function makeProgram(): Command {
  return new Command("snapfleet-demo")
    .description("Run one snapfleet backup cycle of a demo fleet on the embedded AWS")
    .option("--json", "print the report as one JSON document on stdout")
    .option("--log-file <path>", "write the handlers' logs there (default: a new file in the OS temp dir)")
    .option("--verbose", "write the handlers' logs to stderr instead of a file")
    .addHelpText(
      "after",
      "\nExit codes: 0 the cycle ran (some drives may have failed), 1 the cycle could not run, 2 bad usage.\n" +
        "With AWS_ENDPOINT_URL set, the cycle runs against that endpoint instead of the embedded AWS.",
    )
    .exitOverride();
}

export async function start(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: Stream = process.stderr,
): Promise<number> {
  const program = makeProgram();
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    return (error as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const options = program.opts<{ json?: boolean; logFile?: string; verbose?: boolean }>();
  const json = Boolean(options.json);
  if (options.verbose && options.logFile) {
    err.write("snapfleet: pass either --verbose (logs on stderr) or --log-file, not both\n");
    return 2;
  }
  // Handlers log through Powertools; in dev mode it writes through the global console, which
  // captureConsole sends to the log file (or stderr), stamped with the run's clock.
  process.env.POWERTOOLS_DEV ??= "true";
  process.env.POWERTOOLS_LOG_LEVEL ??= "INFO";
  const { DEMO_START, runDemoCycle } = await import("./cycle");
  const { VirtualClock } = await import("./clock");
  const { CycleProgress } = await import("./run-progress");
  const endpoint = process.env.AWS_ENDPOINT_URL || undefined;
  const clock: VirtualClock | undefined = endpoint ? undefined : new VirtualClock(DEMO_START);
  const now = () => clock?.now() ?? new Date();
  const logFile = options.verbose
    ? undefined
    : (options.logFile ?? join(tmpdir(), `snapfleet-start-${process.pid}-${Date.now()}.log`));
  let fd: number | undefined;
  try {
    fd = logFile === undefined ? undefined : openSync(logFile, "w");
  } catch (error) {
    err.write(
      `snapfleet: cannot write the log file ${logFile}: ${(error as Error).message}. Pass another --log-file.\n`,
    );
    return 2;
  }
  if (logFile) err.write(`Handler logs: ${logFile}\n`);
  // With --verbose the logs share stderr with the progress, so progress comes as plain lines.
  const plain = Boolean(options.verbose) || !err.isTTY;
  const display = progressDisplay(
    options.verbose ? ({ write: (text: string) => err.write(text) } as Stream) : err,
  );
  let progress: CycleProgress | undefined;
  // Plain lines only when the totals or the finished counts change: a line per drive started
  // would say little and, in a fleet, drown the log.
  let shown = "";
  const show = (p: RunProgress) => {
    if (plain) {
      const key = JSON.stringify([
        p.servers.total,
        p.servers.done,
        p.servers.failed,
        p.drives.total,
        p.drives.done,
        p.drives.failed,
      ]);
      if (key === shown) return;
      shown = key;
    }
    display.update(p);
  };
  const restoreConsole = captureConsole(
    (line) => (fd === undefined ? err.write(line) : writeSync(fd, line)),
    now,
  );
  let result: Awaited<ReturnType<typeof runDemoCycle>>;
  try {
    result = await runDemoCycle({
      endpoint,
      ...(clock ? { clock } : {}),
      onProgress: (event) => {
        // The run starts with its first event: the fleet's creation before it is not the run's time.
        progress ??= new CycleProgress(now(), now);
        if (progress.apply(event)) show(progress.current());
      },
    });
  } finally {
    display.stop();
    restoreConsole();
    if (fd !== undefined) closeSync(fd);
  }
  try {
    for (const message of result.emulator?.published() ?? []) {
      err.write(`\n--- SNS ${message.topicArn}\n${describeNotification(message)}\n`);
    }
    if (json) {
      out.write(
        `${JSON.stringify({ runId: result.summary.runId, region: result.config.region, drRegion: result.config.drRegion, drives: result.drives }, null, 2)}\n`,
      );
    } else {
      out.write(`\n${formatReport(result.drives)}\n\n${result.summary.subject}\n`);
    }
    if (logFile)
      err.write(`\nHandler logs, stamped with the run${clock ? "'s simulated" : "'s"} time: ${logFile}\n`);
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
