/**
 * Errors snapfleet raises on purpose. The class name is the error name Step Functions sees, so the
 * ASL's `ErrorEquals` lists use exactly these names.
 */
export interface ResourceIds {
  instanceId?: string | undefined;
  volumeId?: string | undefined;
  snapshotId?: string | undefined;
  region?: string | undefined;
}

export class SnapfleetError extends Error {
  readonly instanceId: string | undefined;
  readonly volumeId: string | undefined;
  readonly snapshotId: string | undefined;
  readonly region: string | undefined;

  constructor(message: string, ids: ResourceIds = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.instanceId = ids.instanceId;
    this.volumeId = ids.volumeId;
    this.snapshotId = ids.snapshotId;
    this.region = ids.region;
  }
}

/** The function's environment is missing or malformed; raised at start, naming the variable. */
export class ConfigError extends SnapfleetError {}

/** Summarize: one line of reason for a failed drive, from whatever Step Functions caught. */
export function describeCaught(
  error: { Error?: string | undefined; Cause?: string | undefined } | undefined,
): string {
  if (!error) return "unknown error";
  const name = error.Error ?? "Error";
  if (!error.Cause) return name;
  try {
    const parsed = JSON.parse(error.Cause) as { errorMessage?: string; message?: string };
    const message = parsed.errorMessage ?? parsed.message;
    if (message) return `${name}: ${message}`;
  } catch {
    // Cause is plain text, not the Lambda error JSON.
  }
  return `${name}: ${error.Cause}`;
}
