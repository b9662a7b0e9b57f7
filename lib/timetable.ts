import { EC2_BUCKETS } from "./budget";

/**
 * The run's timetable: how independent Map iterations share the account's quotas without a
 * central loop. Plan knows every volume, its size and how long its last snapshot and DR copy took,
 * so it gives each volume the moment its CreateSnapshot may be sent (start + i / rate: the
 * CreateSnapshot bucket's refill less the headroom left to other tools) and the moment its DR copy
 * may start (a list schedule over `copySlots` copy slots, in predicted completion order). An
 * iteration waits for its moments in Wait states, which cost no Lambda time. Predictions that turn
 * out wrong are absorbed by the iterations themselves: a copy refused for lack of a slot waits a
 * jittered while and tries again.
 */
export interface TimetableVolume {
  volumeId: string;
  sizeGiB: number;
  /** Seconds the volume's last snapshot took, when known. */
  expectSnapshotSeconds?: number | undefined;
  /** Seconds the volume's last DR copy took, when known. */
  expectCopySeconds?: number | undefined;
}

export interface Slots {
  /** When the CreateSnapshot may be sent (ISO 8601). */
  snapshotAt: string;
  /** When the snapshot is expected to be completed. */
  snapshotDoneAt: string;
  /** When the DR copy may start (ISO 8601); absent without a DR region. */
  copyAt?: string;
  /** When the DR copy is expected to be completed. */
  copyDoneAt?: string;
}

export interface TimetableOptions {
  start: Date;
  /** Share of each API bucket left to other tools (0.1). */
  headroom: number;
  /** Concurrent DR copies allowed in the destination region (20); 0 without a DR region. */
  copySlots: number;
}

/**
 * First guesses for a volume never seen before: EBS reads the first snapshot in full. They only
 * shape the timetable; a wrong guess costs a later check, never a wrong result.
 */
export const guessSnapshotSeconds = (sizeGiB: number) => 60 + 5 * sizeGiB;
export const guessCopySeconds = (sizeGiB: number) => 60 + 5 * sizeGiB;

/**
 * Seconds between a predicted completion and the step that relies on it: EC2 reports a snapshot
 * completed at, not before, its completion, and a copy slot is free only once the copy before it is.
 */
export const MARGIN_SECONDS = 2;
/** A copy slot is planned as held this much longer than the copy's prediction (Lambda and Wait latency). */
export const COPY_SLACK = 0.01;
export const COPY_SLACK_MIN_SECONDS = 2;

export function timetable(volumes: TimetableVolume[], options: TimetableOptions): Map<string, Slots> {
  const rate = EC2_BUCKETS.createSnapshot.perSecond * (1 - options.headroom);
  const start = options.start.getTime();
  // Largest first: the longest snapshots start earliest, so the copy queue fills soonest.
  const order = volumes
    .map((v) => ({ v, snapshotSeconds: v.expectSnapshotSeconds ?? guessSnapshotSeconds(v.sizeGiB) }))
    .sort((a, b) => b.snapshotSeconds - a.snapshotSeconds || a.v.volumeId.localeCompare(b.v.volumeId));
  const planned = order.map(({ v, snapshotSeconds }, i) => {
    const at = start + Math.ceil((i / rate) * 1000);
    return { v, at, doneAt: at + (snapshotSeconds + MARGIN_SECONDS) * 1000 };
  });
  const slots = new Map<string, Slots>();
  const free: number[] = Array.from({ length: options.copySlots }, () => start);
  for (const p of [...planned].sort((a, b) => a.doneAt - b.doneAt)) {
    const entry: Slots = {
      snapshotAt: new Date(p.at).toISOString(),
      snapshotDoneAt: new Date(p.doneAt).toISOString(),
    };
    if (free.length > 0) {
      let slot = 0;
      for (let s = 1; s < free.length; s += 1) if ((free[s] as number) < (free[slot] as number)) slot = s;
      const copyAt = Math.max(p.doneAt, free[slot] as number);
      const copySeconds = p.v.expectCopySeconds ?? guessCopySeconds(p.v.sizeGiB);
      const copyDone =
        copyAt + (copySeconds + Math.max(COPY_SLACK_MIN_SECONDS, copySeconds * COPY_SLACK)) * 1000;
      free[slot] = copyDone;
      entry.copyAt = new Date(copyAt).toISOString();
      entry.copyDoneAt = new Date(copyDone).toISOString();
    }
    slots.set(p.v.volumeId, entry);
  }
  return slots;
}
