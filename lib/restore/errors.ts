import { type ResourceIds, SnapfleetError } from "../errors";

/**
 * Restore errors. Two families, so callers (CLI exit codes, operators) can tell them apart:
 * - RestoreRefusedError: the request cannot work; it was refused before anything changed.
 * - RestoreIncompleteError: a step failed midway; the message says the instance's state and the
 *   commands that continue or roll back.
 * Class names are the error names Step Functions reports.
 */
export class RestoreRefusedError extends SnapfleetError {}

/** No instance carries `Name=<host>` in the region. */
export class UnknownHostError extends RestoreRefusedError {}

/** Several live instances carry the same `Name`; the user must pick one with --instance. */
export class AmbiguousHostError extends RestoreRefusedError {}

/** The instance id does not exist in the region. */
export class InstanceNotFoundError extends RestoreRefusedError {}

/** The target instance is terminated (or shutting down): nothing can be attached to it. */
export class InstanceTerminatedError extends RestoreRefusedError {}

/** The target instance is pending or stopping: wait for it to settle. */
export class InstanceBusyError extends RestoreRefusedError {}

/** --attach asked to swap the volume at a device where nothing is attached. */
export class DeviceNotAttachedError extends RestoreRefusedError {}

/** No completed snapshot matches the host or instance, device and time. */
export class NoRecoveryPointError extends RestoreRefusedError {}

/** The plan fails a check (zone, KMS key, size, type); `problems` lists each one. */
export class InvalidRestorePlanError extends RestoreRefusedError {
  constructor(
    message: string,
    readonly problems: string[],
    ids: ResourceIds = {},
  ) {
    super(message, ids);
  }
}

/** --rollback found no earlier volume of this instance and device to swap back. */
export class NoPreviousVolumeError extends RestoreRefusedError {}

/** --volume names a volume that cannot be used to continue a restore. */
export class UnusableVolumeError extends RestoreRefusedError {}

/** A wait for a real state (volume available, instance stopped, ...) ran past its limit. */
export class RestoreWaitTimeoutError extends SnapfleetError {}

/** A step failed after something had changed. The message explains the state and what to run. */
export class RestoreIncompleteError extends SnapfleetError {
  constructor(
    message: string,
    readonly step: string,
    readonly continueCommand: string | null,
    readonly rollbackCommand: string | null,
    ids: ResourceIds,
    options?: { cause?: unknown },
  ) {
    super(message, ids, options);
  }
}
