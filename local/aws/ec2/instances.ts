import { AwsError, invalidParameterValue, missingParameter } from "../errors";
import { bool, type Input, num, obj, objList, str, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";
import {
  type FilterValues,
  matchesAll,
  PAGE_RANGES,
  paginate,
  readFilters,
  tagFilterValues,
} from "./filters";
import { type Ec2Context, type Instance, type InstanceStateName, newId, type Volume } from "./model";
import { getInstance } from "./resources";
import { tagSet, tagsFor } from "./tags";
import { addVolume, checkZone, fromSnapshot } from "./volumes";

const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export function stateOf(name: InstanceStateName): Output {
  return { code: STATE_CODES[name], name };
}

const attachedIndex = new WeakMap<Ec2Context["region"], Map<string, Volume[]>>();

/**
 * Volumes attached to an instance. Indexed once per request (requests are handled synchronously;
 * the index is dropped at the next microtask), so rendering a page of 1,000 instances does not
 * scan every volume once per instance, and no later request sees a stale index.
 */
export function attachedVolumes(ctx: Ec2Context, instanceId: string): Volume[] {
  let byInstance = attachedIndex.get(ctx.region);
  if (!byInstance) {
    const index = new Map<string, Volume[]>();
    for (const v of ctx.region.volumes.values()) {
      const id = v.attachment?.instanceId;
      if (id === undefined) continue;
      const list = index.get(id) ?? [];
      list.push(v);
      index.set(id, list);
    }
    attachedIndex.set(ctx.region, index);
    const region = ctx.region;
    queueMicrotask(() => attachedIndex.delete(region));
    byInstance = index;
  }
  return byInstance.get(instanceId) ?? [];
}

const privateDnsName = (i: Instance) => `ip-${i.privateIpAddress.replace(/\./g, "-")}.ec2.internal`;

/** `state`: the state to show instead of the stored one (RunInstances answers `pending`). */
function render(ctx: Ec2Context, i: Instance, state = i.state): { [key: string]: Output } {
  const volumes = attachedVolumes(ctx, i.instanceId);
  return {
    instanceId: i.instanceId,
    imageId: i.imageId,
    instanceState: stateOf(state),
    privateDnsName: privateDnsName(i),
    keyName: i.keyName,
    stateReason: i.stateReason,
    platform: i.platform,
    platformDetails: i.platform === "windows" ? "Windows" : "Linux/UNIX",
    instanceType: i.instanceType,
    launchTime: i.launchTime,
    placement: { availabilityZone: i.availabilityZone, tenancy: "default" },
    privateIpAddress: i.privateIpAddress,
    architecture: "x86_64",
    rootDeviceType: "ebs",
    rootDeviceName: i.rootDeviceName,
    blockDeviceMapping: volumes.map((v) => ({
      deviceName: v.attachment?.device,
      ebs: {
        volumeId: v.volumeId,
        status: "attached",
        attachTime: v.attachment?.attachTime,
        deleteOnTermination: v.attachment?.deleteOnTermination,
      },
    })),
    tagSet: i.tags.size > 0 ? tagSet(i.tags) : undefined,
  };
}

export function instanceFilter(ctx: Ec2Context, i: Instance): FilterValues {
  const fields: Record<string, string[]> = {
    "instance-id": [i.instanceId],
    "instance-state-name": [i.state],
    "instance-state-code": [String(STATE_CODES[i.state])],
    "instance-type": [i.instanceType],
    "image-id": [i.imageId],
    "availability-zone": [i.availabilityZone],
    "reservation-id": [i.reservationId],
    "root-device-name": [i.rootDeviceName],
    "private-ip-address": [i.privateIpAddress],
    "block-device-mapping.volume-id": attachedVolumes(ctx, i.instanceId).map((v) => v.volumeId),
    "owner-id": [ctx.accountId],
    architecture: ["x86_64"],
    "private-dns-name": [privateDnsName(i)],
    "key-name": i.keyName !== undefined ? [i.keyName] : [],
    "state-reason-code": i.stateReason ? [i.stateReason.code] : [],
    "state-reason-message": i.stateReason ? [i.stateReason.message] : [],
    "root-device-type": ["ebs"],
    platform: i.platform !== undefined ? [i.platform] : [],
    tenancy: ["default"],
  };
  return (name) => fields[name] ?? tagFilterValues(i.tags, name);
}

let ipCounter = 10;

/** A registered Windows image, or an image id the emulator options declare Windows. */
function isWindowsImage(ctx: Ec2Context, imageId: string): boolean {
  return (
    ctx.region.images.get(imageId)?.platform === "windows" || (ctx.windowsImageIds ?? []).includes(imageId)
  );
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html */
export function runInstances(ctx: Ec2Context, input: Input): Output {
  const imageId = str(input, "ImageId");
  if (imageId === undefined) throw missingParameter("ImageId");
  const min = num(input, "MinCount");
  const max = num(input, "MaxCount");
  if (min === undefined) throw missingParameter("MinCount");
  if (max === undefined) throw missingParameter("MaxCount");
  if (min < 1 || max < min) throw invalidParameterValue(`Invalid MinCount ${min} / MaxCount ${max}`);
  const zone = str(obj(input, "Placement") ?? {}, "AvailabilityZone") ?? `${ctx.region.region}a`;
  checkZone(ctx, zone);
  const mappings = objList(input, "BlockDeviceMapping");
  const reservationId = newId("r");
  const launched: Instance[] = [];
  for (let n = 0; n < max; n++) {
    ipCounter++;
    const instance: Instance = {
      instanceId: newId("i"),
      reservationId,
      imageId,
      instanceType: str(input, "InstanceType") ?? "m1.small",
      availabilityZone: zone,
      state: "running",
      launchTime: ctx.clock.now(),
      rootDeviceName: str(mappings[0] ?? {}, "DeviceName") ?? "/dev/xvda",
      privateIpAddress: `10.0.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`,
      ...(str(input, "KeyName") !== undefined ? { keyName: str(input, "KeyName") } : {}),
      ...(isWindowsImage(ctx, imageId) ? { platform: "windows" as const } : {}),
      tags: tagsFor(input, "instance"),
    };
    ctx.region.instances.set(instance.instanceId, instance);
    const specs = mappings.length > 0 ? mappings : [{ DeviceName: "/dev/xvda", Ebs: {} }];
    for (const spec of specs) {
      const ebs = obj(spec, "Ebs");
      if (!ebs) continue;
      const source = fromSnapshot(ctx, str(ebs, "SnapshotId"), num(ebs, "VolumeSize"));
      const encrypted = source.encrypted || bool(ebs, "Encrypted") === true;
      const volume = addVolume(ctx, {
        size: source.size ?? 8,
        availabilityZone: zone,
        volumeType: str(ebs, "VolumeType") ?? "gp3",
        encrypted,
        kmsKeyId: str(ebs, "KmsKeyId") ?? source.kmsKeyId,
        snapshotId: str(ebs, "SnapshotId"),
        tags: tagsFor(input, "volume"),
      });
      volume.attachment = {
        instanceId: instance.instanceId,
        device: str(spec, "DeviceName") ?? "/dev/xvda",
        attachTime: ctx.clock.now(),
        deleteOnTermination: bool(ebs, "DeleteOnTermination") ?? true,
      };
    }
    launched.push(instance);
  }
  return {
    reservationId,
    ownerId: ctx.accountId,
    groupSet: [],
    // AWS answers `pending`; the emulator's instances are `running` by the next call.
    instancesSet: launched.map((i) => render(ctx, i, "pending")),
  };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html */
export function describeInstances(ctx: Ec2Context, input: Input): Output {
  const ids = strList(input, "InstanceId");
  const selected =
    ids.length > 0 ? ids.map((id) => getInstance(ctx, id)) : [...ctx.region.instances.values()];
  const filters = readFilters(input);
  const matching = selected.filter((i) => matchesAll(filters, instanceFilter(ctx, i)));
  const page = paginate(matching, input, PAGE_RANGES.DescribeInstances, ids.length > 0);
  const reservations = new Map<string, Instance[]>();
  for (const i of page.items)
    reservations.set(i.reservationId, [...(reservations.get(i.reservationId) ?? []), i]);
  return {
    reservationSet: [...reservations].map(([reservationId, instances]) => ({
      reservationId,
      ownerId: ctx.accountId,
      groupSet: [],
      instancesSet: instances.map((i) => render(ctx, i)),
    })),
    nextToken: page.nextToken,
  };
}

const USER_SHUTDOWN = {
  code: "Client.UserInitiatedShutdown",
  message: "Client.UserInitiatedShutdown: User initiated shutdown",
};

function changeState(ctx: Ec2Context, input: Input, to: InstanceStateName): Output {
  const ids = strList(input, "InstanceId");
  if (ids.length === 0) throw missingParameter("InstanceId");
  const instances = ids.map((id) => getInstance(ctx, id));
  return {
    instancesSet: instances.map((i) => {
      const previous = i.state;
      if (to !== "terminated" && previous === "terminated") {
        throw new AwsError(
          "IncorrectInstanceState",
          `The instance '${i.instanceId}' is not in a state from which it can be ${to}.`,
        );
      }
      i.state = to;
      if (to === "running") delete i.stateReason;
      else i.stateReason = USER_SHUTDOWN;
      if (to === "terminated") {
        for (const v of attachedVolumes(ctx, i.instanceId)) {
          if (v.attachment?.deleteOnTermination) ctx.region.volumes.delete(v.volumeId);
          else v.attachment = undefined;
        }
      }
      return { instanceId: i.instanceId, currentState: stateOf(to), previousState: stateOf(previous) };
    }),
  };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TerminateInstances.html */
export const terminateInstances = (ctx: Ec2Context, input: Input) => changeState(ctx, input, "terminated");
/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StopInstances.html */
export const stopInstances = (ctx: Ec2Context, input: Input) => changeState(ctx, input, "stopped");
/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StartInstances.html */
export const startInstances = (ctx: Ec2Context, input: Input) => changeState(ctx, input, "running");

/**
 * A reboot keeps the instance `running` (one that is not running cannot be rebooted).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RebootInstances.html
 */
export function rebootInstances(ctx: Ec2Context, input: Input): Output {
  const ids = strList(input, "InstanceId");
  if (ids.length === 0) throw missingParameter("InstanceId");
  for (const i of ids.map((id) => getInstance(ctx, id))) {
    if (i.state !== "running" && i.state !== "pending") {
      throw new AwsError(
        "IncorrectState",
        `The instance '${i.instanceId}' is not in a state from which it can be rebooted.`,
      );
    }
  }
  return { return: true };
}
