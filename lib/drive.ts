import type { TagMap } from "./tags";

/** One volume to back up in one run: the item of the per-volume Map. Kept small on purpose. */
export interface DriveItem {
  runId: string;
  region: string;
  drRegion: string;
  instanceId: string;
  host: string;
  device: string;
  volumeId: string;
  sizeGiB: number;
  /** Whether the volume (so its snapshots) is encrypted. */
  encrypted?: boolean | undefined;
  /** Tags the new snapshot gets (volume tags plus snapfleet's bookkeeping). */
  tags: TagMap;
  /** The DR region's policy, recorded on the DR copy. */
  drRetention?: string | undefined;
  /** Managed snapshots in the primary region that the policy no longer keeps once this run's is completed. */
  prune: string[];
  /** The same for the DR region (and snapfleet's DR copies of earlier runs that ended in `error`). */
  drPrune: string[];
  /**
   * snapfleet's snapshots of this volume from earlier runs that ended in `error`: deleted before
   * this run's snapshot is requested, because AWS counts them against the volume's limit.
   */
  cleanup?: string[] | undefined;
  /**
   * How long the volume's last snapshot and DR copy took (seconds), from the previous run: the
   * best guess of when this run's will be done, so the first status check is not wasted.
   */
  expectSnapshotSeconds?: number | undefined;
  expectCopySeconds?: number | undefined;
  /** When the data of the volume's newest completed DR copy was taken (its start), for DR lag. */
  lastDrCopyAt?: string | undefined;
  /** Set when the Retention or DrRetention tag is invalid: the drive is backed up but nothing is pruned. */
  retentionError?: string | undefined;
}

/** What one drive's iteration ends with, whatever happened. */
export interface DriveRecord {
  instanceId: string;
  host: string;
  device: string;
  volumeId: string;
  sizeGiB: number;
  snapshotId: string | null;
  snapshotState: string | null;
  elapsedSeconds: number | null;
  pruned: string[];
  drSnapshotId: string | null;
  drPruned: string[];
  /** snapfleet's own `error` snapshots of this volume deleted this run (they held no data). */
  errorsDeleted?: string[] | undefined;
  /** When the snapshot was requested (its data's point in time). */
  startTime?: string | null | undefined;
  /** When the data of the drive's newest completed DR copy was taken, for DR lag. */
  drDataAt?: string | null | undefined;
  /** The consistency the drive's snapshot got (README, "Consistency"); `skipped` when none was taken. */
  consistency?: string | null | undefined;
  /** What the server asked for (its BackupConsistency tag). */
  consistencyRequested?: string | null | undefined;
  /** Why it got less than it asked for, or what was wrong with the server's consistency tags. */
  consistencyNote?: string | null | undefined;
  status: "ok" | "failed";
  reason: string | null;
}
