import { DescribeSnapshotsCommand, type Filter, type Snapshot } from "@aws-sdk/client-ec2";
import { TAG, type TagMap, toTagMap } from "../tags";
import type { RestoreDeps } from "./deps";
import { filterValue } from "./match";

/** One snapshot snapfleet made of one drive: a point the drive can be restored to. */
export interface RecoveryPoint {
  snapshotId: string;
  region: string;
  state: string;
  progress: string;
  /**
   * When the data was captured: the snapshot's StartTime; for a DR copy, its source's StartTime
   * when the source still exists, else the copy's own StartTime (later, so never too new).
   */
  takenAt: string;
  sizeGiB: number;
  encrypted: boolean;
  kmsKeyId: string | null;
  instanceId: string;
  host: string;
  device: string;
  volumeId: string;
  sourceSnapshotId: string | null;
  sourceRegion: string | null;
  tags: TagMap;
}

export interface PointSelector {
  region: string;
  host?: string | undefined;
  instanceId?: string | undefined;
  device?: string | undefined;
}

/** EC2 accepts at most 200 values per filter. */
const MAX_FILTER_VALUES = 200;

/**
 * Every snapshot snapfleet made of the host's or instance's drives in one region (DR copies carry
 * the same tags), newest first. Paginated; pending and failed ones are listed too. Host, instance
 * and device match exactly: no wildcards (lib/restore/match.ts).
 */
export async function findRecoveryPoints(props: PointSelector, deps: RestoreDeps): Promise<RecoveryPoint[]> {
  const wanted: [string, string | undefined][] = [
    [TAG.host, props.host],
    [TAG.instanceId, props.instanceId],
    [TAG.device, props.device],
  ];
  const filters: Filter[] = [{ Name: `tag:${TAG.managed}`, Values: ["true"] }];
  for (const [key, value] of wanted) {
    if (value !== undefined) filters.push({ Name: `tag:${key}`, Values: [filterValue(value)] });
  }
  const snapshots = (await describeAll(props.region, filters, deps)).filter((s) => {
    const tags = toTagMap(s.Tags);
    return wanted.every(([key, value]) => value === undefined || tags[key] === value);
  });
  const sourceTimes = await sourceStartTimes(snapshots, deps);
  const points = snapshots.map((s) => toPoint(s, props.region, sourceTimes));
  return points.sort(
    (a, b) => b.takenAt.localeCompare(a.takenAt) || a.snapshotId.localeCompare(b.snapshotId),
  );
}

/** The newest completed point taken at or before `at` (the newest completed one without `at`). */
export function chooseRecoveryPoint(
  points: readonly RecoveryPoint[],
  at?: Date | undefined,
): RecoveryPoint | undefined {
  let best: RecoveryPoint | undefined;
  for (const point of points) {
    if (point.state !== "completed") continue;
    if (at !== undefined && Date.parse(point.takenAt) > at.getTime()) continue;
    if (!best || point.takenAt > best.takenAt) best = point;
  }
  return best;
}

async function describeAll(region: string, Filters: Filter[], deps: RestoreDeps): Promise<Snapshot[]> {
  const result: Snapshot[] = [];
  let NextToken: string | undefined;
  do {
    const page = await deps
      .ec2(region)
      .send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters, MaxResults: 1000, NextToken }));
    result.push(...(page.Snapshots ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return result;
}

/**
 * StartTime of the sources of DR copies, keyed by source snapshot id: one filtered call per source
 * region and 200 ids (a filter, not SnapshotIds, so a pruned source is simply absent). The source
 * region may be the one that is down: then the copies keep their own time.
 */
async function sourceStartTimes(snapshots: Snapshot[], deps: RestoreDeps): Promise<Map<string, string>> {
  const byRegion = new Map<string, string[]>();
  for (const s of snapshots) {
    const tags = toTagMap(s.Tags);
    const source = tags[TAG.sourceSnapshot];
    const region = tags[TAG.sourceRegion];
    if (source && region) byRegion.set(region, [...(byRegion.get(region) ?? []), source]);
  }
  const times = new Map<string, string>();
  for (const [region, ids] of byRegion) {
    for (let i = 0; i < ids.length; i += MAX_FILTER_VALUES) {
      const Values = ids.slice(i, i + MAX_FILTER_VALUES);
      try {
        for (const s of await describeAll(region, [{ Name: "snapshot-id", Values }], deps)) {
          if (s.SnapshotId && s.StartTime) times.set(s.SnapshotId, s.StartTime.toISOString());
        }
      } catch (error) {
        deps.log.warn("source snapshots not readable; DR copies are dated by their own start time", {
          region,
          error: String(error),
        });
      }
    }
  }
  return times;
}

function toPoint(s: Snapshot, region: string, sourceTimes: Map<string, string>): RecoveryPoint {
  const tags = toTagMap(s.Tags);
  const sourceSnapshotId = tags[TAG.sourceSnapshot] ?? null;
  const ownTime = s.StartTime?.toISOString() ?? new Date(0).toISOString();
  return {
    snapshotId: s.SnapshotId ?? "",
    region,
    state: s.State ?? "unknown",
    progress: s.Progress ?? "",
    takenAt: (sourceSnapshotId && sourceTimes.get(sourceSnapshotId)) || ownTime,
    sizeGiB: s.VolumeSize ?? 0,
    encrypted: s.Encrypted ?? false,
    kmsKeyId: s.KmsKeyId ?? null,
    instanceId: tags[TAG.instanceId] ?? "",
    host: tags[TAG.host] ?? "",
    device: tags[TAG.device] ?? "",
    volumeId: tags[TAG.volumeId] ?? "",
    sourceSnapshotId,
    sourceRegion: tags[TAG.sourceRegion] ?? null,
    tags,
  };
}
