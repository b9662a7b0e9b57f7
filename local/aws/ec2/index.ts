import type { EmulatorClock } from "../clock";
import { AwsError } from "../errors";
import type { Input } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { deregisterImage, registerImage } from "./images";
import { describeInstanceStatus } from "./instance-status";
import {
  describeInstances,
  rebootInstances,
  runInstances,
  startInstances,
  stopInstances,
  terminateInstances,
} from "./instances";
import { type Ec2Context, RegionState } from "./model";
import { createSnapshots } from "./multi-snapshots";
import { type Ec2Policy, NO_POLICY } from "./policy";
import { describeAvailabilityZones, describeRegions, REGIONS } from "./regions";
import { copySnapshot, createSnapshot, deleteSnapshot, describeSnapshots } from "./snapshots";
import { createTags, deleteTags, describeTags } from "./tags";
import { attachVolume, createVolume, deleteVolume, describeVolumes, detachVolume } from "./volumes";

type Operation = (ctx: Ec2Context, input: Input) => Output;

const OPERATIONS: Record<string, Operation> = {
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  DescribeInstanceStatus: describeInstanceStatus,
  TerminateInstances: terminateInstances,
  StopInstances: stopInstances,
  StartInstances: startInstances,
  RebootInstances: rebootInstances,
  CreateVolume: createVolume,
  AttachVolume: attachVolume,
  DetachVolume: detachVolume,
  DeleteVolume: deleteVolume,
  DescribeVolumes: describeVolumes,
  CreateTags: createTags,
  DeleteTags: deleteTags,
  DescribeTags: describeTags,
  CreateSnapshot: createSnapshot,
  CreateSnapshots: createSnapshots,
  DescribeSnapshots: describeSnapshots,
  DeleteSnapshot: deleteSnapshot,
  CopySnapshot: copySnapshot,
  RegisterImage: registerImage,
  DeregisterImage: deregisterImage,
  DescribeRegions: describeRegions,
  DescribeAvailabilityZones: describeAvailabilityZones,
};

/** The EC2 actions the emulator serves (their input shapes are kept in `models/ec2.json`). */
export const EC2_ACTIONS: readonly string[] = Object.keys(OPERATIONS);

export interface Ec2Options {
  clock: EmulatorClock;
  accountId: string;
  snapshotDurationSeconds: (sizeGiB: number) => number;
  copyDurationSeconds: (sizeGiB: number) => number;
  /** Quotas and planned faults; none when absent. */
  policy?: Ec2Policy;
  /** Image ids whose instances are Windows instances, besides registered images named `Windows*`. */
  windowsImageIds?: readonly string[];
}

/** EC2 across all regions; each region holds its own instances, volumes, snapshots and images. */
export class Ec2Service {
  private readonly regions = new Map<string, RegionState>();

  constructor(private readonly options: Ec2Options) {}

  static handles(action: string): boolean {
    return action in OPERATIONS;
  }

  regionState(name: string): RegionState {
    let state = this.regions.get(name);
    if (!state) {
      state = new RegionState(name);
      this.regions.set(name, state);
    }
    return state;
  }

  handle(region: string, action: string, input: Input): Output {
    const operation = OPERATIONS[action];
    if (!operation)
      throw new AwsError("InvalidAction", `The action ${action} is not valid for this web service.`);
    const ctx: Ec2Context = {
      ...this.options,
      policy: this.options.policy ?? NO_POLICY,
      region: this.regionState(region),
      regionOf: (name) => {
        if (!REGIONS.includes(name)) throw new AwsError("InvalidParameterValue", `Invalid region: ${name}`);
        return this.regionState(name);
      },
    };
    return operation(ctx, input);
  }
}
