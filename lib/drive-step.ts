import { CreateTagsCommand, DescribeSnapshotsCommand, type Snapshot } from "@aws-sdk/client-ec2";
import type { Consistency, SetOutcome } from "./consistency";
import type { Deps } from "./deps";
import type { DriveItem } from "./drive";
import { type DeleteOutcome, deleteSnapshots } from "./prune";
import { backoffMs, createOrAdopt, describeError, mustWaitTurn, withRetry } from "./retry";
import { copyToDr, createSnapshot, describeSnapshot, itemKeys } from "./snapshot";
import { TAG, toTagList } from "./tags";
import { guessCopySeconds, guessSnapshotSeconds, MARGIN_SECONDS } from "./timetable";

/**
 * One volume's backup as a small state machine of its own, advanced by one Lambda invocation per
 * step between Wait states: request the snapshot at its slot, check it when it should be done,
 * prune the primary region, start the DR copy at its slot, check it, prune the DR region. Every
 * step is safe to repeat: deletions treat "already gone" as done, and a step whose previous attempt
 * may have created a snapshot or copy (`uncertain`) first looks for it by its `snapfleet:run` tag.
 */
export type Phase = "start" | "snapshotting" | "copy-wait" | "copying" | "done";

export interface DriveProgress {
  phase: Phase;
  /** When the next step is due (ISO 8601): the Wait state before it sleeps until then. */
  wakeAt: string;
  done: boolean;
  snapshotId?: string;
  startTime?: string;
  completionTime?: string;
  copyId?: string;
  copyStartTime?: string;
  copyCompletionTime?: string;
  pruned: string[];
  drPruned: string[];
  errorsDeleted: string[];
  /** The reason the drive failed; set together with done. */
  failed?: string;
  /** The snapshot's state when the drive failed on it ("error"), for the record. */
  snapshotState?: string;
  /** Deletions AWS refused (other than "in use by an AMI"): the drive is reported failed with them. */
  problems?: string[];
  /** Steps that found nothing to do yet (still pending, or waiting for a slot). */
  waits: number;
  /** What the server's set step got (the Volumes map hands it to every drive); absent before sets existed. */
  set?: SetOutcome | undefined;
  /** The consistency this drive's snapshot got, and why it is less than asked (or what was wrong). */
  consistency?: Consistency | "skipped" | undefined;
  consistencyNote?: string | undefined;
}

/** The drive item with its slots from the timetable. */
export interface ScheduledDrive extends DriveItem {
  snapshotAt: string;
  snapshotDoneAt: string;
  copyAt?: string | undefined;
  copyDoneAt?: string | undefined;
}

export interface StepProps {
  item: ScheduledDrive;
  progress: DriveProgress;
  /** The previous attempt of this step ended without an answer (crash, timeout). */
  uncertain: boolean;
  /** KMS key for DR copies of encrypted snapshots ("" = the region's default). */
  drKmsKeyId: string;
}

/** Steps that find nothing to do yet before the drive is given up (more than a day of waiting). */
export const MAX_WAITS = 400;

export async function stepDrive(props: StepProps, deps: Deps): Promise<DriveProgress> {
  const progress: DriveProgress = structuredClone(props.progress);
  const { item } = props;
  const now = () => deps.clock.now();
  const fail = (reason: string, snapshotState?: string) => {
    Object.assign(progress, { done: true, phase: "done", failed: reason, wakeAt: now().toISOString() });
    if (snapshotState) progress.snapshotState = snapshotState;
    deps.log.error("drive backup failed", { ...itemKeys(item), reason });
    return progress;
  };
  const wait = (ms: number) => {
    progress.waits += 1;
    if (progress.waits > MAX_WAITS)
      return fail(`gave up after ${progress.waits} waits in phase ${progress.phase}`);
    progress.wakeAt = new Date(now().getTime() + Math.max(1000, ms)).toISOString();
    return progress;
  };
  const waitTurn = () =>
    wait(backoffMs(Math.min(progress.waits, 5), { baseMs: 5000, maxMs: 120_000 }) + 5000);

  if (progress.phase === "start") {
    const set = progress.set;
    const fromSet = set?.snapshots[item.volumeId];
    const note = [set?.reason, set?.postProblem].filter(Boolean).join(" ") || undefined;
    if (set?.mode === "skipped") {
      Object.assign(progress, { consistency: "skipped", consistencyNote: note });
      return fail(`Not backed up: ${set.reason ?? "the set step skipped the server"}`);
    }
    if (set && fromSet) {
      Object.assign(progress, { consistency: set.mode, consistencyNote: note });
      try {
        // One CreateSnapshots call tags every snapshot alike: this drive's own tags go on here.
        await withRetry(
          () =>
            deps.ec2(item.region).send(
              new CreateTagsCommand({
                Resources: [fromSet],
                // Without snapfleet:managed, which CreateSnapshots set and IAM lets nothing else write.
                Tags: toTagList(tagsOf(item, progress)).filter((t) => t.Key !== TAG.managed),
              }),
            ),
          deps,
          "CreateTags",
        );
      } catch (error) {
        if (mustWaitTurn(error)) return waitTurn();
        return fail(`Tagging ${fromSet}, this drive's snapshot of the set, failed: ${describeError(error)}`);
      }
      const deleted = set.errorsDeleted?.[item.volumeId] ?? [];
      progress.errorsDeleted = [...new Set([...progress.errorsDeleted, ...deleted])];
      return snapshotting(progress, item, fromSet, Date.parse(set.startTime ?? now().toISOString()), now());
    }
    // Its own snapshot: per-volume consistency, or the server's set did not include this drive.
    const requested = set?.requested ?? "volume";
    Object.assign(progress, {
      consistency: "volume",
      consistencyNote:
        set && requested !== "volume" && !note
          ? `the server's snapshot set did not include ${item.volumeId}; it was snapshotted on its own`
          : note,
    });
    const cleaned = await deleteSnapshots(item.region, item.cleanup ?? [], deps, itemKeys(item));
    progress.errorsDeleted = [...new Set([...progress.errorsDeleted, ...cleaned.deleted])];
    try {
      const snapshotId = await createOrAdopt(
        () => createSnapshot({ ...item, tags: tagsOf(item, progress) }, deps).then((s) => s.snapshotId),
        () => findRunSnapshot(item.region, { [TAG.volumeId]: item.volumeId }, item.runId, deps),
        props.uncertain,
        deps,
      );
      return snapshotting(progress, item, snapshotId, now().getTime(), now());
    } catch (error) {
      if (mustWaitTurn(error)) return waitTurn();
      return fail(`CreateSnapshot of ${item.volumeId} failed: ${describeError(error)}`);
    }
  }

  if (progress.phase === "snapshotting") {
    const snapshot = await describeSnapshot(item.region, progress.snapshotId ?? "", deps);
    if (!snapshot)
      return fail(
        `Snapshot ${progress.snapshotId} in ${item.region} no longer exists (deleted outside snapfleet?)`,
      );
    if (snapshot.State === "error") {
      return fail(
        `SnapshotFailedError: Snapshot ${progress.snapshotId} in ${item.region} ended in state error: ${snapshot.StateMessage ?? "no reason given"}`,
        "error",
      );
    }
    if (snapshot.State !== "completed") return wait(remainingMs(snapshot, now()));
    if (snapshot.StartTime) progress.startTime = snapshot.StartTime.toISOString();
    progress.completionTime = (snapshot.CompletionTime ?? now()).toISOString();
    const pruned = await deleteSnapshots(item.region, item.prune, deps, itemKeys(item));
    progress.pruned = pruned.deleted;
    noteProblems(progress, pruned, item.region);
    if (!item.drRegion) {
      Object.assign(progress, { phase: "done", done: true });
      return progress;
    }
    Object.assign(progress, { phase: "copy-wait", waits: 0 });
    if (item.copyAt && Date.parse(item.copyAt) > now().getTime()) {
      progress.wakeAt = item.copyAt;
      return progress;
    }
  }

  if (progress.phase === "copy-wait") {
    try {
      const copyId = await createOrAdopt(
        () =>
          copyToDr({ ...item, tags: tagsOf(item, progress) }, progress.snapshotId ?? "", deps, {
            kmsKeyId: props.drKmsKeyId,
          }).then((s) => s.snapshotId),
        () =>
          findRunSnapshot(
            item.drRegion,
            { [TAG.sourceSnapshot]: progress.snapshotId ?? "" },
            item.runId,
            deps,
          ),
        props.uncertain,
        deps,
      );
      const started = now().getTime();
      Object.assign(progress, {
        phase: "copying",
        copyId,
        copyStartTime: new Date(started).toISOString(),
        wakeAt: new Date(
          started + ((item.expectCopySeconds ?? guessCopySeconds(item.sizeGiB)) + MARGIN_SECONDS) * 1000,
        ).toISOString(),
        waits: 0,
      });
      return progress;
    } catch (error) {
      if (mustWaitTurn(error)) return waitTurn();
      return fail(
        `DR copy of ${progress.snapshotId} to ${item.drRegion} could not start: ${describeError(error)}`,
      );
    }
  }

  if (progress.phase === "copying") {
    const copy = await describeSnapshot(item.drRegion, progress.copyId ?? "", deps);
    if (!copy)
      return fail(
        `DR copy ${progress.copyId} in ${item.drRegion} no longer exists (deleted outside snapfleet?)`,
      );
    if (copy.State === "error") {
      return fail(
        `SnapshotFailedError: DR copy ${progress.copyId} in ${item.drRegion} ended in state error: ${copy.StateMessage ?? "no reason given"}`,
      );
    }
    if (copy.State !== "completed") return wait(remainingMs(copy, now()));
    progress.copyCompletionTime = (copy.CompletionTime ?? now()).toISOString();
    const pruned = await deleteSnapshots(item.drRegion, item.drPrune, deps, itemKeys(item));
    progress.drPruned = pruned.deleted;
    noteProblems(progress, pruned, item.drRegion);
    Object.assign(progress, { phase: "done", done: true });
  }
  return progress;
}

/**
 * The snapshot is requested (its own, or the set's, started at `started`): the first check is due
 * when the volume's last snapshot took to complete, or at its copy slot if that is later.
 */
function snapshotting(
  progress: DriveProgress,
  item: ScheduledDrive,
  snapshotId: string,
  started: number,
  now: Date,
): DriveProgress {
  const expected =
    ((item.expectSnapshotSeconds ?? guessSnapshotSeconds(item.sizeGiB)) + MARGIN_SECONDS) * 1000;
  const copyAt = item.copyAt ? Date.parse(item.copyAt) : 0;
  return Object.assign(progress, {
    phase: "snapshotting" as const,
    snapshotId,
    startTime: new Date(started).toISOString(),
    wakeAt: new Date(Math.max(started + expected, now.getTime(), copyAt)).toISOString(),
    waits: 0,
  });
}

/**
 * The tags of the drive's snapshot and DR copy: Plan's, with the consistency the drive got; the set
 * tag only on a snapshot of the set.
 */
function tagsOf(item: ScheduledDrive, progress: DriveProgress): Record<string, string> {
  const { [TAG.set]: setTag, ...rest } = item.tags;
  const got = progress.consistency === "skipped" ? undefined : progress.consistency;
  const inSet = got === "instance" || got === "application";
  return {
    ...rest,
    ...(got ? { [TAG.consistency]: got } : {}),
    ...(inSet && setTag !== undefined ? { [TAG.set]: progress.set?.setId ?? setTag } : {}),
  };
}

function noteProblems(progress: DriveProgress, outcome: DeleteOutcome, region: string): void {
  if (outcome.failed.length === 0) return;
  progress.problems = [
    ...(progress.problems ?? []),
    ...outcome.failed.map((f) => `Pruning ${f.snapshotId} in ${region} failed: ${f.reason}`),
  ];
}

/** This run's snapshot (or copy) carrying the given tags, if it exists. */
async function findRunSnapshot(
  region: string,
  tags: Record<string, string>,
  runId: string,
  deps: Deps,
): Promise<string | undefined> {
  const filters = Object.entries({ ...tags, [TAG.run]: runId }).map(([k, v]) => ({
    Name: `tag:${k}`,
    Values: [v],
  }));
  const result = await withRetry(
    () => deps.ec2(region).send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: filters })),
    deps,
    `DescribeSnapshots in ${region}`,
  );
  return result.Snapshots?.find((s) => s.State !== "error")?.SnapshotId;
}

/** From AWS's progress so far, when the snapshot should be done; at least 30 s from now. */
function remainingMs(snapshot: Snapshot, now: Date): number {
  const percent = Number.parseFloat(snapshot.Progress ?? "0") || 0;
  const elapsed = now.getTime() - (snapshot.StartTime?.getTime() ?? now.getTime());
  const remaining = percent > 0 ? (elapsed * (100 - percent)) / percent : 60_000;
  return Math.min(3_600_000, Math.max(10_000, remaining + MARGIN_SECONDS * 1000));
}
