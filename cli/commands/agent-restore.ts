import { restoreAgentSnapshot } from "../../lib/agent/snapshots";
import { agentSetup, reportAgentError } from "../agent-context";
import type { CliContext } from "../context";
import { EXIT, UsageError } from "../errors";

export interface AgentRestoreOptions {
  config?: string;
  path: string;
  at?: string;
  target: string;
  json?: boolean;
}

/** `snapfleet agent restore --path P [--at T] --target DIR`: the newest snapshot of P at or before T, under DIR. */
export default async function agentRestore(
  options: AgentRestoreOptions,
  context: CliContext,
): Promise<number> {
  try {
    const at = options.at === undefined ? undefined : new Date(options.at);
    if (at && Number.isNaN(at.getTime())) throw new UsageError(`--at ${options.at} is not an ISO 8601 time`);
    const setup = await agentSetup(options, context);
    setup.cloudwatch.destroy();
    const snapshot = await restoreAgentSnapshot(
      { server: setup.server, path: options.path, at, target: options.target },
      setup.restic,
    );
    const result = {
      snapshot: snapshot.id,
      time: snapshot.time.toISOString(),
      path: snapshot.path,
      target: options.target,
    };
    context.stdout.write(
      options.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : `restored ${snapshot.path} from snapshot ${snapshot.shortId} (${result.time}) under ${options.target}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr.write(`snapfleet agent: ${error.message}\n`);
      return EXIT.usage;
    }
    return reportAgentError(error, context);
  }
}
