import { listAgentSnapshots } from "../../lib/agent/snapshots";
import { agentSetup, reportAgentError } from "../agent-context";
import type { CliContext } from "../context";
import { EXIT } from "../errors";

/** `snapfleet agent snapshots`: this server's snapshots, newest first: time, id, path. */
export default async function agentSnapshots(
  options: { config?: string; json?: boolean },
  context: CliContext,
): Promise<number> {
  try {
    const setup = await agentSetup(options, context);
    const snapshots = (await listAgentSnapshots({ server: setup.server }, setup.restic)).reverse();
    setup.cloudwatch.destroy();
    if (options.json) {
      context.stdout.write(`${JSON.stringify({ server: setup.server, snapshots }, null, 2)}\n`);
    } else {
      context.stdout.write(`${["time", "id", "path"].join("\t")}\n`);
      for (const s of snapshots) context.stdout.write(`${s.time.toISOString()}\t${s.shortId}\t${s.path}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    return reportAgentError(error, context);
  }
}
