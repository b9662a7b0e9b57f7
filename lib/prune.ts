import { DeleteSnapshotCommand } from "@aws-sdk/client-ec2";
import type { Deps } from "./deps";

export interface PruneProps {
  region: string;
  volumeId: string;
  /** This run's snapshot (or DR copy) of the volume, and its state as last checked. */
  newSnapshotId: string;
  newSnapshotState: string;
  /** What the plan found the policy no longer keeps. */
  candidates: string[];
}

export interface PruneResult {
  deleted: string[];
  skipped: { snapshotId: string; reason: string }[];
}

/**
 * Deletes old snapshots of one volume, only once this run's snapshot of it is completed. A snapshot
 * in use by an AMI (InvalidSnapshot.InUse) or already gone is skipped and logged, not a failure.
 */
export async function pruneSnapshots(props: PruneProps, deps: Deps): Promise<PruneResult> {
  const result: PruneResult = { deleted: [], skipped: [] };
  if (props.newSnapshotState !== "completed") {
    deps.log.warn("prune skipped: this run's snapshot is not completed", { snapshotId: props.newSnapshotId });
    return {
      deleted: [],
      skipped: props.candidates.map((snapshotId) => ({ snapshotId, reason: "new snapshot not completed" })),
    };
  }
  for (const snapshotId of props.candidates) {
    if (snapshotId === props.newSnapshotId) continue;
    try {
      await deps.ec2(props.region).send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
      result.deleted.push(snapshotId);
      deps.log.info("snapshot pruned", { prunedSnapshotId: snapshotId, region: props.region });
    } catch (error) {
      const code = (error as { name?: string }).name;
      if (code !== "InvalidSnapshot.InUse" && code !== "InvalidSnapshot.NotFound") throw error;
      const reason = code === "InvalidSnapshot.InUse" ? "in use by an AMI" : "already deleted";
      result.skipped.push({ snapshotId, reason });
      deps.log.warn("snapshot not pruned", { prunedSnapshotId: snapshotId, region: props.region, reason });
    }
  }
  return result;
}
