import { readTag, type TagMap } from "./tags";

/**
 * What a server's recovery point is consistent with (README, "Consistency"):
 * - `volume`: one CreateSnapshot per volume, each at its own moment;
 * - `instance`: one CreateSnapshots call, every drive at one instant (crash-consistent set);
 * - `application`: a pre script through SSM Run Command (Linux fsfreeze with a watchdog, Windows
 *   VSS, or the operator's own document), the set, then the post script.
 */
export type Consistency = "volume" | "instance" | "application";
export const CONSISTENCIES: readonly Consistency[] = ["volume", "instance", "application"];

/** What happens when the application pre step cannot be had: a crash-consistent set, or nothing. */
export type Fallback = "instance" | "skip";

export const CONSISTENCY_TAG = "BackupConsistency";
export const FALLBACK_TAG = "BackupFallback";
export const SCRIPT_DOCUMENT_TAG = "BackupScriptDocument";
export const FREEZE_TIMEOUT_TAG = "BackupFreezeTimeout";

/** See docs/decisions.md ("The default consistency is volume"). */
export const DEFAULT_CONSISTENCY: Consistency = "volume";
export const DEFAULT_FREEZE_SECONDS = 10;
/** A frozen file system blocks every writer on the server; no freeze may last longer than this. */
export const MAX_FREEZE_SECONDS = 60;
/** Windows VSS thaws its writers by itself after 10 s, whatever is asked. */
export const VSS_FREEZE_SECONDS = 10;
/** Operators' documents must be named so; the stack's IAM policy allows SendCommand on no other. */
export const OPERATOR_DOCUMENT_PREFIX = "snapfleet-";
/** AWS's document for VSS freeze and thaw (parameter Action = Freeze | Thaw), as DLM uses it. */
export const VSS_DOCUMENT = "AWSEC2-ManageVssIO";

export interface ConsistencyPolicy {
  requested: Consistency;
  fallback: Fallback;
  /** The operator's own SSM document (BackupScriptDocument), called as DLM calls one. */
  document?: string | undefined;
  timeoutSeconds: number;
  platform: "linux" | "windows";
  /** A tag snapfleet could not follow: the server still gets a backup, and the note says why. */
  problem?: string | undefined;
}

const FALLBACKS: readonly Fallback[] = ["instance", "skip"];

/**
 * The server's consistency from its tags (keys case-insensitive, values trimmed, any case). A tag
 * that cannot be followed never costs the server its backup: an unknown consistency takes a
 * crash-consistent set (never weaker than per-volume snapshots), an unknown fallback takes the set,
 * an unusable timeout takes the default, and the problem is reported with the drives.
 */
export function consistencyOf(tags: TagMap, platform: "linux" | "windows"): ConsistencyPolicy {
  const problems: string[] = [];
  const pick = <T extends string>(key: string, allowed: readonly T[], otherwise: T, invalid: T): T => {
    const read = readTag(tags, key);
    if (!read.ok) {
      problems.push(`${read.conflict}: remove one; until then ${invalid} is used`);
      return invalid;
    }
    if (read.value === undefined || read.value.trim() === "") return otherwise;
    const value = read.value.trim().toLowerCase() as T;
    if (allowed.includes(value)) return value;
    problems.push(
      `${key}=${JSON.stringify(read.value)} is not one of ${allowed.join(", ")}; ${invalid} is used`,
    );
    return invalid;
  };
  const requested = pick(CONSISTENCY_TAG, CONSISTENCIES, DEFAULT_CONSISTENCY, "instance");
  const fallback = pick(FALLBACK_TAG, FALLBACKS, "instance", "instance");
  let timeoutSeconds = DEFAULT_FREEZE_SECONDS;
  const timeout = readTag(tags, FREEZE_TIMEOUT_TAG);
  if (!timeout.ok) problems.push(`${timeout.conflict}: remove one; ${DEFAULT_FREEZE_SECONDS} s is used`);
  else if (timeout.value !== undefined && timeout.value.trim() !== "") {
    const seconds = Number(timeout.value.trim());
    if (Number.isInteger(seconds) && seconds >= 1 && seconds <= MAX_FREEZE_SECONDS) timeoutSeconds = seconds;
    else
      problems.push(
        `${FREEZE_TIMEOUT_TAG}=${JSON.stringify(timeout.value)} is not a whole number of seconds from 1 to ${MAX_FREEZE_SECONDS}; ${DEFAULT_FREEZE_SECONDS} s is used`,
      );
  }
  if (platform === "windows") timeoutSeconds = Math.min(timeoutSeconds, VSS_FREEZE_SECONDS);
  let document: string | undefined;
  const named = readTag(tags, SCRIPT_DOCUMENT_TAG);
  if (!named.ok) problems.push(`${named.conflict}: remove one; the built-in script is used`);
  else if (named.value !== undefined && named.value.trim() !== "") {
    const name = named.value.trim();
    if (name.startsWith(OPERATOR_DOCUMENT_PREFIX)) document = name;
    else
      problems.push(
        `${SCRIPT_DOCUMENT_TAG}=${JSON.stringify(name)}: snapfleet may only run SSM documents named ${OPERATOR_DOCUMENT_PREFIX}*; rename the document; the built-in script is used`,
      );
  }
  return {
    requested,
    fallback,
    ...(document ? { document } : {}),
    timeoutSeconds,
    platform,
    ...(problems.length > 0 ? { problem: problems.join(" ") } : {}),
  };
}

/** What one server's set step got, carried to each of its drives (the Volumes map's `progress.set`). */
export interface SetOutcome {
  /** The consistency the drives got; `skipped`: no snapshot (fallback policy skip). */
  mode: Consistency | "skipped";
  requested: Consistency;
  /** Why the server got less than it asked for, or what was wrong with its tags. */
  reason?: string | undefined;
  /** `snapfleet:set`: `<run id>/<instance id>`, on every snapshot of the set. */
  setId?: string | undefined;
  /** The set's one instant (CreateSnapshots' StartTime). */
  startTime?: string | undefined;
  /** Volume id → snapshot id of the set. */
  snapshots: Record<string, string>;
  /** Volume id → snapfleet's own `error` snapshots deleted before the set was requested. */
  errorsDeleted?: Record<string, string[]> | undefined;
  /** The post step failed or did not answer: the watchdog thawed the file systems instead. */
  postProblem?: string | undefined;
}

export function setIdOf(runId: string, instanceId: string): string {
  return `${runId}/${instanceId}`;
}

/** Whether the drive got less than its server asked for (the digest and the metric count these). */
export function isFallback(got: string | null | undefined, requested: string | null | undefined): boolean {
  if (!got || !requested) return false;
  const rank = (c: string) => (c === "application" ? 2 : c === "instance" ? 1 : 0);
  return got === "skipped" || rank(got) < rank(requested);
}
