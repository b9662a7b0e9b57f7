import { runAgentBackup } from "../../lib/agent/backup";
import { acquireRunLock } from "../../lib/agent/lock";
import { agentSetup, reportAgentError } from "../agent-context";
import type { CliContext } from "../context";
import { EXIT } from "../errors";

export interface AgentBackupOptions {
  config?: string;
  json?: boolean;
}

/** `snapfleet agent backup`: back up every configured path, apply retention, send the metrics. */
export default async function agentBackup(options: AgentBackupOptions, context: CliContext): Promise<number> {
  try {
    const setup = await agentSetup(options, context);
    const release = acquireRunLock(setup.config.lockFile);
    try {
      const report = await runAgentBackup(
        { config: setup.config, server: setup.server },
        { restic: setup.restic, cloudwatch: setup.cloudwatch, now: () => new Date(), log: setup.log },
      );
      if (options.json) context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else
        for (const p of report.paths)
          context.stdout.write(
            `${p.path}\t${p.status}\t${p.snapshotId?.slice(0, 8) ?? "-"}\t${p.elapsedSeconds?.toFixed(1) ?? "-"} s\t${p.forgotten} forgotten${p.reason ? `\t${p.reason}` : ""}\n`,
          );
      return report.paths.every((p) => p.status === "ok") ? EXIT.ok : EXIT.failed;
    } finally {
      release();
      setup.cloudwatch.destroy();
    }
  } catch (error) {
    return reportAgentError(error, context);
  }
}
