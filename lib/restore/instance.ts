import {
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  type Instance,
  type Volume,
} from "@aws-sdk/client-ec2";
import { type TagMap, toTagMap } from "../tags";
import type { RestoreDeps } from "./deps";
import {
  AmbiguousHostError,
  InstanceNotFoundError,
  InstanceTerminatedError,
  UnknownHostError,
} from "./errors";
import { filterValue, isNamed, nameOf } from "./match";

/** A volume as a restore needs to know it. */
export interface VolumeInfo {
  volumeId: string;
  state: string;
  availabilityZone: string;
  sizeGiB: number;
  volumeType: string;
  iops: number | null;
  throughput: number | null;
  encrypted: boolean;
  kmsKeyId: string | null;
  tags: TagMap;
  attachedTo: { instanceId: string; device: string } | null;
}

/** The instance a volume is restored into, with what is attached where. */
export interface TargetInstance {
  instanceId: string;
  host: string;
  state: string;
  availabilityZone: string;
  rootDeviceName: string;
  volumes: VolumeInfo[];
}

export interface InstanceSelector {
  region: string;
  host?: string | undefined;
  instanceId?: string | undefined;
}

const GONE = new Set(["terminated", "shutting-down"]);

/** The one live instance the selector names, with its attached volumes. */
export async function findTargetInstance(
  props: InstanceSelector,
  deps: RestoreDeps,
): Promise<TargetInstance> {
  const instance = props.instanceId
    ? await byId(props.region, props.instanceId, deps)
    : await byHost(props.region, props.host ?? "", deps);
  const instanceId = instance.InstanceId ?? "";
  const host = nameOf(toTagMap(instance.Tags)) ?? "";
  const state = instance.State?.Name ?? "unknown";
  if (GONE.has(state)) {
    const name = host ? ` (${host})` : "";
    throw new InstanceTerminatedError(
      `Instance ${instanceId}${name} in ${props.region} is ${state}: nothing can be restored into it. ` +
        (host
          ? `Restore into its replacement with --host ${host} once an instance named ${host} runs, or `
          : "Restore into a running or stopped instance, or ") +
        "list its recovery points with `snapfleet snapshots --instance " +
        `${instanceId}` +
        "` and create a volume from one by hand.",
      { instanceId, region: props.region },
    );
  }
  return {
    instanceId,
    host,
    state,
    availabilityZone: instance.Placement?.AvailabilityZone ?? "",
    rootDeviceName: instance.RootDeviceName ?? "",
    volumes: await attachedVolumes(props.region, instanceId, deps),
  };
}

export async function describeVolume(
  region: string,
  volumeId: string,
  deps: RestoreDeps,
): Promise<VolumeInfo> {
  const result = await deps.ec2(region).send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
  const volume = result.Volumes?.[0];
  if (!volume) throw new Error(`DescribeVolumes returned nothing for ${volumeId} in ${region}`);
  return toVolumeInfo(volume);
}

export async function describeInstanceState(
  region: string,
  instanceId: string,
  deps: RestoreDeps,
): Promise<string> {
  const result = await deps.ec2(region).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return result.Reservations?.[0]?.Instances?.[0]?.State?.Name ?? "unknown";
}

async function byId(region: string, instanceId: string, deps: RestoreDeps): Promise<Instance> {
  try {
    const result = await deps.ec2(region).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const found = result.Reservations?.[0]?.Instances?.[0];
    if (found) return found;
  } catch (error) {
    const name = (error as { name?: string }).name ?? "";
    if (!name.startsWith("InvalidInstanceID")) throw error;
  }
  throw new InstanceNotFoundError(
    `Instance ${instanceId} does not exist in ${region}. Check the id, or pass --region for the region it runs in.`,
    { instanceId, region },
  );
}

/**
 * The instances named `host`: the `Name` tag's key in any case (as the backup reads it), its value
 * exactly `host`, wildcards none. EC2 filters by tag key only case-sensitively, so the listing is
 * narrowed by value (`tag-value`) and the key and the exact value are checked here.
 */
async function byHost(region: string, host: string, deps: RestoreDeps): Promise<Instance> {
  const all: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await deps.ec2(region).send(
      new DescribeInstancesCommand({
        Filters: [{ Name: "tag-value", Values: [filterValue(host)] }],
        MaxResults: 1000,
        NextToken,
      }),
    );
    all.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return pickNamed(
    all.filter((i) => isNamed(toTagMap(i.Tags), host)),
    region,
    host,
  );
}

function pickNamed(all: Instance[], region: string, host: string): Instance {
  const live = all.filter((i) => !GONE.has(i.State?.Name ?? ""));
  if (live.length === 1) return live[0] as Instance;
  if (live.length > 1) {
    const ids = live.map((i) => `${i.InstanceId} (${i.State?.Name})`).join(", ");
    throw new AmbiguousHostError(
      `${live.length} instances in ${region} are named ${host}: ${ids}. Pick one with --instance ID.`,
      { region },
    );
  }
  // Only terminated ones: findTargetInstance explains that state.
  if (all[0]) return all[0];
  throw new UnknownHostError(
    `No instance in ${region} is named ${host} (tag Name=${host}). Check the name ` +
      "(`snapfleet snapshots --host NAME` lists the hosts that have recovery points), use --instance ID, " +
      "or pass --region for the region the host runs in.",
    { region },
  );
}

async function attachedVolumes(region: string, instanceId: string, deps: RestoreDeps): Promise<VolumeInfo[]> {
  const volumes: VolumeInfo[] = [];
  let NextToken: string | undefined;
  do {
    const page = await deps.ec2(region).send(
      new DescribeVolumesCommand({
        Filters: [{ Name: "attachment.instance-id", Values: [instanceId] }],
        MaxResults: 500,
        NextToken,
      }),
    );
    volumes.push(...(page.Volumes ?? []).map(toVolumeInfo));
    NextToken = page.NextToken;
  } while (NextToken);
  return volumes.sort((a, b) => (a.attachedTo?.device ?? "").localeCompare(b.attachedTo?.device ?? ""));
}

export function toVolumeInfo(v: Volume): VolumeInfo {
  const attachment = v.Attachments?.find((a) => a.State === "attached" || a.State === "attaching");
  return {
    volumeId: v.VolumeId ?? "",
    state: v.State ?? "unknown",
    availabilityZone: v.AvailabilityZone ?? "",
    sizeGiB: v.Size ?? 0,
    volumeType: v.VolumeType ?? "gp2",
    iops: v.Iops ?? null,
    throughput: v.Throughput ?? null,
    encrypted: v.Encrypted ?? false,
    kmsKeyId: v.KmsKeyId ?? null,
    tags: toTagMap(v.Tags),
    attachedTo:
      attachment?.InstanceId && attachment.Device
        ? { instanceId: attachment.InstanceId, device: attachment.Device }
        : null,
  };
}
