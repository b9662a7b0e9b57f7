/**
 * Simulated time shared by the embedded AWS, the local state-machine runner and the handlers it
 * calls, so a backup cycle that takes hours on AWS finishes in seconds on a laptop.
 *
 * It is a discrete-event clock: `sleep` registers a wake-up at `now + ms`; when the process has
 * been quiet for `settleMs` of real time, the clock jumps to the earliest wake-up and resolves
 * every sleeper due then. Sleepers therefore wake in simulated-time order, and work that is in
 * flight while the clock jumps simply appears to have taken longer.
 *
 * Work run through `whileBusy` (the local runner runs every Lambda invocation so) holds the clock:
 * it does not jump while such work is in progress, except while that work itself sleeps on the
 * clock. So a handler's calls take no simulated time, as on AWS they take milliseconds, and many
 * concurrent Map iterations do not push each other's steps late.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const holder = new AsyncLocalStorage<VirtualClock>();

export interface Clock {
  now(): Date;
}

interface Sleeper {
  wakeAt: number;
  resolve: () => void;
}

export class VirtualClock implements Clock {
  private current: number;
  private readonly sleepers: Sleeper[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = 0;
  private readonly listeners = new Set<(nowMs: number) => void>();

  constructor(
    start: Date | number = Date.UTC(2026, 0, 1),
    private readonly settleMs = 2,
  ) {
    this.current = typeof start === "number" ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  nowMs(): number {
    return this.current;
  }

  /** Moves time forward at once, waking every sleeper that falls due on the way. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`VirtualClock cannot go backwards (advance by ${ms} ms)`);
    this.current += ms;
    this.wakeDue();
    this.changed();
  }

  /**
   * Calls `listener` whenever time moves (an `advance` or a jump to a wake-up), after the sleepers
   * due have been woken: what happens "at" a time (a schedule's runs) without sleeping on the clock,
   * which would make it jump there on its own. Returns the unsubscribe function.
   */
  onTimeChange(listener: (nowMs: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener(this.current);
  }

  /** Runs `work` holding the clock (see above). */
  async whileBusy<T>(work: () => Promise<T>): Promise<T> {
    this.busy += 1;
    try {
      return await holder.run(this, work);
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.busy -= 1;
    if (this.busy === 0 && this.sleepers.length > 0) this.arm();
  }

  /** Resolves after `ms` of simulated time. */
  sleep(ms: number): Promise<void> {
    if (holder.getStore() === this) {
      // Busy work that sleeps is not busy meanwhile; it holds the clock again once it wakes.
      const woken = this.enqueue(ms).then(() => {
        this.busy += 1;
      });
      this.release();
      return woken;
    }
    return this.enqueue(ms);
  }

  private enqueue(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // Kept sorted by wake-up time (stable for equal times), so a jump only looks at the front.
      const wakeAt = this.current + Math.max(0, ms);
      let lo = 0;
      let hi = this.sleepers.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((this.sleepers[mid] as Sleeper).wakeAt <= wakeAt) lo = mid + 1;
        else hi = mid;
      }
      this.sleepers.splice(lo, 0, { wakeAt, resolve });
      this.arm();
    });
  }

  pendingSleepers(): number {
    return this.sleepers.length;
  }

  private immediate: NodeJS.Immediate | undefined;

  /**
   * With `settleMs` 0, "quiet" means a few turns of the event loop with nothing new to do
   * (setImmediate runs after pending I/O callbacks), which is much faster than a timer for runs
   * of many thousand wake-ups; the benchmark uses it. Otherwise a real-time quiet period.
   */
  private arm(): void {
    if (this.settleMs === 0) {
      if (this.immediate) clearImmediate(this.immediate);
      let turns = 0;
      const settle = () => {
        turns += 1;
        if (turns < 3) {
          this.immediate = setImmediate(settle);
          return;
        }
        this.immediate = undefined;
        this.jumpToNextWakeUp();
      };
      this.immediate = setImmediate(settle);
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.jumpToNextWakeUp();
    }, this.settleMs);
  }

  private jumpToNextWakeUp(): void {
    if (this.busy > 0) return;
    const next = this.sleepers[0]?.wakeAt;
    if (next === undefined) return;
    const moved = next > this.current;
    if (moved) this.current = next;
    this.wakeDue();
    if (moved) this.changed();
    if (this.sleepers.length > 0) this.arm();
  }

  private wakeDue(): void {
    let count = 0;
    while (count < this.sleepers.length && (this.sleepers[count] as Sleeper).wakeAt <= this.current)
      count += 1;
    if (count === 0) return;
    for (const s of this.sleepers.splice(0, count)) s.resolve();
  }
}

export const systemClock: Clock = { now: () => new Date() };
