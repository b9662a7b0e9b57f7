import {
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  type EC2Client,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { failure, type Harness, startHarness } from "./harness";

/**
 * The EC2 behaviour a restore relies on: volumes from snapshots, and swapping a root volume.
 * Pinned against the API reference pages named in each test.
 */
let h: Harness;
let ec2: EC2Client;

beforeEach(async () => {
  h = await startHarness();
  ec2 = h.ec2();
});
afterEach(() => h.emulator.stop());

async function launch(): Promise<{ instanceId: string; rootVolumeId: string }> {
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: "ami-12345678",
      MinCount: 1,
      MaxCount: 1,
      Placement: { AvailabilityZone: "us-east-1a" },
    }),
  );
  const instanceId = out.Instances?.[0]?.InstanceId ?? "";
  const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const rootVolumeId =
    described.Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId ?? "";
  return { instanceId, rootVolumeId };
}

async function completedSnapshot(volumeId: string): Promise<string> {
  const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
  h.clock.advance(3_600_000);
  return SnapshotId ?? "";
}

describe("restoring a volume (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html)", () => {
  it("creates a volume from a snapshot with the snapshot's size, encryption and KMS key", async () => {
    const key = "arn:aws:kms:us-east-1:000000000000:key/restore";
    const source = await ec2.send(
      new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 20, Encrypted: true, KmsKeyId: key }),
    );
    const snapshotId = await completedSnapshot(source.VolumeId ?? "");

    const restored = await ec2.send(
      new CreateVolumeCommand({ AvailabilityZone: "us-east-1b", SnapshotId: snapshotId, VolumeType: "gp3" }),
    );

    expect(restored).toMatchObject({ Size: 20, Encrypted: true, KmsKeyId: key, SnapshotId: snapshotId });
  });

  it("refuses a snapshot that is still pending with IncorrectState", async () => {
    const { rootVolumeId } = await launch();
    const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId: rootVolumeId }));

    const err = await failure(
      ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", SnapshotId })),
    );

    expect(err.name).toBe("IncorrectState");
  });
});

describe("swapping a root volume (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DetachVolume.html)", () => {
  it("refuses to detach the root volume of a running instance with IncorrectState", async () => {
    const { instanceId, rootVolumeId } = await launch();

    const err = await failure(ec2.send(new DetachVolumeCommand({ VolumeId: rootVolumeId })));
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [rootVolumeId] }));

    expect(err).toMatchObject({
      name: "IncorrectState",
      message: `Unable to detach root volume '${rootVolumeId}' from instance '${instanceId}'`,
      status: 400,
    });
    expect(Volumes?.[0]?.Attachments?.[0]?.InstanceId).toBe(instanceId);
  });

  it("detaches the root volume of a stopped instance, attaches another on the root device and starts again (API_StopInstances.html, API_AttachVolume.html, API_StartInstances.html)", async () => {
    const { instanceId, rootVolumeId } = await launch();
    const snapshotId = await completedSnapshot(rootVolumeId);
    const { VolumeId } = await ec2.send(
      new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", SnapshotId: snapshotId }),
    );

    await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    await ec2.send(new DetachVolumeCommand({ VolumeId: rootVolumeId }));
    await ec2.send(new AttachVolumeCommand({ VolumeId, InstanceId: instanceId, Device: "/dev/xvda" }));
    await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = Reservations?.[0]?.Instances?.[0];

    expect(instance?.State?.Name).toBe("running");
    expect(instance?.BlockDeviceMappings).toEqual([
      expect.objectContaining({ DeviceName: "/dev/xvda", Ebs: expect.objectContaining({ VolumeId }) }),
    ]);
  });

  it("refuses to attach to or start a terminated instance", async () => {
    const { instanceId } = await launch();
    const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8 }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));

    const attach = await failure(
      ec2.send(new AttachVolumeCommand({ VolumeId, InstanceId: instanceId, Device: "/dev/sdf" })),
    );
    const start = await failure(ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] })));

    expect(attach.name).toBe("IncorrectState");
    expect(start.name).toBe("IncorrectInstanceState");
  });
});
