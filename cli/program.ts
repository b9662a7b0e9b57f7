import { Command, CommanderError } from "commander";
import { addAgentCommands } from "./agent-program";
import coverage, { DEFAULT_MAX_AGE_HOURS } from "./commands/coverage";
import restore from "./commands/restore";
import runCommand from "./commands/run";
import runsCommand from "./commands/runs";
import snapshots from "./commands/snapshots";
import statusCommand from "./commands/status";
import { type CliContext, defaultContext } from "./context";
import { EXIT, EXIT_CODES_HELP } from "./errors";

/**
 * The `snapfleet` command line. Commands run in-process; the exit code is returned, never passed
 * to process.exit (bin/snapfleet.ts does that), so tests call `run` directly.
 */
export function makeProgram(
  context: CliContext = defaultContext(),
  result: { code: number } = { code: 0 },
): Command {
  const program = new Command("snapfleet")
    .description("Recovery for snapfleet backups: list recovery points, restore a drive, roll back")
    .addHelpText(
      "after",
      `\n${EXIT_CODES_HELP}\n\nAWS: the region comes from --region or AWS_REGION, the endpoint from AWS_ENDPOINT_URL, credentials as for any AWS SDK tool.`,
    )
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    })
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("snapshots")
    .description("List the recovery points of a host or instance, per drive: time, size, state, region")
    .option("--host <name>", "instances named NAME (tag Name; snapshots carry it as snapfleet:host)")
    .option("--instance <id>", "one instance id (snapfleet:instance-id)")
    .option("--device <dev>", "one drive, e.g. /dev/xvda")
    .option("--region <region>", "region to look in, e.g. the DR region (default: AWS_REGION)")
    .option("--json", "print one JSON document on stdout")
    .addHelpText("after", `\n${EXIT_CODES_HELP}`)
    .action(async (options) => {
      result.code = await snapshots(options, context);
    });

  program
    .command("restore")
    .description(
      "Restore a drive (or, with --all-drives, every drive of one set) from the newest completed snapshot at or " +
        "before --at: print and check the plan, create the volume with the original tags and, with --attach, swap it in",
    )
    .option("--host <name>", "the instance named NAME, and the snapshots of that host")
    .option("--instance <id>", "the instance, and its snapshots")
    .option("--device <dev>", "the drive, e.g. /dev/xvda (required unless --all-drives)")
    .option(
      "--all-drives",
      "every drive of one recovery set (one CreateSnapshots instant; per-volume servers: one run), one stop and start",
    )
    .option("--at <time>", "point in time, ISO 8601 (default: the newest completed snapshot)")
    .option(
      "--region <region>",
      "region of the snapshots and the instance, e.g. the DR region (default: AWS_REGION)",
    )
    .option("--az <zone>", "create the volume in this zone (default: the instance's)")
    .option("--size <gib>", "volume size in GiB (default: the snapshot's)")
    .option("--type <type>", "volume type (default: the current volume's, else gp3)")
    .option("--dry-run", "print the checked plan and stop")
    .option("--attach", "swap the new volume in: stop if needed, detach the current one, attach, start again")
    .option("--stop", "stop the instance for the swap even if the device is not its root device")
    .option("--start", "start the instance after the swap even if it is not running now")
    .option("--rollback", "swap back the volume that the last restore replaced")
    .option("--volume <id>", "continue a restore that stopped midway with the volume it created")
    .option("--json", "print the plan and the result as one JSON document on stdout")
    .addHelpText("after", `\n${EXIT_CODES_HELP}`)
    .action(async (options) => {
      result.code = await restore(options, context);
    });

  program
    .command("coverage")
    .description(
      "Every instance and volume in the region: backed up or not (and why not), the newest completed " +
        "recovery point in the region and the DR region and its age, retention, snapshot count and size",
    )
    .option("--region <region>", "region of the instances (default: AWS_REGION)")
    .option(
      "--dr-region <region>",
      "the DR region of the copies (default: SNAPFLEET_DR_REGION; none: no DR columns)",
    )
    .option(
      "--max-age <hours>",
      `a selected drive whose newest completed recovery point is older is in breach (default: ${DEFAULT_MAX_AGE_HOURS}, a daily schedule plus 2 hours' grace)`,
    )
    .option(
      "--selection-tag <key>",
      "the instance tag that opts in (default: SNAPFLEET_SELECTION_TAG, else Backup)",
    )
    .option("--json", "print one JSON document on stdout")
    .addHelpText("after", `\n${EXIT_CODES_HELP}`)
    .action(async (options) => {
      result.code = await coverage(options, context);
    });

  const machineOption = [
    "--state-machine <arn|name>",
    "the backup state machine (default: the one whose name ends in -backup)",
  ] as const;
  program
    .command("run")
    .description(
      "Start a backup run (an execution of the backup state machine); --wait follows it to its report",
    )
    .option(...machineOption)
    .option("--region <region>", "the stack's region (default: AWS_REGION)")
    .option("--name <name>", "the execution's name (default: a UUID); it becomes the run id")
    .option("--wait", "follow the run: progress on stderr, then every drive's record")
    .option("--interval <seconds>", "seconds between polls with --wait", "2")
    .option("--json", "print one JSON document on stdout")
    .addHelpText("after", `\n${EXIT_CODES_HELP}`)
    .action(async (options) => {
      result.code = await runCommand(options, context);
    });

  program
    .command("runs")
    .description("Recent backup runs, newest first: start, duration, status, drives ok and failed")
    .option(...machineOption)
    .option("--region <region>", "the stack's region (default: AWS_REGION)")
    .option("--max <n>", "how many runs", "10")
    .option("--json", "print one JSON document on stdout")
    .addHelpText("after", `\n${EXIT_CODES_HELP}`)
    .action(async (options) => {
      result.code = await runsCommand(options, context);
    });

  program
    .command("status [run]")
    .description("Every drive's record of one run (its name or execution ARN; default: the newest run)")
    .option(...machineOption)
    .option("--region <region>", "the stack's region (default: AWS_REGION)")
    .option("--json", "print one JSON document on stdout")
    .addHelpText("after", `\n${EXIT_CODES_HELP}`)
    .action(async (runName: string | undefined, options) => {
      result.code = await statusCommand(runName, options, context);
    });

  addAgentCommands(program, context, result);

  return program;
}

/** Parses and runs one command line; returns the exit code. */
export async function run(argv: string[], context: CliContext = defaultContext()): Promise<number> {
  const result = { code: 0 };
  const program = makeProgram(context, result);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 || error.code === "commander.helpDisplayed" ? EXIT.ok : EXIT.usage;
    }
    throw error;
  }
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  return result.code;
}
