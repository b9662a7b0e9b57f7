import { AGENT_TAG } from "./backup";
import { AgentRestoreRefusedError } from "./errors";
import { mustRun, type Restic } from "./restic";

export interface AgentSnapshot {
  id: string;
  shortId: string;
  time: Date;
  path: string;
  host: string;
}

/** The agent's snapshots of this server, oldest first (restic's order), one path each. */
export async function listAgentSnapshots(
  props: { server: string },
  restic: Restic,
): Promise<AgentSnapshot[]> {
  const result = await mustRun(
    restic,
    ["snapshots", "--json", "--host", props.server, "--tag", AGENT_TAG],
    "listing the snapshots",
  );
  const raw = JSON.parse(result.stdout.slice(result.stdout.indexOf("["))) as {
    id: string;
    short_id?: string;
    time: string;
    paths: string[];
    hostname: string;
  }[];
  return raw
    .map((s) => ({
      id: s.id,
      shortId: s.short_id ?? s.id.slice(0, 8),
      time: new Date(s.time),
      path: s.paths[0] ?? "",
      host: s.hostname,
    }))
    .sort((a, b) => a.time.getTime() - b.time.getTime());
}

/** The newest snapshot of `path` taken at or before `at` (the newest of all without `at`). */
export function chooseSnapshot(
  snapshots: AgentSnapshot[],
  path: string,
  at: Date | undefined,
): AgentSnapshot {
  const candidates = snapshots.filter(
    (s) => s.path === path && (at === undefined || s.time.getTime() <= at.getTime()),
  );
  const chosen = candidates.sort((a, b) => b.time.getTime() - a.time.getTime())[0];
  if (!chosen) {
    const known = [...new Set(snapshots.map((s) => s.path))];
    throw new AgentRestoreRefusedError(
      `No snapshot of ${path}${at ? ` at or before ${at.toISOString()}` : ""}. ` +
        (known.length > 0
          ? `Paths with snapshots: ${known.join(", ")}.`
          : "This server has no snapshots yet."),
    );
  }
  return chosen;
}

/** Restores the chosen snapshot under `target` (the path's own tree appears below it, e.g. target/etc/...). */
export async function restoreAgentSnapshot(
  props: { server: string; path: string; at: Date | undefined; target: string },
  restic: Restic,
): Promise<AgentSnapshot> {
  const snapshot = chooseSnapshot(await listAgentSnapshots(props, restic), props.path, props.at);
  await mustRun(
    restic,
    ["restore", snapshot.id, "--target", props.target],
    `restoring snapshot ${snapshot.shortId}`,
  );
  return snapshot;
}
