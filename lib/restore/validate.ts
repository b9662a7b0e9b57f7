import { DescribeAvailabilityZonesCommand } from "@aws-sdk/client-ec2";
import type { RestoreDeps } from "./deps";

/**
 * Volume sizes per type, GiB (API_CreateVolume.html, "Size"):
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html
 */
export const VOLUME_SIZES: Record<string, [number, number]> = {
  gp2: [1, 16_384],
  gp3: [1, 65_536],
  io1: [4, 16_384],
  io2: [4, 65_536],
  st1: [125, 16_384],
  sc1: [125, 16_384],
  standard: [1, 1_024],
};
export const VOLUME_TYPES = Object.keys(VOLUME_SIZES);
/** io1 and io2 need an IOPS value (CreateVolume "Iops": required for io1 and io2). */
const PROVISIONED_IOPS = new Set(["io1", "io2"]);
/** HDD types cannot be boot volumes. */
const NOT_BOOTABLE = new Set(["st1", "sc1"]);

export interface VolumeSpec {
  sizeGiB: number;
  volumeType: string;
  iops: number | null;
  snapshotSizeGiB: number;
  isRootDevice: boolean;
}

/** Problems with size and type, each saying what to change. Pure. */
export function volumeSpecProblems(spec: VolumeSpec): string[] {
  const problems: string[] = [];
  const range = VOLUME_SIZES[spec.volumeType];
  if (!range) {
    problems.push(`volume type ${spec.volumeType} is not one of ${VOLUME_TYPES.join(", ")}: pass --type`);
    return problems;
  }
  if (!Number.isInteger(spec.sizeGiB) || spec.sizeGiB < spec.snapshotSizeGiB) {
    problems.push(
      `size ${spec.sizeGiB} GiB is smaller than the snapshot (${spec.snapshotSizeGiB} GiB): pass --size ${spec.snapshotSizeGiB} or more`,
    );
  }
  if (spec.sizeGiB < range[0] || spec.sizeGiB > range[1]) {
    problems.push(
      `a ${spec.volumeType} volume must be ${range[0]}-${range[1]} GiB, not ${spec.sizeGiB}: choose another --type or --size`,
    );
  }
  if (PROVISIONED_IOPS.has(spec.volumeType) && spec.iops === null) {
    problems.push(
      `${spec.volumeType} needs provisioned IOPS, and the current volume has none to copy: use --type gp3, or restore as the current volume's type`,
    );
  }
  if (spec.isRootDevice && NOT_BOOTABLE.has(spec.volumeType)) {
    problems.push(`${spec.volumeType} cannot be a boot volume: choose gp3, gp2, io1, io2 or standard`);
  }
  return problems;
}

/** The zone exists in the region (EC2 answers InvalidParameterValue for an unknown zone name). */
export async function zoneProblems(region: string, zone: string, deps: RestoreDeps): Promise<string[]> {
  try {
    const result = await deps.ec2(region).send(new DescribeAvailabilityZonesCommand({ ZoneNames: [zone] }));
    const found = result.AvailabilityZones?.find((z) => z.ZoneName === zone);
    if (found && (found.State ?? "available") === "available") return [];
    if (found) return [`availability zone ${zone} is ${found.State}: pass another --az`];
  } catch (error) {
    if ((error as { name?: string }).name !== "InvalidParameterValue") throw error;
  }
  return [`availability zone ${zone} does not exist in ${region}: pass --az with one of ${region}'s zones`];
}

/** AWS's own EBS key cannot be disabled or deleted, so it needs no check. */
function isAwsManagedAlias(keyId: string): boolean {
  return keyId === "alias/aws/ebs" || keyId.endsWith(":alias/aws/ebs");
}

/** An encrypted snapshot's key must be enabled for EBS to decrypt it into the new volume. */
export async function keyProblems(
  region: string,
  keyId: string | null,
  encrypted: boolean,
  deps: RestoreDeps,
): Promise<{ problems: string[]; check: string }> {
  if (!encrypted) return { problems: [], check: "not encrypted: no KMS key to check" };
  if (!keyId || isAwsManagedAlias(keyId))
    return { problems: [], check: "encrypted with the AWS managed key aws/ebs (always usable)" };
  if (!deps.describeKey) {
    return { problems: [`KMS key ${keyId} cannot be checked: no KMS client configured`], check: "" };
  }
  try {
    const key = await deps.describeKey(keyId, region);
    if (key.state === "Enabled") return { problems: [], check: `KMS key ${keyId} is enabled` };
    return {
      problems: [
        `KMS key ${keyId} is ${key.state}: EBS cannot decrypt the snapshot with it. Enable the key (or cancel its deletion) first`,
      ],
      check: "",
    };
  } catch (error) {
    const name = (error as { name?: string }).name ?? "Error";
    const message = (error as { message?: string }).message ?? String(error);
    return {
      problems: [
        `KMS key ${keyId} is not usable from ${region} (${name}: ${message}). Grant kms:DescribeKey and the EBS grants on it, or restore in the key's region`,
      ],
      check: "",
    };
  }
}
