import { DeleteSnapshotCommand, DescribeSnapshotsCommand } from "@aws-sdk/client-ec2";
import { isThrottle, isTransient } from "../retry";
import { copyToDr, createSnapshot, itemKeys } from "../snapshot";
import { TAG } from "../tags";
import { findRunSnapshot, firstCheck } from "./checks";
import { describe, type RunContext } from "./context";
import type { DriveProgress } from "./state";

/** Errors AWS gives for its own limits: worth retrying later, like throttling. */
const LIMIT_ERRORS = new Set([
  "ConcurrentSnapshotLimitExceeded",
  "SnapshotCreationPerVolumeRateExceeded",
  "ResourceLimitExceeded",
]);

const retryable = (error: unknown) =>
  isTransient(error) || LIMIT_ERRORS.has((error as { name?: string })?.name ?? "");

/**
 * A timeout, a dropped connection or a 5xx may come after AWS has done the work: the next attempt
 * looks for what this run made first. Throttling and limit errors are refused before any work.
 */
const mayHaveApplied = (error: unknown) => isTransient(error) && !isThrottle(error);

/** Requests snapshots of queued drives, largest first, as far as the CreateSnapshot budget allows. */
export async function startSnapshots(ctx: RunContext, order: number[]): Promise<void> {
  const now = ctx.now();
  for (const index of order) {
    const drive = ctx.state.drives[index] as DriveProgress;
    if (drive.phase !== "queued" || (drive.notBefore ?? 0) > now) continue;
    if (drive.uncertain && (await adopt(ctx, index, "snapshot"))) continue;
    if (!(await cleanUp(ctx, index))) continue;
    if (!ctx.take("createSnapshot", ctx.plan.region)) return;
    try {
      ctx.counters.apiCalls += 1;
      const started = await createSnapshot(ctx.item(index), ctx.deps);
      ctx.advance(index, "snapshotting", {
        snapshotId: started.snapshotId,
        startTime: new Date(now).toISOString(),
        nextCheckAt: firstCheck(ctx, "snapshot", now, index),
      });
    } catch (error) {
      if (mayHaveApplied(error)) drive.uncertain = true;
      if (retryable(error)) ctx.backOff(index, error, "CreateSnapshot");
      else ctx.fail(index, `CreateSnapshot of ${ctx.item(index).volumeId} failed: ${describe(error)}`);
    }
  }
}

/** Starts DR copies in completion order while fewer than `copyConcurrency` are in flight. */
export async function startCopies(ctx: RunContext): Promise<void> {
  const region = ctx.plan.drRegion;
  let inFlight = ctx.state.drives.filter((d) => d.phase === "copying").length;
  const queue = ctx
    .ready(["copy-queued"])
    .sort((a, b) =>
      (ctx.state.drives[a]?.completionTime ?? "").localeCompare(ctx.state.drives[b]?.completionTime ?? ""),
    );
  for (const index of queue) {
    if (inFlight >= ctx.options.copyConcurrency) return;
    const drive = ctx.state.drives[index] as DriveProgress;
    if (drive.uncertain && (await adopt(ctx, index, "copy"))) {
      inFlight += 1;
      continue;
    }
    if (!ctx.take("copySnapshot", region)) return;
    const now = ctx.now();
    try {
      ctx.counters.apiCalls += 1;
      const started = await copyToDr(ctx.item(index), drive.snapshotId ?? "", ctx.deps, {
        kmsKeyId: ctx.plan.drKmsKeyId,
      });
      ctx.advance(index, "copying", {
        copyId: started.snapshotId,
        copyStartTime: new Date(now).toISOString(),
        nextCheckAt: firstCheck(ctx, "copy", now, index),
      });
      inFlight += 1;
    } catch (error) {
      if (mayHaveApplied(error)) drive.uncertain = true;
      if (retryable(error)) ctx.backOff(index, error, "CopySnapshot");
      else ctx.fail(index, `DR copy of ${drive.snapshotId} to ${region} could not start: ${describe(error)}`);
    }
  }
}

/**
 * Deletes what the plan no longer keeps, only for drives whose new snapshot (or copy) is
 * completed: the phase says so. In use by an AMI or already gone: skipped and logged.
 */
export async function prune(ctx: RunContext): Promise<void> {
  for (const index of ctx.ready(["pruning", "dr-pruning"])) {
    const drive = ctx.state.drives[index] as DriveProgress;
    const dr = drive.phase === "dr-pruning";
    const region = dr ? ctx.plan.drRegion : ctx.plan.region;
    const done = dr ? drive.drPruned : drive.pruned;
    while ((drive.left?.length ?? 0) > 0) {
      if (!ctx.take("deleteSnapshot", region)) break;
      const id = drive.left?.[0] as string;
      const outcome = await deleteOne(ctx, region, id, itemKeys(ctx.item(index)));
      if (outcome === "retry") {
        ctx.backOff(index, new Error(`DeleteSnapshot ${id} was throttled`), "DeleteSnapshot");
        break;
      }
      drive.left?.shift();
      if (outcome === "deleted" || outcome === "gone") done.push(id);
      else if (outcome !== "skipped") {
        drive.reason = `Pruning ${id} in ${region} failed: ${outcome}`;
      }
    }
    if ((drive.left?.length ?? 0) > 0 || (drive.phase as string) === "failed") continue;
    delete drive.left;
    if (dr) ctx.advance(index, "done");
    else ctx.advance(index, ctx.plan.drRegion ? "copy-queued" : "done");
  }
}

/**
 * Deletes the volume's snapfleet snapshots from earlier runs that ended in `error` before its new
 * snapshot is requested: AWS counts them against the volume's limit. True when none is left.
 */
async function cleanUp(ctx: RunContext, index: number): Promise<boolean> {
  const drive = ctx.state.drives[index] as DriveProgress;
  const item = ctx.item(index);
  const ids = item.cleanup ?? [];
  while ((drive.cleanedUp ?? 0) < ids.length) {
    const id = ids[drive.cleanedUp ?? 0] as string;
    if (!ctx.take("deleteSnapshot", item.region)) return false;
    const outcome = await deleteOne(ctx, item.region, id, itemKeys(item));
    if (outcome === "retry") return false;
    if (outcome === "deleted" || outcome === "gone")
      drive.errorsDeleted = [...(drive.errorsDeleted ?? []), id];
    // Anything else was logged by deleteOne; it does not stop this run's snapshot.
    drive.cleanedUp = (drive.cleanedUp ?? 0) + 1;
  }
  return true;
}

/** Orphans' deletions come last, from the same budget. The newest of each volume is never listed. */
export async function pruneOrphans(ctx: RunContext): Promise<void> {
  for (const group of ctx.state.orphanQueue) {
    while (group.ids.length > 0) {
      if (!ctx.take("deleteSnapshot", group.region)) return;
      const id = group.ids[0] as string;
      if (id === group.keep) {
        group.ids.shift();
        continue;
      }
      const outcome = await deleteOne(ctx, group.region, id);
      if (outcome === "retry") return;
      group.ids.shift();
      if (outcome === "deleted" || outcome === "gone") ctx.state.orphanDeleted.push(id);
    }
  }
  ctx.state.orphanQueue = ctx.state.orphanQueue.filter((g) => g.ids.length > 0);
}

async function deleteOne(
  ctx: RunContext,
  region: string,
  id: string,
  keys: Record<string, string> = {},
): Promise<"deleted" | "gone" | "skipped" | "retry" | string> {
  try {
    ctx.counters.apiCalls += 1;
    await ctx.deps.ec2(region).send(new DeleteSnapshotCommand({ SnapshotId: id }));
    ctx.deps.log.info("snapshot pruned", { prunedSnapshotId: id, region, ...keys });
    return "deleted";
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (
      name === "InvalidSnapshot.NotFound" ||
      (name === "UnauthorizedOperation" && (await isGone(ctx, region, id)))
    ) {
      // Deleting is idempotent: a retried round finds what the interrupted one already deleted.
      ctx.deps.log.info("snapshot already deleted", { prunedSnapshotId: id, region, ...keys });
      return "gone";
    }
    if (name === "InvalidSnapshot.InUse") {
      ctx.deps.log.warn("snapshot not pruned", {
        prunedSnapshotId: id,
        region,
        ...keys,
        reason: "in use by an AMI",
      });
      return "skipped";
    }
    if (isTransient(error)) return "retry";
    return describe(error);
  }
}

/**
 * Before repeating a CreateSnapshot or CopySnapshot whose answer was lost: this run's snapshot of
 * the volume (or copy of the snapshot), found by its snapfleet:run tag, is adopted instead.
 */
async function adopt(ctx: RunContext, index: number, kind: "snapshot" | "copy"): Promise<boolean> {
  const drive = ctx.state.drives[index] as DriveProgress;
  const item = ctx.item(index);
  const region = kind === "snapshot" ? ctx.plan.region : ctx.plan.drRegion;
  if (!ctx.take("describe", region)) return true; // try again next round, without a second create
  const found = await findRunSnapshot(
    ctx,
    region,
    kind === "snapshot"
      ? { [TAG.volumeId]: item.volumeId }
      : { [TAG.sourceSnapshot]: drive.snapshotId ?? "" },
  ).catch(() => undefined);
  if (found === undefined) return true;
  delete drive.uncertain;
  if (!found?.SnapshotId) return false;
  const now = ctx.now();
  const started = found.StartTime?.toISOString() ?? new Date(now).toISOString();
  if (kind === "snapshot") {
    ctx.advance(index, "snapshotting", {
      snapshotId: found.SnapshotId,
      startTime: started,
      nextCheckAt: now,
    });
  } else {
    ctx.advance(index, "copying", { copyId: found.SnapshotId, copyStartTime: started, nextCheckAt: now });
  }
  ctx.deps.log.warn("adopted a snapshot whose request's answer was lost", {
    snapshotId: found.SnapshotId,
    volumeId: item.volumeId,
  });
  return true;
}

/**
 * With DeleteSnapshot conditioned on the snapshot's snapfleet:managed tag, deleting a snapshot that
 * no longer exists is refused (there is no tag to match) rather than NotFound; one Describe tells
 * which it was.
 */
async function isGone(ctx: RunContext, region: string, id: string): Promise<boolean> {
  try {
    ctx.counters.apiCalls += 1;
    await ctx.deps.ec2(region).send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }));
    return false;
  } catch (error) {
    return (error as { name?: string }).name === "InvalidSnapshot.NotFound";
  }
}
