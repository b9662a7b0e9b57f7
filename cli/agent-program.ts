import type { Command } from "commander";
import { AGENT_EXIT_CODES_HELP, DEFAULT_AGENT_CONFIG } from "./agent-context";
import agentBackup from "./commands/agent-backup";
import agentInstall from "./commands/agent-install";
import agentRestore from "./commands/agent-restore";
import agentSnapshots from "./commands/agent-snapshots";
import type { CliContext } from "./context";

const CONFIG_HELP = `configuration file (default: SNAPFLEET_AGENT_CONFIG, else ${DEFAULT_AGENT_CONFIG})`;

/** `snapfleet agent ...`: run on an on-premises server, with restic as the engine. */
export function addAgentCommands(program: Command, context: CliContext, result: { code: number }): void {
  const agent = program
    .command("agent")
    .description(
      "On-premises servers: back up this server's paths with restic to S3, with snapfleet's retention and metrics",
    )
    .addHelpText(
      "after",
      `\n${AGENT_EXIT_CODES_HELP}\n\nThe repository password comes from the config's passwordFile or RESTIC_PASSWORD_FILE / RESTIC_PASSWORD, never the command line.`,
    );

  agent
    .command("backup")
    .description(
      "Back up every configured path (one restic snapshot each), apply retention, send the metrics",
    )
    .option("--config <file>", CONFIG_HELP)
    .option("--json", "print the run's report as JSON on stdout")
    .addHelpText("after", `\n${AGENT_EXIT_CODES_HELP}`)
    .action(async (options) => {
      result.code = await agentBackup(options, context);
    });

  agent
    .command("snapshots")
    .description("List this server's snapshots, newest first: time, id, path")
    .option("--config <file>", CONFIG_HELP)
    .option("--json", "print one JSON document on stdout")
    .addHelpText("after", `\n${AGENT_EXIT_CODES_HELP}`)
    .action(async (options) => {
      result.code = await agentSnapshots(options, context);
    });

  agent
    .command("restore")
    .description(
      "Restore the newest snapshot of a path taken at or before --at under --target (as target/<path>)",
    )
    .requiredOption("--path <path>", "a configured path, e.g. /etc")
    .option("--at <time>", "point in time, ISO 8601 (default: the newest snapshot)")
    .requiredOption("--target <dir>", "directory to restore into")
    .option("--config <file>", CONFIG_HELP)
    .option("--json", "print the result as JSON on stdout")
    .addHelpText("after", `\n${AGENT_EXIT_CODES_HELP}`)
    .action(async (options) => {
      result.code = await agentRestore(options, context);
    });

  agent
    .command("install")
    .description(
      "Check the repository (create it if missing) and CloudWatch, then write the systemd service and timer",
    )
    .option("--config <file>", CONFIG_HELP)
    .option("--unit-dir <dir>", "where to write the units (default: /etc/systemd/system)")
    .option("--cron", "print an /etc/cron.d line instead of writing systemd units")
    .option(
      "--command <cmd>",
      "the snapfleet command the units run (default: this node and bin/snapfleet.js)",
    )
    .option(
      "--environment-file <file>",
      "an EnvironmentFile= for the service (AWS_REGION, RESTIC_PASSWORD_FILE, ...)",
    )
    .addHelpText("after", `\n${AGENT_EXIT_CODES_HELP}`)
    .action(async (options) => {
      result.code = await agentInstall(options, context);
    });
}
