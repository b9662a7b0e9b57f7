import {
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type Instance,
  type Snapshot,
  type Volume,
} from "@aws-sdk/client-ec2";
import { Budgets } from "./budget";
import { type ConsistencyPolicy, consistencyOf, setIdOf } from "./consistency";
import type { Deps } from "./deps";
import type { DriveItem } from "./drive";
import { copyMismatch, type NotOurs, primaryMismatch } from "./ownership";
import { parseRetention, pruneCandidates, RETENTION_GRAMMAR, type SnapshotFacts } from "./retention";
import { withRetry } from "./retry";
import { MAX_RUN_SECONDS, runsInProgress } from "./run-markers";
import {
  DR_RETENTION_TAG,
  isVolumeOptedOut,
  NAME_TAG,
  RETENTION_TAG,
  readTag,
  selectionOf,
  snapshotTags,
  TAG,
  type TagMap,
  tagValue,
  toTagMap,
} from "./tags";

export type OrphanPolicy = "keep" | "apply-recorded";

export interface PlanProps {
  runId: string;
  region: string;
  drRegion: string;
  selectionTag: string;
  defaultRetention: string;
  /** IANA time zone of retention periods; "UTC" by default. */
  timeZone?: string | undefined;
  /** What happens to snapshots of volumes that are gone or no longer selected. */
  orphans?: OrphanPolicy | undefined;
  /**
   * The run bucket, where runs record their start and finish: snapshots of runs still in progress
   * are never pruned. Without it (unit tests of pure planning) no run counts as in progress.
   */
  bucket?: string | undefined;
}

/** Managed snapshots of one volume that no longer exists or is no longer selected, in one region. */
export interface OrphanGroup {
  region: string;
  volumeId: string;
  instanceId: string;
  host: string;
  snapshots: number;
  newestSnapshotId: string;
  newestStartTime: string;
  /** The policy recorded on the newest snapshot (`snapfleet:retention`), if any. */
  recordedPolicy: string | null;
  /** Deleted this run (orphan policy apply-recorded): never the newest. */
  prune: string[];
  note: string;
}

/** The server's consistency (its tags) and the attached volumes a snapshot set must leave out. */
export type PlannedConsistency = ConsistencyPolicy & {
  excludeBoot: boolean;
  excludeDataVolumeIds: string[];
};

export interface PlannedInstance {
  instanceId: string;
  host: string;
  consistency: PlannedConsistency;
  drives: DriveItem[];
}

export interface Plan {
  runId: string;
  startedAt: string;
  instances: PlannedInstance[];
  /** Selected instances and volumes that are not backed up, and why (opted out, no volumes). */
  skipped: { instanceId: string; volumeId?: string; reason: string }[];
  orphans: OrphanGroup[];
  /** Instances whose selection tag is ambiguous: not backed up, listed in the digest. */
  tagProblems: { instanceId: string; host: string; reason: string }[];
  /** Snapshots tagged as managed whose EC2 fields disagree with the tags: never deleted, listed. */
  notOurs: NotOurs[];
  /** Prune candidates kept this time because their run is still going or their DR copy is pending. */
  held: { region: string; snapshotId: string; reason: string }[];
}

const DESCRIBE_VOLUMES_BATCH = 200;

/**
 * Finds the instances carrying the selection tag, their attached volumes and the snapshots
 * snapfleet manages (one paginated DescribeSnapshots per region and run, never one per volume), and
 * decides per volume what this run prunes once its new snapshot is completed.
 */
export async function planRun(props: PlanProps, deps: Deps, budgets = new Budgets(0.1)): Promise<Plan> {
  const now = deps.clock.now();
  const describe = <T>(region: string, call: () => Promise<T>) => paced(budgets, region, deps, call);
  const discovered = await listInstances(props.region, deps, describe);
  const tagProblems: Plan["tagProblems"] = [];
  const instances = discovered.filter((instance) => {
    const tags = toTagMap(instance.Tags);
    const selection = selectionOf(tags, props.selectionTag);
    if ("problem" in selection) {
      const instanceId = instance.InstanceId ?? "";
      tagProblems.push({
        instanceId,
        host: tagValue(tags, NAME_TAG) || instanceId,
        reason: selection.problem,
      });
      return false;
    }
    return selection.selected;
  });
  const volumeIds = instances.flatMap((i) => attachedVolumes(i).map((a) => a.volumeId));
  const [volumes, primaryListed, drListed] = await Promise.all([
    describeVolumes(props.region, volumeIds, deps, describe),
    listManagedSnapshots(props.region, deps, describe),
    props.drRegion ? listManagedSnapshots(props.drRegion, deps, describe) : Promise.resolve([]),
  ]);
  const sources = new Map(primaryListed.map((s) => [s.SnapshotId ?? "", s]));
  const notOurs: NotOurs[] = [];
  const primarySnapshots = groupOurs(props.region, primaryListed, primaryMismatch, notOurs);
  const drSnapshots = groupOurs(props.drRegion, drListed, (s) => copyMismatch(s, sources), notOurs);

  const plan: Plan = {
    runId: props.runId,
    startedAt: now.toISOString(),
    instances: [],
    skipped: [],
    orphans: [],
    tagProblems,
    notOurs,
    held: [],
  };
  const timeZone = props.timeZone ?? "UTC";
  for (const instance of instances) {
    const instanceId = instance.InstanceId ?? "";
    const instanceTags = toTagMap(instance.Tags);
    const host = tagValue(instanceTags, NAME_TAG) || instanceId;
    const drives: DriveItem[] = [];
    const policy = consistencyOf(
      instanceTags,
      String(instance.Platform ?? "").toLowerCase() === "windows" ? "windows" : "linux",
    );
    const consistency: PlannedConsistency = { ...policy, excludeBoot: false, excludeDataVolumeIds: [] };
    const setId = policy.requested === "volume" ? undefined : setIdOf(props.runId, instanceId);
    for (const { device, volumeId } of attachedVolumes(instance)) {
      const volume = volumes.get(volumeId);
      const volumeTags = toTagMap(volume?.Tags);
      if (isVolumeOptedOut(volumeTags, props.selectionTag)) {
        plan.skipped.push({ instanceId, volumeId, reason: `volume tag ${props.selectionTag}=false` });
        if (device === instance.RootDeviceName) consistency.excludeBoot = true;
        else consistency.excludeDataVolumeIds.push(volumeId);
        continue;
      }
      const ctx = { instanceId, volumeId, host, instanceTags, volumeTags, now, timeZone };
      const primary = decidePrune(ctx, RETENTION_TAG, props.defaultRetention, primarySnapshots.get(volumeId));
      const dr = decidePrune(ctx, DR_RETENTION_TAG, primary.policyText, drSnapshots.get(volumeId));
      const optOut = readTag(volumeTags, props.selectionTag);
      const selectionError = optOut.ok
        ? undefined
        : `Volume ${volumeId} has ${optOut.conflict}: it is backed up, and nothing of it is pruned until one is removed.`;
      const retentionError = [selectionError, primary.error, dr.error].filter(Boolean).join(" ") || undefined;
      drives.push({
        runId: props.runId,
        region: props.region,
        drRegion: props.drRegion,
        instanceId,
        host,
        device,
        volumeId,
        sizeGiB: volume?.Size ?? 0,
        encrypted: volume?.Encrypted ?? false,
        tags: snapshotTags({
          volumeTags,
          instanceId,
          host,
          device,
          volumeId,
          runId: props.runId,
          retention: primary.policyText,
          consistency: policy.requested,
          setId,
        }),
        prune: retentionError ? [] : primary.prune,
        drPrune: retentionError
          ? []
          : [...dr.prune, ...failedSnapshots(drSnapshots.get(volumeId), props.runId)],
        cleanup: retentionError ? [] : failedSnapshots(primarySnapshots.get(volumeId), props.runId),
        drRetention: dr.policyText,
        expectSnapshotSeconds: lastDuration(primarySnapshots.get(volumeId)),
        expectCopySeconds: lastDuration(drSnapshots.get(volumeId)),
        lastDrCopyAt: newestCompleted(drSnapshots.get(volumeId))?.StartTime?.toISOString(),
        ...(retentionError ? { retentionError } : {}),
      });
    }
    if (drives.length === 0) plan.skipped.push({ instanceId, reason: "no attached EBS volume to back up" });
    else plan.instances.push({ instanceId, host, consistency, drives });
  }
  const selected = new Set(plan.instances.flatMap((i) => i.drives.map((d) => d.volumeId)));
  const orphanOptions = { selected, policy: props.orphans ?? "keep", timeZone };
  plan.orphans = [
    ...findOrphans(props.region, primarySnapshots, orphanOptions),
    ...(props.drRegion ? findOrphans(props.drRegion, drSnapshots, orphanOptions) : []),
  ];
  plan.held = await holdBack(plan, [...primaryListed, ...drListed], props, deps);
  deps.log.info("planned run", {
    instances: plan.instances.length,
    drives: plan.instances.reduce((n, i) => n + i.drives.length, 0),
    skipped: plan.skipped.length,
    orphans: plan.orphans.length,
    tagProblems: plan.tagProblems.length,
    notOurs: plan.notOurs.length,
    held: plan.held.length,
  });
  return plan;
}

/** Snapshots listed under the volume their tags name, only when EC2's own fields agree. */
function groupOurs(
  region: string,
  snapshots: Snapshot[],
  mismatch: (s: Snapshot) => string | undefined,
  notOurs: NotOurs[],
): Map<string, Snapshot[]> {
  const byVolume = new Map<string, Snapshot[]>();
  for (const snapshot of snapshots) {
    const volumeId = toTagMap(snapshot.Tags)[TAG.volumeId] ?? "";
    const reason = mismatch(snapshot);
    if (reason) {
      notOurs.push({ region, snapshotId: snapshot.SnapshotId ?? "", taggedVolumeId: volumeId, reason });
      continue;
    }
    const list = byVolume.get(volumeId) ?? [];
    list.push(snapshot);
    byVolume.set(volumeId, list);
  }
  return byVolume;
}

/**
 * snapfleet's own snapshots that ended in `error` in earlier runs: they hold no data, and AWS
 * counts unfinished ones against the volume's limit, so they are deleted (never another run's
 * that may still be looking at it: this run's own are not listed yet).
 */
function failedSnapshots(snapshots: Snapshot[] | undefined, runId: string): string[] {
  return (snapshots ?? [])
    .filter((s) => s.State === "error" && toTagMap(s.Tags)[TAG.run] !== runId)
    .map((s) => s.SnapshotId ?? "")
    .sort();
}

/**
 * Takes out of every prune list what must wait: snapshots made by a run that has not finished
 * (another run started the same day may still copy them), and snapshots whose DR copy is still
 * pending. They stay candidates for a later run.
 */
async function holdBack(plan: Plan, listed: Snapshot[], props: PlanProps, deps: Deps): Promise<Plan["held"]> {
  const byId = new Map(listed.map((s) => [s.SnapshotId ?? "", s]));
  const tagsOf = new Map(listed.map((s) => [s.SnapshotId ?? "", toTagMap(s.Tags)]));
  const candidates = [
    ...plan.instances.flatMap((i) => i.drives.flatMap((d) => [...d.prune, ...d.drPrune])),
    ...plan.orphans.flatMap((o) => o.prune),
  ];
  const recent = deps.clock.now().getTime() - MAX_RUN_SECONDS * 1000;
  const runOf = (id: string) => tagsOf.get(id)?.[TAG.run] ?? "";
  const recentRuns = candidates
    .filter((id) => (byId.get(id)?.StartTime?.getTime() ?? 0) > recent && runOf(id) !== props.runId)
    .map(runOf)
    .filter(Boolean);
  const going = props.bucket ? await runsInProgress(props.bucket, recentRuns, deps) : new Set<string>();
  const copying = new Set(
    listed
      .filter((s) => s.State === "pending")
      .map((s) => tagsOf.get(s.SnapshotId ?? "")?.[TAG.sourceSnapshot])
      .filter((source): source is string => Boolean(source)),
  );
  const held: Plan["held"] = [];
  const why = (id: string): string | undefined => {
    if (going.has(runOf(id))) return `its run ${runOf(id)} has not finished`;
    if (copying.has(id)) return "its DR copy is still pending";
    return undefined;
  };
  const keep = (ids: string[], region: string) =>
    ids.filter((id) => {
      const reason = byId.get(id)?.State === "error" ? undefined : why(id);
      if (reason) held.push({ region, snapshotId: id, reason });
      return !reason;
    });
  for (const instance of plan.instances) {
    for (const drive of instance.drives) {
      drive.prune = keep(drive.prune, drive.region);
      drive.drPrune = keep(drive.drPrune, drive.drRegion);
    }
  }
  for (const orphan of plan.orphans) orphan.prune = keep(orphan.prune, orphan.region);
  return held;
}

interface PruneContext {
  instanceId: string;
  volumeId: string;
  host: string;
  instanceTags: TagMap;
  volumeTags: TagMap;
  now: Date;
  timeZone: string;
}

/**
 * The volume's tag overrides the instance's, which overrides the fallback. The snapshot this run
 * takes counts as the newest, so the policy is applied as it will stand once that one completes.
 */
function decidePrune(
  ctx: PruneContext,
  tagKey: string,
  fallback: string,
  existing: Snapshot[] | undefined,
): { policyText: string; prune: string[]; error?: string } {
  const volumeRead = readTag(ctx.volumeTags, tagKey);
  const instanceRead = readTag(ctx.instanceTags, tagKey);
  const conflict = !volumeRead.ok
    ? `Volume ${ctx.volumeId} has ${volumeRead.conflict}`
    : !instanceRead.ok
      ? `Instance ${ctx.instanceId} (${ctx.host}) has ${instanceRead.conflict}`
      : undefined;
  if (conflict) {
    return {
      policyText: fallback,
      prune: [],
      error: `${conflict}: AWS does not order tags, so neither applies. Remove one. Nothing of this volume is pruned until then.`,
    };
  }
  const onVolume = volumeRead.ok ? volumeRead.value : undefined;
  const onInstance = instanceRead.ok ? instanceRead.value : undefined;
  const policyText = onVolume ?? onInstance ?? fallback;
  const parsed = parseRetention(policyText);
  if (!parsed.ok) {
    const where =
      onVolume !== undefined ? `Volume ${ctx.volumeId}` : `Instance ${ctx.instanceId} (${ctx.host})`;
    return {
      policyText,
      prune: [],
      error:
        `${where} has ${tagKey}="${policyText}": ${parsed.reason}. Use ${RETENTION_GRAMMAR}. ` +
        "Nothing of this volume is pruned until the tag is fixed.",
    };
  }
  const prune = pruneCandidates((existing ?? []).map(facts), parsed.policy, {
    newest: ctx.now,
    timeZone: ctx.timeZone,
  });
  return { policyText, prune };
}

function newestCompleted(snapshots: Snapshot[] | undefined): Snapshot | undefined {
  let newest: Snapshot | undefined;
  for (const s of snapshots ?? []) {
    if (s.State !== "completed" || !s.StartTime) continue;
    if (!newest || (newest.StartTime as Date) < s.StartTime) newest = s;
  }
  return newest;
}

/** Seconds the newest completed snapshot took, if AWS says when it completed. */
function lastDuration(snapshots: Snapshot[] | undefined): number | undefined {
  const newest = newestCompleted(snapshots);
  if (!newest?.CompletionTime || !newest.StartTime) return undefined;
  return (newest.CompletionTime.getTime() - newest.StartTime.getTime()) / 1000;
}

function facts(snapshot: Snapshot): SnapshotFacts {
  return {
    id: snapshot.SnapshotId ?? "",
    startTime: snapshot.StartTime ?? new Date(0),
    state: snapshot.State ?? "unknown",
    managed: toTagMap(snapshot.Tags)[TAG.managed] === "true",
  };
}

/**
 * Managed snapshots whose volume is gone or no longer selected. Kept and listed by default; with
 * `apply-recorded`, the policy recorded on the newest of them applies, and the newest is kept.
 */
function findOrphans(
  region: string,
  byVolume: Map<string, Snapshot[]>,
  options: { selected: Set<string>; policy: OrphanPolicy; timeZone: string },
): OrphanGroup[] {
  const groups: OrphanGroup[] = [];
  for (const [volumeId, snapshots] of byVolume) {
    if (options.selected.has(volumeId)) continue;
    const completed = snapshots.filter((s) => s.State === "completed");
    const newest = [...completed].sort(
      (a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0),
    )[0];
    if (!newest?.SnapshotId) continue;
    const tags = toTagMap(newest.Tags);
    const recordedPolicy = tags[TAG.retention] ?? null;
    const group: OrphanGroup = {
      region,
      volumeId,
      instanceId: tags[TAG.instanceId] ?? "",
      host: tags[TAG.host] ?? "",
      snapshots: snapshots.length,
      newestSnapshotId: newest.SnapshotId,
      newestStartTime: newest.StartTime?.toISOString() ?? "",
      recordedPolicy,
      prune: [],
      note: "kept (orphan policy: keep)",
    };
    if (options.policy === "apply-recorded") {
      const parsed = recordedPolicy === null ? undefined : parseRetention(recordedPolicy);
      if (parsed?.ok) {
        group.prune = pruneCandidates(snapshots.map(facts), parsed.policy, { timeZone: options.timeZone });
        group.note = `recorded policy ${recordedPolicy} applied`;
      } else {
        group.note = `kept: recorded policy ${recordedPolicy === null ? "missing" : `"${recordedPolicy}" is invalid`}`;
      }
    }
    groups.push(group);
  }
  return groups;
}

function attachedVolumes(instance: Instance): { device: string; volumeId: string }[] {
  return (instance.BlockDeviceMappings ?? []).flatMap((m) =>
    m.Ebs?.VolumeId && m.DeviceName ? [{ device: m.DeviceName, volumeId: m.Ebs.VolumeId }] : [],
  );
}

type Describe = <T>(region: string, call: () => Promise<T>) => Promise<T>;

/**
 * Every Describe call of the plan waits for a token of the region's Describe budget (the bucket
 * is shared with every other tool in the account) and is retried when throttled anyway.
 */
async function paced<T>(budgets: Budgets, region: string, deps: Deps, call: () => Promise<T>): Promise<T> {
  while (!budgets.take("describe", region, deps.clock.now().getTime())) {
    await deps.clock.sleep(Math.max(1, budgets.msUntil("describe", region, deps.clock.now().getTime())));
  }
  return withRetry(call, deps, `Describe in ${region}`);
}

async function listInstances(region: string, deps: Deps, describe: Describe): Promise<Instance[]> {
  const result: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await describe(region, () =>
      deps.ec2(region).send(
        new DescribeInstancesCommand({
          Filters: [{ Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] }],
          MaxResults: 1000,
          ...(NextToken ? { NextToken } : {}),
        }),
      ),
    );
    for (const reservation of page.Reservations ?? []) result.push(...(reservation.Instances ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return result;
}

async function describeVolumes(
  region: string,
  volumeIds: string[],
  deps: Deps,
  describe: Describe,
): Promise<Map<string, Volume>> {
  const result = new Map<string, Volume>();
  for (let i = 0; i < volumeIds.length; i += DESCRIBE_VOLUMES_BATCH) {
    const ids = volumeIds.slice(i, i + DESCRIBE_VOLUMES_BATCH);
    const page = await describe(region, () =>
      deps.ec2(region).send(new DescribeVolumesCommand({ VolumeIds: ids })),
    );
    for (const volume of page.Volumes ?? []) if (volume.VolumeId) result.set(volume.VolumeId, volume);
  }
  return result;
}

/** Every snapshot tagged snapfleet:managed=true in a region (one paginated call per page of 1,000). */
export async function listManagedSnapshots(
  region: string,
  deps: Pick<Deps, "ec2">,
  describe: Describe,
): Promise<Snapshot[]> {
  const result: Snapshot[] = [];
  let NextToken: string | undefined;
  do {
    const page = await describe(region, () =>
      deps.ec2(region).send(
        new DescribeSnapshotsCommand({
          OwnerIds: ["self"],
          Filters: [{ Name: `tag:${TAG.managed}`, Values: ["true"] }],
          MaxResults: 1000,
          ...(NextToken ? { NextToken } : {}),
        }),
      ),
    );
    for (const snapshot of page.Snapshots ?? []) {
      if (toTagMap(snapshot.Tags)[TAG.volumeId]) result.push(snapshot);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return result;
}
