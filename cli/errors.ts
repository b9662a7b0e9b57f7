import { SnapfleetError } from "../lib/errors";
import { RestoreIncompleteError, RestoreRefusedError } from "../lib/restore/errors";
import type { CliContext } from "./context";

/** Exit codes, as `--help` documents them. */
export const EXIT = {
  ok: 0,
  /** Unexpected failure (AWS unreachable, access denied, a bug). */
  failed: 1,
  usage: 2,
  /** The request cannot work; it was refused before anything changed. */
  refused: 3,
  /** A restore failed midway; the message says the state and what to run next. */
  incomplete: 4,
  /** `coverage`: a selected drive has no completed recovery point, or only one older than allowed. */
  breach: 5,
  /** `run --wait`: the execution failed, timed out or was aborted. */
  runFailed: 6,
} as const;

export const EXIT_CODES_HELP = [
  "Exit codes:",
  "  0  done (a dry run printed its plan; a listing printed its recovery points)",
  "  1  unexpected failure (AWS unreachable, access denied, ...)",
  "  2  bad usage",
  "  3  refused: the request cannot work (unknown host or instance, no snapshot, invalid plan); nothing was changed",
  "  4  failed midway: the message says what state the instance is in and the command that continues or rolls back",
  "  5  coverage: a selected drive has no completed recovery point, or its newest is older than --max-age",
  "  6  run --wait: the backup execution failed, timed out or was aborted (drives that failed inside a run that ran do not count)",
].join("\n");

/** No backup state machine, or no such run: nothing was started or changed (exit 3). */
export class RunNotFoundError extends SnapfleetError {}

/** Thrown by a command for a usage problem commander itself cannot see (e.g. --host with --instance). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Writes an error for people (stderr) and, with --json, for machines (stdout); returns the exit code. */
export function reportError(error: unknown, context: CliContext, json: boolean): number {
  const code =
    error instanceof UsageError
      ? EXIT.usage
      : error instanceof RestoreRefusedError || error instanceof RunNotFoundError
        ? EXIT.refused
        : error instanceof RestoreIncompleteError
          ? EXIT.incomplete
          : EXIT.failed;
  const e = error as Error & Record<string, unknown>;
  const message = e?.message ?? String(error);
  context.stderr.write(`snapfleet: ${code === EXIT.failed ? `${e?.name ?? "Error"}: ` : ""}${message}\n`);
  if (json) {
    const fields: Record<string, unknown> = { name: e?.name ?? "Error", message, exitCode: code };
    for (const key of [
      "instanceId",
      "volumeId",
      "snapshotId",
      "region",
      "problems",
      "step",
      "continueCommand",
      "continueCommands",
      "rollbackCommand",
    ]) {
      if (e?.[key] !== undefined) fields[key] = e[key];
    }
    context.stdout.write(`${JSON.stringify({ error: fields }, null, 2)}\n`);
  }
  return code;
}
