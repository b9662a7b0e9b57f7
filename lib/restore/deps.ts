import type { Deps } from "../deps";

/** What KMS says about a key, as far as a restore cares. */
export interface KeyDescription {
  keyId: string;
  /** KMS KeyState: Enabled, Disabled, PendingDeletion, PendingImport, Unavailable, ... */
  state: string;
}

/**
 * What restore code needs from the outside world: EC2 per region, a clock and a log (the same
 * as the backup's `Deps`), plus two optional extras that the backup code never sees:
 * - `sleep`, the delay between polls of a real state (the virtual clock's sleep in tests, so
 *   waits take no real time); without it, the clock's own `sleep` if it has one, else real time;
 * - `describeKey`, KMS DescribeKey, to check that an encrypted snapshot's key is usable.
 */
export interface RestoreDeps extends Pick<Deps, "ec2" | "clock" | "log"> {
  sleep?: (ms: number) => Promise<void>;
  describeKey?: (keyId: string, region: string) => Promise<KeyDescription>;
}

export function sleeper(deps: RestoreDeps): (ms: number) => Promise<void> {
  if (deps.sleep) return deps.sleep;
  const clock = deps.clock as { sleep?: (ms: number) => Promise<void> };
  if (typeof clock.sleep === "function") return (ms) => clock.sleep?.(ms) ?? Promise.resolve();
  return (ms) => new Promise((resolve) => setTimeout(resolve, ms));
}
