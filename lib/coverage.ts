import type { Instance, Snapshot, Volume } from "@aws-sdk/client-ec2";
import { copyMismatch, primaryMismatch } from "./ownership";
import { parseRetention } from "./retention";
import {
  DR_RETENTION_TAG,
  isVolumeOptedOut,
  NAME_TAG,
  RETENTION_TAG,
  readTag,
  selectionOf,
  TAG,
  type TagMap,
  tagValue,
  toTagMap,
} from "./tags";

/**
 * `snapfleet coverage`: is every drive protected, and since when? Pure: it works on the lists one
 * paginated Describe per resource type and region returned (lib/coverage-inventory.ts).
 */
export interface CoverageInput {
  region: string;
  /** "" when no DR region is known: the DR columns stay empty. */
  drRegion: string;
  selectionTag: string;
  defaultRetention: string;
  /** A selected drive whose newest completed primary recovery point is older than this is in breach. */
  maxAgeHours: number;
  now: Date;
  instances: Instance[];
  volumes: Volume[];
  /** Snapshots tagged snapfleet:managed=true in the primary and in the DR region. */
  primarySnapshots: Snapshot[];
  drSnapshots: Snapshot[];
}

export interface RecoveryPointSummary {
  snapshotId: string;
  /** When its data was taken (a DR copy: its source's start time when the source is listed). */
  takenAt: string;
  ageHours: number;
  /** What it is consistent with (`snapfleet:consistency`; older snapshots without it: `volume`). */
  consistency: string;
}

export interface RegionCoverage {
  region: string;
  newest: RecoveryPointSummary | null;
  /** snapfleet's snapshots of the drive in the region, in any state, and their total volume size. */
  snapshots: number;
  sizeGiB: number;
}

export interface RetentionInForce {
  /** The policy text, or null when case-variant tags disagree (then nothing is pruned). */
  policy: string | null;
  /** Where it comes from: "volume tag", "instance tag", "default", or the primary's policy for DR. */
  source: string;
  /** Why it does not apply: a conflict or a value the grammar refuses. */
  problem: string | null;
}

export interface DriveCoverage {
  instanceId: string | null;
  host: string | null;
  device: string | null;
  volumeId: string | null;
  selected: boolean;
  /** Why it is not backed up; null when it is selected. */
  notSelectedReason: string | null;
  retention: { primary: RetentionInForce; dr: RetentionInForce };
  primary: RegionCoverage;
  dr: RegionCoverage | null;
  /** Why a selected drive is not protected as the schedule promises; null when it is. */
  breach: string | null;
}

export interface CoverageReport {
  region: string;
  drRegion: string | null;
  checkedAt: string;
  maxAgeHours: number;
  summary: { instances: number; volumes: number; selected: number; notSelected: number; breaches: number };
  drives: DriveCoverage[];
}

const HOUR_MS = 3_600_000;

export function coverageReport(input: CoverageInput): CoverageReport {
  const volumes = new Map(input.volumes.map((v) => [v.VolumeId ?? "", v]));
  const primary = groupByVolume(input.primarySnapshots, primaryMismatch);
  const sources = new Map(input.primarySnapshots.map((s) => [s.SnapshotId ?? "", s]));
  const dr = groupByVolume(input.drSnapshots, (s) => copyMismatch(s, sources));
  const regionOf = (region: string, byVolume: Map<string, Snapshot[]>, volumeId: string): RegionCoverage =>
    regionCoverage(region, byVolume.get(volumeId) ?? [], sources, input.now);

  const drives: DriveCoverage[] = [];
  const seen = new Set<string>();
  for (const instance of input.instances) {
    const instanceId = instance.InstanceId ?? "";
    const instanceTags = toTagMap(instance.Tags);
    const host = tagValue(instanceTags, NAME_TAG) || instanceId;
    const selection = selectionOf(instanceTags, input.selectionTag);
    const instanceReason =
      "problem" in selection
        ? `instance ${selection.problem}`
        : selection.selected
          ? null
          : instanceNotSelected(instanceTags, input.selectionTag);
    const attached = (instance.BlockDeviceMappings ?? []).filter((m) => m.Ebs?.VolumeId && m.DeviceName);
    if (attached.length === 0) {
      drives.push({
        ...blank(input),
        instanceId,
        host,
        notSelectedReason: instanceReason ?? "the instance has no attached EBS volume",
      });
      continue;
    }
    for (const mapping of attached) {
      const volumeId = mapping.Ebs?.VolumeId as string;
      seen.add(volumeId);
      const volumeTags = toTagMap(volumes.get(volumeId)?.Tags);
      const reason =
        instanceReason ??
        (isVolumeOptedOut(volumeTags, input.selectionTag) ? `volume tag ${input.selectionTag}=false` : null);
      const drive: DriveCoverage = {
        instanceId,
        host,
        device: mapping.DeviceName ?? null,
        volumeId,
        selected: reason === null,
        notSelectedReason: reason,
        retention: retentionInForce(instanceTags, volumeTags, input.defaultRetention),
        primary: regionOf(input.region, primary, volumeId),
        dr: input.drRegion ? regionOf(input.drRegion, dr, volumeId) : null,
        breach: null,
      };
      drive.breach = drive.selected ? breachOf(drive.primary, input.maxAgeHours) : null;
      drives.push(drive);
    }
  }
  for (const volume of input.volumes) {
    const volumeId = volume.VolumeId ?? "";
    if (seen.has(volumeId)) continue;
    const volumeTags = toTagMap(volume.Tags);
    drives.push({
      ...blank(input),
      volumeId,
      host: tagValue(volumeTags, NAME_TAG) ?? null,
      notSelectedReason: "not attached to an instance",
      retention: retentionInForce({}, volumeTags, input.defaultRetention),
      primary: regionOf(input.region, primary, volumeId),
      dr: input.drRegion ? regionOf(input.drRegion, dr, volumeId) : null,
    });
  }
  drives.sort(
    (a, b) =>
      Number(b.breach !== null) - Number(a.breach !== null) ||
      (a.host ?? "").localeCompare(b.host ?? "") ||
      (a.instanceId ?? "").localeCompare(b.instanceId ?? "") ||
      (a.device ?? "").localeCompare(b.device ?? "") ||
      (a.volumeId ?? "").localeCompare(b.volumeId ?? ""),
  );
  const selected = drives.filter((d) => d.selected).length;
  return {
    region: input.region,
    drRegion: input.drRegion || null,
    checkedAt: input.now.toISOString(),
    maxAgeHours: input.maxAgeHours,
    summary: {
      instances: input.instances.length,
      volumes: input.volumes.length,
      selected,
      notSelected: drives.length - selected,
      breaches: drives.filter((d) => d.breach !== null).length,
    },
    drives,
  };
}

function blank(input: CoverageInput): DriveCoverage {
  const none = { policy: null, source: "-", problem: null };
  return {
    instanceId: null,
    host: null,
    device: null,
    volumeId: null,
    selected: false,
    notSelectedReason: null,
    retention: { primary: none, dr: none },
    primary: { region: input.region, newest: null, snapshots: 0, sizeGiB: 0 },
    dr: input.drRegion ? { region: input.drRegion, newest: null, snapshots: 0, sizeGiB: 0 } : null,
    breach: null,
  };
}

function instanceNotSelected(tags: TagMap, selectionTag: string): string {
  const read = readTag(tags, selectionTag);
  const value = read.ok ? read.value : undefined;
  return value === undefined
    ? `the instance has no ${selectionTag} tag`
    : `instance tag ${selectionTag}=${JSON.stringify(value)}`;
}

function breachOf(primary: RegionCoverage, maxAgeHours: number): string | null {
  if (!primary.newest) return `no completed recovery point in ${primary.region}`;
  if (primary.newest.ageHours > maxAgeHours)
    return `newest recovery point is ${formatHours(primary.newest.ageHours)} old (allowed: ${maxAgeHours}h)`;
  return null;
}

/** Hours as `3h`, `26.1h` (to the tenth, as ageHours), or `2d4h` from two days. */
export function formatHours(hours: number): string {
  if (hours < 48) return `${Math.round(hours * 10) / 10}h`;
  const h = Math.floor(hours);
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

/** The volume's tag over the instance's over the default; DR: DrRetention, else the primary policy. */
function retentionInForce(
  instanceTags: TagMap,
  volumeTags: TagMap,
  defaultRetention: string,
): { primary: RetentionInForce; dr: RetentionInForce } {
  const primary = policyOf(RETENTION_TAG, instanceTags, volumeTags, {
    policy: defaultRetention,
    source: "default",
  });
  const fallback = primary.policy === null ? { policy: defaultRetention, source: "default" } : primary;
  const dr = policyOf(DR_RETENTION_TAG, instanceTags, volumeTags, {
    policy: fallback.policy as string,
    source: `as ${RETENTION_TAG} (${fallback.source})`,
  });
  return { primary, dr };
}

function policyOf(
  key: string,
  instanceTags: TagMap,
  volumeTags: TagMap,
  fallback: { policy: string; source: string },
): RetentionInForce {
  for (const [tags, source] of [
    [volumeTags, "volume tag"],
    [instanceTags, "instance tag"],
  ] as const) {
    const read = readTag(tags, key);
    if (!read.ok)
      return { policy: null, source, problem: `${read.conflict}: nothing is pruned until one is removed` };
    if (read.value === undefined) continue;
    const parsed = parseRetention(read.value);
    return {
      policy: read.value,
      source,
      problem: parsed.ok ? null : `${key}=${JSON.stringify(read.value)}: ${parsed.reason}; nothing is pruned`,
    };
  }
  return { ...fallback, problem: null };
}

/** Snapshots under the volume their tags name, when EC2's own fields agree (as Plan groups them). */
function groupByVolume(
  snapshots: Snapshot[],
  mismatch: (s: Snapshot) => string | undefined,
): Map<string, Snapshot[]> {
  const byVolume = new Map<string, Snapshot[]>();
  for (const snapshot of snapshots) {
    const volumeId = toTagMap(snapshot.Tags)[TAG.volumeId];
    if (!volumeId || mismatch(snapshot)) continue;
    const list = byVolume.get(volumeId) ?? [];
    list.push(snapshot);
    byVolume.set(volumeId, list);
  }
  return byVolume;
}

function regionCoverage(
  region: string,
  snapshots: Snapshot[],
  sources: Map<string, Snapshot>,
  now: Date,
): RegionCoverage {
  let newest: { snapshot: Snapshot; takenAt: Date } | undefined;
  for (const snapshot of snapshots) {
    if (snapshot.State !== "completed") continue;
    const takenAt = takenAtOf(snapshot, sources);
    if (!takenAt) continue;
    if (!newest || newest.takenAt < takenAt) newest = { snapshot, takenAt };
  }
  return {
    region,
    newest: newest
      ? {
          snapshotId: newest.snapshot.SnapshotId ?? "",
          takenAt: newest.takenAt.toISOString(),
          ageHours: Math.round(((now.getTime() - newest.takenAt.getTime()) / HOUR_MS) * 10) / 10,
          consistency: toTagMap(newest.snapshot.Tags)[TAG.consistency] ?? "volume",
        }
      : null,
    snapshots: snapshots.length,
    sizeGiB: snapshots.reduce((sum, s) => sum + (s.VolumeSize ?? 0), 0),
  };
}

/** A DR copy's data is as old as its source; without the source listed, its own start time (later, so never too new). */
function takenAtOf(snapshot: Snapshot, sources: Map<string, Snapshot>): Date | undefined {
  const source = toTagMap(snapshot.Tags)[TAG.sourceSnapshot];
  return (source ? sources.get(source)?.StartTime : undefined) ?? snapshot.StartTime;
}
