import { TAG } from "../tags";
import type { RecoveryPoint } from "./points";

export type Consistency = "application" | "instance" | "volume";

/**
 * The recovery points that restore a whole server together: the snapshots of one CreateSnapshots
 * call (`snapfleet:set`, one instant), or, for a server backed up per volume, the snapshots of one
 * run (`snapfleet:run`), taken each at its own moment.
 */
export interface RecoverySet {
  kind: "set" | "run";
  /** The `snapfleet:set` value, or the `snapfleet:run` value. */
  id: string;
  instanceId: string;
  /** The newest StartTime of its snapshots (for a set, the one StartTime they share). */
  takenAt: string;
  /** The oldest: equal to `takenAt` for a set. */
  firstTakenAt: string;
  /** The weakest consistency of its snapshots; always `volume` for a run. */
  consistency: Consistency;
  /** One point per device, the best of the group for that device (completed, newest). */
  points: RecoveryPoint[];
}

export interface SkippedSet {
  set: RecoverySet;
  reason: string;
}

export interface SetChoice {
  chosen: RecoverySet | undefined;
  /** Sets taken at or before `at`, newer than the chosen one, and why each was passed over. */
  skipped: SkippedSet[];
  /** The drives a set must cover: the instance's drives that snapfleet has backed up. */
  required: string[];
}

const STRENGTH: Consistency[] = ["volume", "instance", "application"];

/** `snapfleet:consistency` of a snapshot; absent (older snapshots) or unknown is `volume`. */
export function consistencyOf(point: RecoveryPoint): Consistency {
  const value = point.tags[TAG.consistency] as Consistency | undefined;
  return value && STRENGTH.includes(value) ? value : "volume";
}

/** The groups of points, newest first. Points without a set or run tag belong to none. */
export function groupRecoverySets(points: readonly RecoveryPoint[]): RecoverySet[] {
  const groups = new Map<string, { kind: "set" | "run"; id: string; points: RecoveryPoint[] }>();
  for (const point of points) {
    const set = point.tags[TAG.set];
    const run = point.tags[TAG.run];
    const [kind, id] = set ? (["set", set] as const) : (["run", run ?? ""] as const);
    if (!id) continue;
    const key = `${kind} ${id} ${point.instanceId}`;
    const group = groups.get(key) ?? { kind, id, points: [] };
    group.points.push(point);
    groups.set(key, group);
  }
  const sets = [...groups.values()].map((g) => toSet(g.kind, g.id, g.points));
  return sets.sort((a, b) => b.takenAt.localeCompare(a.takenAt) || a.id.localeCompare(b.id));
}

function toSet(kind: "set" | "run", id: string, all: RecoveryPoint[]): RecoverySet {
  const byDevice = new Map<string, RecoveryPoint>();
  for (const point of all) {
    const best = byDevice.get(point.device);
    if (!best || rank(point) > rank(best)) byDevice.set(point.device, point);
  }
  const points = [...byDevice.values()].sort((a, b) => a.device.localeCompare(b.device));
  const times = points.map((p) => p.takenAt).sort();
  const weakest = Math.min(...points.map((p) => STRENGTH.indexOf(consistencyOf(p))));
  return {
    kind,
    id,
    instanceId: points[0]?.instanceId ?? "",
    takenAt: times.at(-1) ?? "",
    firstTakenAt: times[0] ?? "",
    consistency: kind === "run" ? "volume" : (STRENGTH[weakest] ?? "volume"),
    points,
  };
}

/** Completed before anything else, then the newest. */
function rank(point: RecoveryPoint): string {
  return `${point.state === "completed" ? 1 : 0}${point.takenAt}`;
}

/**
 * The newest set (or run) taken at or before `at` whose snapshots are all completed and that has
 * one of every required drive. `required` is the instance's drives that have ever been backed up:
 * a drive never snapshotted (a volume with Backup=false) is left alone, not required.
 */
export function chooseRecoverySet(
  points: readonly RecoveryPoint[],
  devices: readonly string[],
  at?: Date | undefined,
): SetChoice {
  const backedUp = new Set(points.map((p) => p.device));
  const required = devices.filter((d) => backedUp.has(d));
  const skipped: SkippedSet[] = [];
  for (const set of groupRecoverySets(points)) {
    if (at !== undefined && Date.parse(set.takenAt) > at.getTime()) continue;
    const reason = unusable(set, required);
    if (!reason) return { chosen: set, skipped, required };
    skipped.push({ set, reason });
  }
  return { chosen: undefined, skipped, required };
}

function unusable(set: RecoverySet, required: readonly string[]): string | null {
  const unfinished = set.points.filter((p) => p.state !== "completed");
  if (unfinished.length > 0)
    return unfinished
      .map((p) => `${p.device}'s snapshot ${p.snapshotId} is ${p.state} ${p.progress}`.trim())
      .join(", ");
  const missing = required.filter((d) => !set.points.some((p) => p.device === d));
  if (missing.length > 0) return `it has no snapshot of ${missing.join(", ")}`;
  return null;
}

/** "set r-1/i-1 of 2026-11-20T03:00:00.000Z" or "run r-1 (2026-... to 2026-...)", for messages. */
export function describeSet(set: RecoverySet): string {
  if (set.kind === "set") return `set ${set.id} taken ${set.takenAt}`;
  const when = set.firstTakenAt === set.takenAt ? set.takenAt : `${set.firstTakenAt} to ${set.takenAt}`;
  return `run ${set.id} (${when})`;
}
