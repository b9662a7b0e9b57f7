import { AwsError, invalidParameterValue, missingParameter } from "../errors";
import { bool, type Input, num, str, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";
import {
  type FilterValues,
  matchesAll,
  PAGE_RANGES,
  paginate,
  readFilters,
  tagFilterValues,
} from "./filters";
import { type Ec2Context, newId, type Volume } from "./model";
import { getInstance, getSnapshot, getVolume } from "./resources";
import { snapshotState } from "./snapshot-state";
import { tagSet, tagsFor } from "./tags";

const VOLUME_TYPES = new Set(["standard", "io1", "io2", "gp2", "gp3", "sc1", "st1"]);

export type NewVolume = Pick<
  Volume,
  | "size"
  | "availabilityZone"
  | "volumeType"
  | "encrypted"
  | "kmsKeyId"
  | "snapshotId"
  | "tags"
  | "iops"
  | "throughput"
  | "multiAttachEnabled"
>;

/**
 * IOPS, throughput and Multi-Attach by volume type, from API_CreateVolume: Iops is required for io1
 * and io2 and not supported for gp2, st1, sc1 and standard; gp3 defaults to 3,000 IOPS and 125 MiB/s;
 * Throughput is gp3 only; Multi-Attach is io1/io2 only.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html
 */
const IOPS_RANGE: Record<string, [number, number]> = {
  gp3: [3000, 80000],
  io1: [100, 64000],
  io2: [100, 256000],
};
const THROUGHPUT_RANGE: [number, number] = [125, 2000];

function performance(
  input: Input,
  volumeType: string,
): Pick<NewVolume, "iops" | "throughput" | "multiAttachEnabled"> {
  const iops = num(input, "Iops");
  const throughput = num(input, "Throughput");
  const multiAttach = bool(input, "MultiAttachEnabled") === true;
  const unsupported = (param: string) =>
    new AwsError(
      "InvalidParameterCombination",
      `The parameter ${param} is not supported for ${volumeType} volumes.`,
    );
  const range = IOPS_RANGE[volumeType];
  if (iops !== undefined && !range) throw unsupported("iops");
  if (iops === undefined && (volumeType === "io1" || volumeType === "io2")) throw missingParameter("iops");
  if (iops !== undefined && range && (iops < range[0] || iops > range[1]))
    throw invalidParameterValue(
      `Volume iops of ${iops} is outside the range ${range[0]}-${range[1]} for ${volumeType}.`,
    );
  if (throughput !== undefined && volumeType !== "gp3") throw unsupported("throughput");
  if (throughput !== undefined && (throughput < THROUGHPUT_RANGE[0] || throughput > THROUGHPUT_RANGE[1]))
    throw invalidParameterValue(
      `Throughput of ${throughput} MiB/s is outside the range ${THROUGHPUT_RANGE[0]}-${THROUGHPUT_RANGE[1]} for gp3.`,
    );
  if (multiAttach && volumeType !== "io1" && volumeType !== "io2") throw unsupported("multiAttachEnabled");
  return {
    ...(iops !== undefined ? { iops } : {}),
    ...(throughput !== undefined ? { throughput } : {}),
    multiAttachEnabled: multiAttach,
  };
}

/**
 * AWS also reports a gp2 volume's baseline (3 IOPS per GiB, 100 to 16,000); the emulator does not
 * yet, because the restore copies a volume's Iops into CreateVolume, which refuses Iops for gp2
 * (see docs/decisions.md, "gp2 IOPS not reported").
 */
function defaultIops(volume: Volume): number | undefined {
  if (volume.iops !== undefined) return volume.iops;
  if (volume.volumeType === "gp3") return 3000;
  return undefined;
}

export function addVolume(ctx: Ec2Context, spec: NewVolume): Volume {
  const volume: Volume = {
    ...spec,
    volumeId: newId("vol"),
    createTime: ctx.clock.now(),
    attachment: undefined,
  };
  ctx.region.volumes.set(volume.volumeId, volume);
  return volume;
}

/** Size and encryption a volume gets from its optional source snapshot. */
export function fromSnapshot(ctx: Ec2Context, snapshotId: string | undefined, size: number | undefined) {
  if (snapshotId === undefined) return { size, encrypted: false, kmsKeyId: undefined };
  const snapshot = getSnapshot(ctx, snapshotId);
  if (snapshotState(ctx.clock, snapshot).state !== "completed") {
    throw new AwsError("IncorrectState", `Snapshot '${snapshotId}' is not in state 'completed'`);
  }
  return { size: size ?? snapshot.volumeSize, encrypted: snapshot.encrypted, kmsKeyId: snapshot.kmsKeyId };
}

export function checkZone(ctx: Ec2Context, zone: string): void {
  if (!/^[a-z]$/.test(zone.slice(ctx.region.region.length)) || !zone.startsWith(ctx.region.region)) {
    throw new AwsError("InvalidParameterValue", `Invalid availability zone: [${zone}]`);
  }
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html */
export function createVolume(ctx: Ec2Context, input: Input): Output {
  const availabilityZone = str(input, "AvailabilityZone");
  if (availabilityZone === undefined) throw missingParameter("AvailabilityZone");
  checkZone(ctx, availabilityZone);
  const volumeType = str(input, "VolumeType") ?? "gp2";
  if (!VOLUME_TYPES.has(volumeType))
    throw invalidParameterValue(`Invalid value '${volumeType}' for volumeType`);
  const source = fromSnapshot(ctx, str(input, "SnapshotId"), num(input, "Size"));
  if (source.size === undefined) throw missingParameter("size");
  if (source.size < 1 || source.size > 65536)
    throw invalidParameterValue(`Invalid volume size ${source.size}`);
  const requestedKey = str(input, "KmsKeyId");
  if (requestedKey !== undefined && bool(input, "Encrypted") !== true) {
    throw new AwsError(
      "InvalidParameterDependency",
      "The parameter KmsKeyId requires the parameter Encrypted to be set to true.",
    );
  }
  const encrypted = source.encrypted || bool(input, "Encrypted") === true;
  const kmsKeyId = requestedKey ?? source.kmsKeyId ?? (encrypted ? defaultKey(ctx) : undefined);
  const tuning = performance(input, volumeType);
  const volume = addVolume(ctx, {
    ...tuning,
    size: source.size,
    availabilityZone,
    volumeType,
    encrypted,
    kmsKeyId,
    snapshotId: str(input, "SnapshotId"),
    tags: tagsFor(input, "volume"),
  });
  // As for CopySnapshot, AWS checks the key asynchronously: the call succeeds, the volume fails.
  if (encrypted && kmsKeyId !== undefined && !ctx.policy.kmsKeyUsable(ctx.region.region, kmsKeyId)) {
    volume.errorMessage = `The KMS key ${kmsKeyId} does not exist in ${ctx.region.region}, is not enabled, or is not accessible.`;
  }
  return renderVolume(volume, "creating");
}

export function defaultKey(ctx: Ec2Context): string {
  return `arn:aws:kms:${ctx.region.region}:${ctx.accountId}:alias/aws/ebs`;
}

function volumeStatus(volume: Volume): string {
  if (volume.errorMessage !== undefined) return "error";
  return volume.attachment ? "in-use" : "available";
}

export function renderVolume(volume: Volume, status = volumeStatus(volume)): { [key: string]: Output } {
  const a = volume.attachment;
  return {
    volumeId: volume.volumeId,
    size: volume.size,
    snapshotId: volume.snapshotId ?? "",
    availabilityZone: volume.availabilityZone,
    status,
    createTime: volume.createTime,
    attachmentSet: a
      ? [
          {
            volumeId: volume.volumeId,
            instanceId: a.instanceId,
            device: a.device,
            status: "attached",
            attachTime: a.attachTime,
            deleteOnTermination: a.deleteOnTermination,
          },
        ]
      : [],
    volumeType: volume.volumeType,
    iops: defaultIops(volume),
    throughput: volume.throughput ?? (volume.volumeType === "gp3" ? 125 : undefined),
    encrypted: volume.encrypted,
    kmsKeyId: volume.kmsKeyId,
    tagSet: volume.tags.size > 0 ? tagSet(volume.tags) : undefined,
    multiAttachEnabled: volume.multiAttachEnabled ?? false,
  };
}

function volumeFilter(volume: Volume): FilterValues {
  const a = volume.attachment;
  const fields: Record<string, string[]> = {
    "volume-id": [volume.volumeId],
    "availability-zone": [volume.availabilityZone],
    status: [volumeStatus(volume)],
    size: [String(volume.size)],
    "snapshot-id": volume.snapshotId ? [volume.snapshotId] : [],
    "volume-type": [volume.volumeType],
    "multi-attach-enabled": [String(volume.multiAttachEnabled ?? false)],
    encrypted: [String(volume.encrypted)],
    "create-time": [volume.createTime.toISOString()],
    "attachment.instance-id": a ? [a.instanceId] : [],
    "attachment.device": a ? [a.device] : [],
    "attachment.status": a ? ["attached"] : [],
    "attachment.attach-time": a ? [a.attachTime.toISOString()] : [],
    "attachment.delete-on-termination": a ? [String(a.deleteOnTermination)] : [],
  };
  return (name) => fields[name] ?? tagFilterValues(volume.tags, name);
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVolumes.html */
export function describeVolumes(ctx: Ec2Context, input: Input): Output {
  const ids = strList(input, "VolumeId");
  const selected = ids.length > 0 ? ids.map((id) => getVolume(ctx, id)) : [...ctx.region.volumes.values()];
  const filters = readFilters(input);
  const matching = selected.filter((v) => matchesAll(filters, volumeFilter(v)));
  const page = paginate(matching, input, PAGE_RANGES.DescribeVolumes, ids.length > 0);
  return { volumeSet: page.items.map((v) => renderVolume(v)), nextToken: page.nextToken };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AttachVolume.html */
export function attachVolume(ctx: Ec2Context, input: Input): Output {
  const volumeId = str(input, "VolumeId");
  const instanceId = str(input, "InstanceId");
  const device = str(input, "Device");
  if (volumeId === undefined) throw missingParameter("VolumeId");
  if (instanceId === undefined) throw missingParameter("InstanceId");
  if (device === undefined) throw missingParameter("Device");
  const volume = getVolume(ctx, volumeId);
  const instance = getInstance(ctx, instanceId);
  if (volume.attachment) throw new AwsError("VolumeInUse", `${volumeId} is already attached to an instance`);
  if (volume.errorMessage !== undefined) {
    throw new AwsError("IncorrectState", `Volume '${volumeId}' is in the 'error' state.`);
  }
  if (instance.state === "terminated" || instance.state === "shutting-down") {
    throw new AwsError(
      "IncorrectState",
      `The instance '${instanceId}' is not in a valid state for this operation`,
    );
  }
  if (volume.availabilityZone !== instance.availabilityZone) {
    throw new AwsError(
      "InvalidVolume.ZoneMismatch",
      `The volume '${volumeId}' is not in the same availability zone as instance '${instanceId}'`,
    );
  }
  const taken = [...ctx.region.volumes.values()].some(
    (v) => v.attachment?.instanceId === instanceId && v.attachment.device === device,
  );
  if (taken)
    throw invalidParameterValue(
      `Invalid value '${device}' for unixDevice. Attachment point ${device} is already in use`,
    );
  volume.attachment = { instanceId, device, attachTime: ctx.clock.now(), deleteOnTermination: false };
  return { volumeId, instanceId, device, status: "attaching", attachTime: volume.attachment.attachTime };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DetachVolume.html */
export function detachVolume(ctx: Ec2Context, input: Input): Output {
  const volumeId = str(input, "VolumeId");
  if (volumeId === undefined) throw missingParameter("VolumeId");
  const volume = getVolume(ctx, volumeId);
  const a = volume.attachment;
  if (!a) throw new AwsError("IncorrectState", `Volume '${volumeId}' is in the 'available' state.`);
  const wanted = str(input, "InstanceId");
  if (wanted !== undefined && wanted !== a.instanceId) {
    throw new AwsError("InvalidAttachment.NotFound", `Volume '${volumeId}' is not attached to '${wanted}'`);
  }
  // "If an EBS volume is the root device of an instance, it can't be detached while the instance
  // is running. To detach the root volume, stop the instance first." (API_DetachVolume.html)
  const instance = ctx.region.instances.get(a.instanceId);
  if (instance && a.device === instance.rootDeviceName && instance.state !== "stopped") {
    throw new AwsError(
      "IncorrectState",
      `Unable to detach root volume '${volumeId}' from instance '${a.instanceId}'`,
    );
  }
  volume.attachment = undefined;
  return {
    volumeId,
    instanceId: a.instanceId,
    device: a.device,
    status: "detaching",
    attachTime: a.attachTime,
  };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVolume.html */
export function deleteVolume(ctx: Ec2Context, input: Input): Output {
  const volumeId = str(input, "VolumeId");
  if (volumeId === undefined) throw missingParameter("VolumeId");
  const volume = getVolume(ctx, volumeId);
  if (volume.attachment)
    throw new AwsError(
      "VolumeInUse",
      `Volume ${volumeId} is currently attached to ${volume.attachment.instanceId}`,
    );
  ctx.region.volumes.delete(volumeId);
  return { return: true };
}
