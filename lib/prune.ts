import { DeleteSnapshotCommand } from "@aws-sdk/client-ec2";
import type { Deps } from "./deps";
import { withRetry } from "./retry";
import { describeSnapshot } from "./snapshot";

export interface DeleteOutcome {
  /** Deleted now, or already gone (a repeated step finds what its earlier attempt deleted). */
  deleted: string[];
  /** In use by an AMI: kept, logged. */
  skipped: string[];
  /** Refused for another reason: kept, logged with the reason. */
  failed: { snapshotId: string; reason: string }[];
}

/**
 * Deletes the given snapshots one after another (throttling is retried with jitter). Every id was
 * chosen by Plan under the deletion rules (lib/plan.ts, lib/ownership.ts); this only carries out.
 */
export async function deleteSnapshots(
  region: string,
  ids: readonly string[],
  deps: Deps,
  keys: Record<string, string> = {},
): Promise<DeleteOutcome> {
  const outcome: DeleteOutcome = { deleted: [], skipped: [], failed: [] };
  for (const id of ids) {
    try {
      await withRetry(
        () => deps.ec2(region).send(new DeleteSnapshotCommand({ SnapshotId: id })),
        deps,
        `DeleteSnapshot ${id}`,
        { attempts: 12, maxMs: 60_000 },
      );
      deps.log.info("snapshot pruned", { prunedSnapshotId: id, region, ...keys });
      outcome.deleted.push(id);
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (
        name === "InvalidSnapshot.NotFound" ||
        (name === "UnauthorizedOperation" && (await isGone(region, id, deps)))
      ) {
        deps.log.info("snapshot already deleted", { prunedSnapshotId: id, region, ...keys });
        outcome.deleted.push(id);
      } else if (name === "InvalidSnapshot.InUse") {
        deps.log.warn("snapshot not pruned", {
          prunedSnapshotId: id,
          region,
          ...keys,
          reason: "in use by an AMI",
        });
        outcome.skipped.push(id);
      } else {
        const reason = `${name ?? "Error"}: ${(error as Error).message}`;
        deps.log.error("snapshot not pruned", { prunedSnapshotId: id, region, ...keys, reason });
        outcome.failed.push({ snapshotId: id, reason });
      }
    }
  }
  return outcome;
}

/**
 * With DeleteSnapshot conditioned on the snapshot's snapfleet:managed tag, deleting a snapshot that
 * no longer exists is refused (there is no tag to match) rather than NotFound; one Describe tells.
 */
const isGone = (region: string, id: string, deps: Deps) =>
  describeSnapshot(region, id, deps).then(
    (snapshot) => snapshot === undefined,
    () => false,
  );
