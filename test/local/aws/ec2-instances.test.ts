import {
  AttachVolumeCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteTagsCommand,
  DeleteVolumeCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  type EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { failure, type Harness, startHarness } from "./harness";

let h: Harness;
let ec2: EC2Client;

beforeEach(async () => {
  h = await startHarness();
  ec2 = h.ec2();
});
afterEach(() => h.emulator.stop());

async function launch(tags: Record<string, string> = {}, zone = "us-east-1a") {
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: "ami-12345678",
      InstanceType: "t3.micro",
      MinCount: 1,
      MaxCount: 1,
      Placement: { AvailabilityZone: zone },
      TagSpecifications: [
        { ResourceType: "instance", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      ],
    }),
  );
  const id = out.Instances?.[0]?.InstanceId;
  if (!id) throw new Error("RunInstances returned no instance");
  return id;
}

describe("EC2 instances (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html)", () => {
  it("launches a running instance with an 8 GiB gp3 root volume at /dev/xvda when no block devices are given", async () => {
    const id = await launch({ Name: "web-1" });

    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const instance = Reservations?.[0]?.Instances?.[0];
    const rootVolumeId = instance?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId ?? "";
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [rootVolumeId] }));

    expect(instance?.State?.Name).toBe("running");
    expect(instance?.RootDeviceName).toBe("/dev/xvda");
    expect(instance?.Placement?.AvailabilityZone).toBe("us-east-1a");
    expect(instance?.Tags).toEqual([{ Key: "Name", Value: "web-1" }]);
    expect(instance?.BlockDeviceMappings?.[0]).toMatchObject({
      DeviceName: "/dev/xvda",
      Ebs: { Status: "attached" },
    });
    expect(instance?.BlockDeviceMappings?.[0]?.Ebs?.AttachTime).toEqual(h.clock.now());
    expect(Volumes?.[0]).toMatchObject({ Size: 8, VolumeType: "gp3", State: "in-use" });
    expect(Volumes?.[0]?.Attachments?.[0]).toMatchObject({ InstanceId: id, Device: "/dev/xvda" });
  });

  it("filters instances by tag:KEY, tag-key, instance-state-name and instance-id (API_DescribeInstances.html)", async () => {
    const a = await launch({ Backup: "daily" });
    const b = await launch({ Backup: "weekly" });
    await launch({ Other: "x" });
    await ec2.send(new StopInstancesCommand({ InstanceIds: [b] }));

    const ids = async (Filters: { Name: string; Values: string[] }[]) => {
      const out = await ec2.send(new DescribeInstancesCommand({ Filters }));
      return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId);
    };

    expect(await ids([{ Name: "tag:Backup", Values: ["daily"] }])).toEqual([a]);
    expect(await ids([{ Name: "tag-key", Values: ["Backup"] }])).toEqual([a, b]);
    expect(
      await ids([
        { Name: "tag:Backup", Values: ["*"] },
        { Name: "instance-state-name", Values: ["running"] },
      ]),
    ).toEqual([a]);
    expect(await ids([{ Name: "instance-id", Values: [b] }])).toEqual([b]);
  });

  it("pages instances with MaxResults and NextToken", async () => {
    // RunInstances has a request bucket of 5, refilled at 2 per second (ec2-api-throttling.html).
    for (let n = 0; n < 7; n++) {
      await launch();
      h.clock.advance(500);
    }

    const first = await ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
    const second = await ec2.send(
      new DescribeInstancesCommand({ MaxResults: 5, NextToken: first.NextToken }),
    );
    const count = (r: typeof first) => (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).length;

    expect(count(first)).toBe(5);
    expect(first.NextToken).toBeDefined();
    expect(count(second)).toBe(2);
    expect(second.NextToken).toBeUndefined();
  });

  it("answers InvalidInstanceID.NotFound for an unknown instance", async () => {
    const err = await failure(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })),
    );

    expect(err.name).toBe("InvalidInstanceID.NotFound");
    expect(err.status).toBe(400);
  });

  it("terminates an instance and deletes its delete-on-termination root volume (API_TerminateInstances.html)", async () => {
    const id = await launch();

    const out = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({}));

    expect(out.TerminatingInstances?.[0]).toMatchObject({
      InstanceId: id,
      CurrentState: { Name: "terminated", Code: 48 },
    });
    expect(Volumes).toEqual([]);
  });
});

describe("EBS volumes (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html)", () => {
  it("creates, attaches, finds by attachment filters, detaches and deletes a volume", async () => {
    const instanceId = await launch();
    const created = await ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: "us-east-1a",
        Size: 100,
        VolumeType: "gp3",
        Encrypted: true,
        KmsKeyId: "arn:aws:kms:us-east-1:000000000000:key/abc",
        TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Role", Value: "data" }] }],
      }),
    );
    const volumeId = created.VolumeId ?? "";

    await ec2.send(
      new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: "/dev/sdf" }),
    );
    const byAttachment = await ec2.send(
      new DescribeVolumesCommand({
        Filters: [
          { Name: "attachment.instance-id", Values: [instanceId] },
          { Name: "attachment.device", Values: ["/dev/sdf"] },
        ],
      }),
    );
    const byTag = await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: "tag:Role", Values: ["data"] }] }),
    );
    await ec2.send(new DetachVolumeCommand({ VolumeId: volumeId }));
    const afterDetach = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
    const gone = await failure(ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })));

    expect(created).toMatchObject({
      Size: 100,
      Encrypted: true,
      KmsKeyId: "arn:aws:kms:us-east-1:000000000000:key/abc",
    });
    expect(byAttachment.Volumes?.map((v) => v.VolumeId)).toEqual([volumeId]);
    expect(byTag.Volumes?.map((v) => v.VolumeId)).toEqual([volumeId]);
    expect(afterDetach.Volumes?.[0]?.State).toBe("available");
    expect(gone.name).toBe("InvalidVolume.NotFound");
  });

  it("refuses to delete an attached volume with VolumeInUse (API_DeleteVolume.html)", async () => {
    const instanceId = await launch();
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const rootVolumeId = Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId;

    const err = await failure(ec2.send(new DeleteVolumeCommand({ VolumeId: rootVolumeId })));

    expect(err.name).toBe("VolumeInUse");
  });

  it("adds and removes tags with CreateTags and DeleteTags (API_CreateTags.html)", async () => {
    const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1b", Size: 1 }));
    const id = VolumeId ?? "";

    await ec2.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [
          { Key: "a", Value: "1" },
          { Key: "b", Value: "2" },
        ],
      }),
    );
    await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "a" }] }));
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }));
    const missing = await failure(
      ec2.send(
        new CreateTagsCommand({ Resources: ["vol-0000000000000000f"], Tags: [{ Key: "a", Value: "1" }] }),
      ),
    );

    expect(Volumes?.[0]?.Tags).toEqual([{ Key: "b", Value: "2" }]);
    expect(missing.name).toBe("InvalidVolume.NotFound");
  });
});

describe("regions and zones", () => {
  it("lists regions and the region's availability zones (API_DescribeRegions.html, API_DescribeAvailabilityZones.html)", async () => {
    const regions = await ec2.send(new DescribeRegionsCommand({}));
    const zones = await h.ec2("us-west-2").send(new DescribeAvailabilityZonesCommand({}));

    expect(regions.Regions?.map((r) => r.RegionName)).toEqual(
      expect.arrayContaining(["us-east-1", "us-west-2"]),
    );
    expect(zones.AvailabilityZones?.map((z) => z.ZoneName)).toEqual([
      "us-west-2a",
      "us-west-2b",
      "us-west-2c",
    ]);
    expect(zones.AvailabilityZones?.[0]?.State).toBe("available");
  });
});

describe("ec2Query wire format (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)", () => {
  it("answers an unknown action with InvalidAction in the EC2 error envelope", async () => {
    const res = await fetch(h.emulator.endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=DescribeNothing&Version=2016-11-15",
    });
    const body = await res.text();

    expect(res.status).toBe(400);
    expect(body).toMatch(
      /<Response><Errors><Error><Code>InvalidAction<\/Code><Message>.*<\/Message><\/Error><\/Errors><RequestID>.+<\/RequestID><\/Response>/,
    );
  });

  it("answers MissingParameter when RunInstances has no ImageId", async () => {
    const err = await failure(ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1 } as never)));

    expect(err.name).toBe("MissingParameter");
  });
});
