/**
 * The one place that spells snapfleet's CloudWatch metric names, units and dimensions.
 * serverless.yml's alarms use the same names; a test checks that they match.
 */
export const DIMENSION_SERVER = "Server";
export const DIMENSION_DRIVE = "Drive";

/** Per drive, dimensions Server (instance id) and Drive (device name). */
export const DRIVE_METRICS = {
  ElapsedTime: { name: "ElapsedTime", unit: "Seconds" },
  Size: { name: "Size", unit: "Gigabytes" },
  Errors: { name: "Errors", unit: "Count" },
} as const;

/** Per run, no dimensions: what the fleet-level alarms watch. */
export const FLEET_METRICS = {
  /** 1 when a run starts, stamped with its start: the missed-run alarm counts these. */
  RunStarted: { name: "RunStarted", unit: "Count" },
  VolumesBackedUp: { name: "VolumesBackedUp", unit: "Count" },
  VolumesFailed: { name: "VolumesFailed", unit: "Count" },
  MaxElapsedTime: { name: "MaxElapsedTime", unit: "Seconds" },
  RunDuration: { name: "RunDuration", unit: "Seconds" },
  /** Age of the newest DR copy of the stalest drive: how much data a region loss would cost. */
  DrLag: { name: "DrLag", unit: "Seconds" },
  /** Drives whose snapshot is less consistent than their server asks for (BackupConsistency). */
  ConsistencyFallbacks: { name: "ConsistencyFallbacks", unit: "Count" },
} as const;

export const DEFAULT_NAMESPACE = "Organization/Backup";

/**
 * Per agent run (on-premises servers), no dimensions: what the agents' fleet-level alarms watch.
 * Kept apart from FLEET_METRICS so an agent's report never keeps the EC2 missed-run alarm quiet.
 * Agents also send DRIVE_METRICS per backed-up path (Server = server name or SSM managed-instance
 * id, Drive = the path).
 */
export const AGENT_METRICS = {
  AgentPathsBackedUp: { name: "AgentPathsBackedUp", unit: "Count" },
  AgentPathsFailed: { name: "AgentPathsFailed", unit: "Count" },
  /** Sent once by `snapfleet agent install` to prove PutMetricData works; no alarm watches it. */
  AgentInstallCheck: { name: "AgentInstallCheck", unit: "Count" },
} as const;
