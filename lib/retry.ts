import type { Clock, Log } from "./deps";

/** Error names AWS uses for throttling and transient faults; the call is worth repeating. */
const TRANSIENT_NAMES = new Set([
  "RequestLimitExceeded",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "SlowDown",
  "InternalError",
  "InternalFailure",
  "ServiceUnavailable",
  "Unavailable",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
]);
const TRANSIENT_CODES = new Set(["ECONNRESET", "ETIMEDOUT", "ECONNREFUSED", "EPIPE", "EAI_AGAIN"]);

export function isThrottle(error: unknown): boolean {
  const name = (error as { name?: string })?.name ?? "";
  return name === "RequestLimitExceeded" || name.startsWith("Throttling") || name === "SlowDown";
}

export function isTransient(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e) return false;
  if (TRANSIENT_NAMES.has(e.name ?? "")) return true;
  if (TRANSIENT_CODES.has(e.code ?? "")) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  // A network error the SDK could not classify arrives wrapped ("AWS SDK error wrapper for ...").
  return /socket hang up|ECONNRESET|ETIMEDOUT|TimeoutError/.test(
    (error as { message?: string }).message ?? "",
  );
}

export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
}

/** Full-jitter exponential backoff: a random delay up to base × 2^attempt, capped. */
export function backoffMs(attempt: number, options: RetryOptions = {}): number {
  const base = options.baseMs ?? 500;
  const cap = options.maxMs ?? 20_000;
  const random = options.random ?? Math.random;
  return Math.round(random() * Math.min(cap, base * 2 ** attempt));
}

/**
 * Runs `call`, repeating it after throttling or a transient fault with jittered backoff on the
 * given clock. The last error is rethrown once the attempts are used up.
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  deps: { clock: Clock; log?: Log },
  what: string,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!isTransient(error) || attempt + 1 >= attempts) throw error;
      const delay = backoffMs(attempt, options);
      deps.log?.debug("retrying after a transient error", {
        what,
        error: (error as Error).name,
        attempt,
        delay,
      });
      await deps.clock.sleep(delay);
    }
  }
}

/** AWS's capacity limits (copy slots, pending snapshots, 15 s per volume): refused, nothing done. */
const CAPACITY_ERRORS = new Set([
  "ResourceLimitExceeded",
  "ConcurrentSnapshotLimitExceeded",
  "SnapshotCreationPerVolumeRateExceeded",
]);

/** Throttling or a capacity limit: a turn to wait for, not a fault of the drive or the set. */
export const mustWaitTurn = (error: unknown) =>
  isThrottle(error) || CAPACITY_ERRORS.has((error as { name?: string })?.name ?? "");

/** An error as one line for a report: `Name: message`. */
export function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? "Error"}: ${e.message ?? String(error)}`;
}

/** A timeout, a dropped connection or a 5xx may come after AWS did the work. */
export const mayHaveApplied = (error: unknown) => isTransient(error) && !isThrottle(error);

/**
 * Creates once. When the previous attempt may have created it already, or this attempt's answer
 * was lost, what the run made (found by its tags) is adopted instead of making a second one.
 */
export async function createOrAdopt<T>(
  create: () => Promise<T>,
  find: () => Promise<T | undefined>,
  uncertain: boolean,
  deps: { clock: Clock; log: Log },
): Promise<T> {
  let unsure = uncertain;
  for (let attempt = 0; ; attempt += 1) {
    if (unsure) {
      const found = await find();
      if (found !== undefined) {
        deps.log.warn("adopted what a request whose answer was lost created", { found });
        return found;
      }
    }
    try {
      return await create();
    } catch (error) {
      if (!mayHaveApplied(error) || attempt >= 7) throw error;
      unsure = true;
      await deps.clock.sleep(backoffMs(attempt));
    }
  }
}
