/**
 * What the EC2 operations ask of the emulator's quotas and fault plan, without knowing either:
 * `local/aws/policy.ts` implements it from the emulator options, `NO_POLICY` turns it all off.
 */
export interface EbsLimits {
  /** Pending snapshots allowed per volume, by volume type; `default` for the types not listed. */
  pendingSnapshotsPerVolume: Record<string, number>;
  /** AWS counts snapshots left in `error` against the per-volume limit until they are deleted. */
  countErrorSnapshots: boolean;
  /** Minimum simulated seconds between two CreateSnapshot calls on one volume. */
  snapshotIntervalSeconds: number;
  /** Snapshot copies pending at once in one destination region. */
  concurrentCopiesPerRegion: number;
}

export interface Ec2Policy {
  /** The EBS limits to enforce, `undefined` when quotas are off. */
  limits: EbsLimits | undefined;
  /** Told of every EBS limit error just before it is returned (for `quotaStats()`). */
  limitExceeded(region: string, action: string, code: string): void;
  /** Whether a KMS key reference (id, alias, key or alias ARN) names a usable key in `region`. */
  kmsKeyUsable(region: string, keyRef: string): boolean;
  /** A planned failure for the next snapshot of a volume: its state message, else `undefined`. */
  snapshotFailure(region: string, volumeId: string, tags: Map<string, string>): string | undefined;
  /** A planned failure for the next copy of a snapshot into `region`: its state message, else `undefined`. */
  copyFailure(region: string, sourceSnapshotId: string): string | undefined;
}

export const NO_POLICY: Ec2Policy = {
  limits: undefined,
  limitExceeded: () => {},
  kmsKeyUsable: () => true,
  snapshotFailure: () => undefined,
  copyFailure: () => undefined,
};
