import { DescribeSnapshotsCommand, type Snapshot } from "@aws-sdk/client-ec2";
import { isTransient } from "../retry";
import { TAG, toTagMap } from "../tags";
import { average, describe, type RunContext } from "./context";
import type { DriveProgress } from "./state";

/** DescribeSnapshots takes many SnapshotIds at once; this many per call keeps responses small. */
export const IDS_PER_DESCRIBE = 200;

type Kind = "snapshot" | "copy";

/**
 * One batched status check of every snapshot (or DR copy) whose predicted completion has come:
 * one DescribeSnapshots per 200 ids, charged to the region's Describe budget. Completed ones move
 * on, `error` ones fail their drive, pending ones get a new predicted completion.
 */
export async function checkInFlight(ctx: RunContext, kind: Kind): Promise<void> {
  const region = kind === "snapshot" ? ctx.plan.region : ctx.plan.drRegion;
  const now = ctx.now();
  const phase = kind === "snapshot" ? "snapshotting" : "copying";
  const due = ctx.ready([phase], now).filter((i) => (ctx.state.drives[i]?.nextCheckAt ?? 0) <= now);
  for (let start = 0; start < due.length; start += IDS_PER_DESCRIBE) {
    if (!ctx.take("describe", region)) return;
    const batch = due.slice(start, start + IDS_PER_DESCRIBE);
    const byId = new Map(batch.map((i) => [idOf(ctx.state.drives[i] as DriveProgress, kind), i]));
    try {
      ctx.counters.apiCalls += 1;
      const result = await ctx.deps
        .ec2(region)
        .send(new DescribeSnapshotsCommand({ SnapshotIds: [...byId.keys()] }));
      for (const snapshot of result.Snapshots ?? []) {
        const index = byId.get(snapshot.SnapshotId ?? "");
        if (index !== undefined) observe(ctx, index, kind, snapshot);
      }
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === "InvalidSnapshot.NotFound") {
        // One id in the batch is gone; AWS names it. Fail that drive; the rest are checked next round.
        const message = (error as Error).message;
        for (const [id, index] of byId) {
          if (message.includes(id))
            ctx.fail(index, `${label(kind, id, region)} no longer exists (deleted outside snapfleet?)`);
        }
      } else if (isTransient(error)) {
        for (const index of byId.values()) ctx.backOff(index, error, `Checking ${label(kind, "", region)}`);
      } else {
        for (const index of byId.values()) ctx.fail(index, `Checking the ${kind} failed: ${describe(error)}`);
      }
    }
  }
}

function idOf(drive: DriveProgress, kind: Kind): string {
  return (kind === "snapshot" ? drive.snapshotId : drive.copyId) ?? "";
}

function label(kind: Kind, id: string, region: string): string {
  return `${kind === "snapshot" ? "Snapshot" : "DR copy"}${id ? ` ${id}` : "s"} in ${region}`;
}

function observe(ctx: RunContext, index: number, kind: Kind, snapshot: Snapshot): void {
  const drive = ctx.state.drives[index] as DriveProgress;
  const item = ctx.item(index);
  const region = kind === "snapshot" ? ctx.plan.region : ctx.plan.drRegion;
  const now = ctx.now();
  const started = snapshot.StartTime?.getTime() ?? now;
  const completed = snapshot.CompletionTime?.getTime() ?? now;
  if (snapshot.State === "error") {
    ctx.fail(
      index,
      `SnapshotFailedError: ${label(kind, snapshot.SnapshotId ?? "", region)} ended in state error: ${snapshot.StateMessage ?? "no reason given"}`,
    );
    return;
  }
  if (snapshot.State === "completed") {
    if (kind === "snapshot") {
      ctx.state.learned.snapshotSeconds.push((completed - started) / 1000);
      ctx.advance(index, "pruning", {
        startTime: new Date(started).toISOString(),
        completionTime: new Date(completed).toISOString(),
        sizeGiB: snapshot.VolumeSize ?? item.sizeGiB,
        left: item.retentionError ? [] : [...item.prune],
      });
    } else {
      ctx.state.learned.copySeconds.push((completed - started) / 1000);
      ctx.advance(index, "dr-pruning", {
        copyCompletionTime: new Date(completed).toISOString(),
        left: item.retentionError ? [] : [...item.drPrune],
      });
    }
    delete drive.nextCheckAt;
    return;
  }
  if ((now - started) / 1000 > ctx.options.maxPendingSeconds) {
    ctx.fail(
      index,
      `SnapshotTimeoutError: ${label(kind, snapshot.SnapshotId ?? "", region)} is still ${snapshot.State} (${snapshot.Progress ?? "?"}) after ${ctx.options.maxPendingSeconds} s`,
    );
    return;
  }
  const learned = average(
    kind === "snapshot" ? ctx.state.learned.snapshotSeconds : ctx.state.learned.copySeconds,
  );
  drive.nextCheckAt = predictCompletion(started, now, snapshot.Progress, learned, ctx.options);
}

/**
 * When to look again: extrapolated from the progress AWS reports, or from the durations seen so
 * far in this run, never sooner than the shortest pause nor later than the longest.
 */
export function predictCompletion(
  started: number,
  now: number,
  progress: string | undefined,
  learnedSeconds: number | undefined,
  options: { minWakeSeconds: number; maxWakeSeconds: number },
): number {
  const fraction = Number.parseFloat(progress ?? "") / 100;
  let eta: number;
  if (fraction >= 0.05 && fraction < 1) eta = started + (now - started) / fraction;
  else eta = started + (learnedSeconds ?? 120) * 1000;
  const earliest = now + options.minWakeSeconds * 1000;
  const latest = now + options.maxWakeSeconds * 1000;
  return Math.min(latest, Math.max(earliest, Math.ceil(eta)));
}

/**
 * Initial check time of a snapshot or copy just requested: when the volume's previous one took as
 * long, else the average seen in this run, else 30 s.
 */
export function firstCheck(ctx: RunContext, kind: Kind, now: number, index: number): number {
  const item = ctx.item(index);
  const expected = kind === "snapshot" ? item.expectSnapshotSeconds : item.expectCopySeconds;
  const learned = average(
    kind === "snapshot" ? ctx.state.learned.snapshotSeconds : ctx.state.learned.copySeconds,
  );
  return now + Math.max(ctx.options.minWakeSeconds, expected ?? learned ?? 30) * 1000;
}

/**
 * After a crashed invocation: adopt snapshots and copies this run already made (tagged
 * snapfleet:run), so a retried step never makes a second one for the same volume.
 */
export async function reconcile(ctx: RunContext): Promise<void> {
  const runTag = { Name: `tag:${TAG.run}`, Values: [ctx.plan.runId] };
  const primary = await listTagged(ctx, ctx.plan.region, runTag);
  const byVolume = new Map(primary.map((s) => [toTagMap(s.Tags)[TAG.volumeId] ?? s.VolumeId ?? "", s]));
  const copies = ctx.plan.drRegion ? await listTagged(ctx, ctx.plan.drRegion, runTag) : [];
  const bySource = new Map(copies.map((s) => [toTagMap(s.Tags)[TAG.sourceSnapshot] ?? "", s]));
  const now = ctx.now();
  ctx.state.drives.forEach((drive, index) => {
    const found = byVolume.get(ctx.item(index).volumeId);
    if (drive.phase === "queued" && found?.SnapshotId) {
      ctx.advance(index, "snapshotting", { snapshotId: found.SnapshotId, nextCheckAt: now });
      ctx.deps.log.warn("adopted a snapshot made by an interrupted invocation", {
        snapshotId: found.SnapshotId,
      });
    }
    const copy = drive.snapshotId ? bySource.get(drive.snapshotId) : undefined;
    if (drive.phase === "copy-queued" && copy?.SnapshotId) {
      ctx.advance(index, "copying", {
        copyId: copy.SnapshotId,
        copyStartTime: copy.StartTime?.toISOString() ?? new Date(now).toISOString(),
        nextCheckAt: now,
      });
      ctx.deps.log.warn("adopted a DR copy made by an interrupted invocation", {
        snapshotId: copy.SnapshotId,
      });
    }
  });
}

async function listTagged(ctx: RunContext, region: string, filter: { Name: string; Values: string[] }) {
  const result: Snapshot[] = [];
  let NextToken: string | undefined;
  do {
    while (!ctx.take("describe", region))
      await ctx.deps.clock.sleep(ctx.budgets.msUntil("describe", region, ctx.now()));
    ctx.counters.apiCalls += 1;
    const page = await ctx.deps.ec2(region).send(
      new DescribeSnapshotsCommand({
        OwnerIds: ["self"],
        Filters: [filter],
        MaxResults: 1000,
        ...(NextToken ? { NextToken } : {}),
      }),
    );
    result.push(...(page.Snapshots ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return result;
}

/**
 * This run's snapshot carrying the given tags, if any (one DescribeSnapshots; the caller has
 * taken the Describe token). `null` when there is none; throws when the call fails.
 */
export async function findRunSnapshot(
  ctx: RunContext,
  region: string,
  tags: Record<string, string>,
): Promise<Snapshot | null> {
  ctx.counters.apiCalls += 1;
  const result = await ctx.deps.ec2(region).send(
    new DescribeSnapshotsCommand({
      OwnerIds: ["self"],
      Filters: [
        { Name: `tag:${TAG.run}`, Values: [ctx.plan.runId] },
        ...Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
      ],
    }),
  );
  return result.Snapshots?.[0] ?? null;
}
