import { SnapfleetError } from "../errors";

/** The agent's configuration file is missing, unreadable or invalid; `field` names the culprit. */
export class AgentConfigError extends SnapfleetError {
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

/** restic failed in a way that stops the whole command (repository unreachable, wrong password, ...). */
export class ResticError extends SnapfleetError {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Another agent run holds the lock; nothing was done. */
export class AgentBusyError extends SnapfleetError {}

/** A restore cannot work (no snapshot of that path at or before the time); nothing was changed. */
export class AgentRestoreRefusedError extends SnapfleetError {}

/** `agent install` could not use CloudWatch with this credential (PutMetricData or PutMetricAlarm). */
export class AgentCheckError extends SnapfleetError {}
