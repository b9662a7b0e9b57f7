import type { Deps } from "./deps";
import { getJson, putJson } from "./store";

/**
 * Which runs are still going. Plan writes `runs/<id>/started.json`, Summarize
 * `runs/<id>/finished.json`. A run with a start and no finish is in progress until the state
 * machine's own timeout has passed (after that it has ended on AWS, one way or another).
 * A run id with no start record was not started by this stack's Plan (an older version, a
 * hand-made snapshot): nothing to wait for.
 */
export const startedKey = (runId: string) => `runs/${runId}/started.json`;
export const finishedKey = (runId: string) => `runs/${runId}/finished.json`;

/** The backup state machine's TimeoutSeconds (statemachine/backup.asl.json): no run lasts longer. */
export const MAX_RUN_SECONDS = 172_800;

interface Marker {
  runId: string;
  at: string;
}

export async function markRunStarted(bucket: string, runId: string, deps: Deps): Promise<void> {
  await putJson(bucket, startedKey(runId), { runId, at: deps.clock.now().toISOString() }, deps);
}

export async function markRunFinished(bucket: string, runId: string, deps: Deps): Promise<void> {
  await putJson(bucket, finishedKey(runId), { runId, at: deps.clock.now().toISOString() }, deps);
}

/** The run ids among `runIds` that have started and not finished (one or two small reads each). */
export async function runsInProgress(
  bucket: string,
  runIds: Iterable<string>,
  deps: Deps,
): Promise<Set<string>> {
  const now = deps.clock.now().getTime();
  const going = new Set<string>();
  for (const runId of new Set(runIds)) {
    const started = await getJson<Marker>(bucket, startedKey(runId), deps);
    if (!started) continue;
    if (now - Date.parse(started.at) > MAX_RUN_SECONDS * 1000) continue;
    if (await getJson<Marker>(bucket, finishedKey(runId), deps)) continue;
    going.add(runId);
  }
  return going;
}
