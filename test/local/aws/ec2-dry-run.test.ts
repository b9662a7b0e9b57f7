import {
  AttachVolumeCommand,
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DeleteVolumeCommand,
  DeregisterImageCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  EC2Client,
  RebootInstancesCommand,
  RegisterImageCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { failure, type Harness, startHarness } from "./harness";

/**
 * "DryRun: Checks whether you have the required permissions for the action, without actually making
 * the request, and provides an error response. If you have the required permissions, the error
 * response is DryRunOperation. Otherwise, it is UnauthorizedOperation." (every EC2 action, e.g.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVolume.html); DryRunOperation is
 * HTTP 412 in https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 */
let h: Harness;
let fixture: { instanceId: string; spare: string; attached: string; snapshotId: string; imageId: string };

beforeEach(async () => {
  h = await startHarness({
    quotas: false,
    iam: { principals: { reader: [{ Effect: "Allow", Action: "ec2:Describe*", Resource: "*" }] } },
  });
  const ec2 = h.ec2();
  const run = await ec2.send(
    new RunInstancesCommand({ ImageId: "ami-12345678", MinCount: 1, MaxCount: 1, InstanceType: "t3.micro" }),
  );
  const instanceId = run.Instances?.[0]?.InstanceId as string;
  const spare = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 4 })))
    .VolumeId as string;
  const attached = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 2 })))
    .VolumeId as string;
  await ec2.send(new AttachVolumeCommand({ VolumeId: attached, InstanceId: instanceId, Device: "/dev/sdf" }));
  const snapshotId = (await ec2.send(new CreateSnapshotCommand({ VolumeId: spare }))).SnapshotId as string;
  h.clock.advance(3600_000);
  const imageId = (
    await ec2.send(
      new RegisterImageCommand({
        Name: "golden",
        BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: snapshotId } }],
      }),
    )
  ).ImageId as string;
  await ec2.send(new CreateTagsCommand({ Resources: [spare], Tags: [{ Key: "Name", Value: "spare" }] }));
  fixture = { instanceId, spare, attached, snapshotId, imageId };
});
afterEach(() => h.emulator.stop());

/** Everything the EC2 API shows of the region, to compare before and after. */
async function state(region = "us-east-1") {
  const ec2 = h.ec2(region);
  const [instances, volumes, snapshots, tags] = await Promise.all([
    ec2.send(new DescribeInstancesCommand({})),
    ec2.send(new DescribeVolumesCommand({})),
    ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] })),
    ec2.send(new DescribeTagsCommand({})),
  ]);
  return {
    instances: instances.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => [
      i.InstanceId,
      i.State?.Name,
    ]),
    volumes: volumes.Volumes?.map((v) => [v.VolumeId, v.State, v.Attachments?.map((a) => a.InstanceId)]),
    snapshots: snapshots.Snapshots?.map((s) => s.SnapshotId),
    tags: tags.Tags?.map((t) => [t.ResourceId, t.Key, t.Value]),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: one table of heterogeneous commands
type AnyCommand = any;
const MUTATING: [string, (f: typeof fixture) => AnyCommand][] = [
  ["RunInstances", () => new RunInstancesCommand({ ImageId: "ami-12345678", MinCount: 1, MaxCount: 1 })],
  ["StopInstances", (f) => new StopInstancesCommand({ InstanceIds: [f.instanceId] })],
  ["StartInstances", (f) => new StartInstancesCommand({ InstanceIds: [f.instanceId] })],
  ["RebootInstances", (f) => new RebootInstancesCommand({ InstanceIds: [f.instanceId] })],
  ["TerminateInstances", (f) => new TerminateInstancesCommand({ InstanceIds: [f.instanceId] })],
  ["CreateVolume", () => new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8 })],
  [
    "AttachVolume",
    (f) => new AttachVolumeCommand({ VolumeId: f.spare, InstanceId: f.instanceId, Device: "/dev/sdg" }),
  ],
  ["DetachVolume", (f) => new DetachVolumeCommand({ VolumeId: f.attached })],
  ["DeleteVolume", (f) => new DeleteVolumeCommand({ VolumeId: f.spare })],
  ["CreateTags", (f) => new CreateTagsCommand({ Resources: [f.spare], Tags: [{ Key: "k", Value: "v" }] })],
  ["DeleteTags", (f) => new DeleteTagsCommand({ Resources: [f.spare], Tags: [{ Key: "Name" }] })],
  ["CreateSnapshot", (f) => new CreateSnapshotCommand({ VolumeId: f.attached })],
  ["DeleteSnapshot", (f) => new DeleteSnapshotCommand({ SnapshotId: f.snapshotId })],
  [
    "CopySnapshot",
    (f) => new CopySnapshotCommand({ SourceRegion: "us-east-1", SourceSnapshotId: f.snapshotId }),
  ],
  ["RegisterImage", () => new RegisterImageCommand({ Name: "another" })],
  ["DeregisterImage", (f) => new DeregisterImageCommand({ ImageId: f.imageId })],
];

describe("DryRun on every mutating EC2 action", () => {
  it.each(MUTATING)("%s with DryRun answers DryRunOperation (412) and changes nothing", async (_, make) => {
    const before = await state();

    const command = make(fixture);
    command.input.DryRun = true;

    const error = await failure(h.ec2().send(command));

    expect(error).toMatchObject({ name: "DryRunOperation", status: 412 });
    expect(await state()).toEqual(before);
  });

  it.each(MUTATING)(
    "%s with DryRun by a principal the policy denies answers UnauthorizedOperation (403) and changes nothing",
    async (_, make) => {
      const before = await state();
      const reader = new EC2Client({
        endpoint: h.emulator.endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "reader", secretAccessKey: "x" },
        maxAttempts: 1,
      });

      const command = make(fixture);
      command.input.DryRun = true;

      const error = await failure(reader.send(command));

      expect(error).toMatchObject({ name: "UnauthorizedOperation", status: 403 });
      expect(await state()).toEqual(before);
    },
  );

  it("keeps the image: a dry-run DeregisterImage leaves its snapshot in use", async () => {
    await failure(h.ec2().send(new DeregisterImageCommand({ ImageId: fixture.imageId, DryRun: true })));

    const error = await failure(h.ec2().send(new DeleteSnapshotCommand({ SnapshotId: fixture.snapshotId })));

    expect(error.name).toBe("InvalidSnapshot.InUse");
  });
});
