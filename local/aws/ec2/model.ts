import { randomBytes } from "node:crypto";
import type { EmulatorClock } from "../clock";
import type { Ec2Policy } from "./policy";

export type Tags = Map<string, string>;

export interface Attachment {
  instanceId: string;
  device: string;
  attachTime: Date;
  deleteOnTermination: boolean;
}

export interface Volume {
  volumeId: string;
  size: number;
  availabilityZone: string;
  volumeType: string;
  encrypted: boolean;
  kmsKeyId: string | undefined;
  snapshotId: string | undefined;
  createTime: Date;
  attachment: Attachment | undefined;
  tags: Tags;
  /** Provisioned IOPS and throughput (MiB/s) as requested; the type's defaults when absent. */
  iops?: number;
  throughput?: number;
  multiAttachEnabled?: boolean;
  /** Start of the last snapshot of this volume, for the per-volume snapshot rate (`EbsLimits`). */
  lastSnapshotMs?: number;
  /** Set when the volume could not be created (its KMS key is missing): it stays in state `error`. */
  errorMessage?: string;
}

export type InstanceStateName =
  | "pending"
  | "running"
  | "stopping"
  | "stopped"
  | "shutting-down"
  | "terminated";

export interface Instance {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  availabilityZone: string;
  state: InstanceStateName;
  launchTime: Date;
  rootDeviceName: string;
  privateIpAddress: string;
  /** The key pair named at launch (`KeyName`), if any. */
  keyName?: string | undefined;
  /** Why the instance last left `running`, as AWS reports it (`Client.UserInitiatedShutdown`). */
  stateReason?: { code: string; message: string };
  /** `windows` for a Windows instance (DescribeInstances' `platform`); absent for Linux/UNIX. */
  platform?: "windows";
  tags: Tags;
}

export interface Snapshot {
  snapshotId: string;
  volumeId: string;
  volumeSize: number;
  description: string;
  encrypted: boolean;
  kmsKeyId: string | undefined;
  startTime: Date;
  /** Simulated time it takes to leave `pending`. */
  durationMs: number;
  /** Set by the `emulator:snapshot-result` fault hook: the snapshot ends in `error`. */
  endsInError: boolean;
  /** The state message of a snapshot that ends in `error` (fault plan, missing KMS key). */
  errorMessage?: string;
  tags: Tags;
}

export interface Image {
  imageId: string;
  name: string;
  /** `windows` for a Windows AMI: its instances are Windows instances. */
  platform?: "windows";
  snapshotIds: string[];
  tags: Tags;
}

/** One region's EC2 resources. Regions never share state, as on AWS. */
export class RegionState {
  readonly instances = new Map<string, Instance>();
  readonly volumes = new Map<string, Volume>();
  readonly snapshots = new Map<string, Snapshot>();
  readonly images = new Map<string, Image>();
  /**
   * Snapshots not yet seen finished: the EBS limits only ever count these, so a region with a
   * long history does not make every CreateSnapshot scan all of it.
   */
  readonly unfinished = new Set<Snapshot>();

  constructor(readonly region: string) {}
}

/** Everything an EC2 operation may read: its region, every region (for CopySnapshot), the clock. */
export interface Ec2Context {
  region: RegionState;
  regionOf(name: string): RegionState;
  clock: EmulatorClock;
  accountId: string;
  snapshotDurationSeconds(sizeGiB: number): number;
  copyDurationSeconds(sizeGiB: number): number;
  /** Quotas and planned faults (`NO_POLICY` when both are off). */
  policy: Ec2Policy;
  /** Image ids whose instances are Windows instances (`EmulatorOptions.windowsImageIds`). */
  windowsImageIds?: readonly string[];
}

/** AWS resource ids: a prefix and 17 hex digits. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString("hex").slice(0, 17)}`;
}

/** The default 60 s plus 5 s per GiB, for CreateSnapshot and CopySnapshot alike. */
export function defaultSnapshotDurationSeconds(sizeGiB: number): number {
  return 60 + 5 * sizeGiB;
}
