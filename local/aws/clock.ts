/** The part of a clock the emulator reads: simulated (`VirtualClock`) or real time (`RealClock`). */
export interface EmulatorClock {
  now(): Date;
  nowMs(): number;
}

/** Follows the wall clock, for the standalone emulator where snapshots take real seconds. */
export class RealClock implements EmulatorClock {
  now(): Date {
    return new Date();
  }

  nowMs(): number {
    return Date.now();
  }
}
