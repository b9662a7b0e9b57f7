import type { EmulatorClock } from "../clock";
import type { Snapshot } from "./model";

/**
 * Emulator-only fault hook: a volume tagged `emulator:snapshot-result` = `error` yields snapshots
 * that end in state `error` (with a statusMessage) once their simulated duration has elapsed,
 * instead of `completed`. AWS has no such tag; it lets tests drive the failure path.
 */
export const SNAPSHOT_RESULT_TAG = "emulator:snapshot-result";

export interface SnapshotState {
  state: "pending" | "completed" | "error";
  progress: string;
  completionTime: Date | undefined;
  stateMessage: string | undefined;
}

/** Computed from the clock on every read, so advancing a VirtualClock moves snapshots along. */
export function snapshotState(clock: EmulatorClock, snapshot: Snapshot): SnapshotState {
  const elapsed = clock.nowMs() - snapshot.startTime.getTime();
  if (elapsed < snapshot.durationMs) {
    const percent = Math.min(99, Math.floor((100 * Math.max(0, elapsed)) / snapshot.durationMs));
    return { state: "pending", progress: `${percent}%`, completionTime: undefined, stateMessage: undefined };
  }
  if (snapshot.endsInError) {
    return {
      state: "error",
      progress: "0%",
      completionTime: undefined,
      stateMessage:
        snapshot.errorMessage ??
        `Snapshot failed (injected by the ${SNAPSHOT_RESULT_TAG} tag of volume ${snapshot.volumeId})`,
    };
  }
  const completionTime = new Date(snapshot.startTime.getTime() + snapshot.durationMs);
  return { state: "completed", progress: "100%", completionTime, stateMessage: undefined };
}
