import {
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
} from "@aws-sdk/client-ec2";
import { failure, type Harness, startHarness } from "./harness";

const TAG_RESTRICTIONS =
  "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions";
const ERRORS = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ quotas: false });
});
afterEach(() => h.emulator.stop());

const tags = (n: number, prefix = "k") =>
  Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: "v" }));

async function snapshot(): Promise<{ volumeId: string; snapshotId: string }> {
  const ec2 = h.ec2();
  const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1 }));
  const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId }));
  return { volumeId: VolumeId as string, snapshotId: SnapshotId as string };
}

async function tagCount(id: string): Promise<number> {
  const out = await h
    .ec2()
    .send(new DescribeTagsCommand({ Filters: [{ Name: "resource-id", Values: [id] }] }));
  return out.Tags?.length ?? 0;
}

describe(`tag restrictions (${TAG_RESTRICTIONS})`, () => {
  it("accepts 50 tags on a snapshot and refuses a 51st with TagLimitExceeded, changing nothing", async () => {
    const { volumeId, snapshotId } = await snapshot();
    await h.ec2().send(new CreateTagsCommand({ Resources: [snapshotId], Tags: tags(50) }));

    const error = await failure(
      h.ec2().send(
        new CreateTagsCommand({
          Resources: [volumeId, snapshotId],
          Tags: [{ Key: "one-more", Value: "" }],
        }),
      ),
    );

    expect(error).toMatchObject({ name: "TagLimitExceeded", status: 400 });
    expect(await tagCount(snapshotId)).toBe(50);
    expect(await tagCount(volumeId)).toBe(0);
  });

  it("refuses 51 tags given at creation (TagSpecifications)", async () => {
    const error = await failure(
      h.ec2().send(
        new CreateVolumeCommand({
          AvailabilityZone: "us-east-1a",
          Size: 1,
          TagSpecifications: [{ ResourceType: "volume", Tags: tags(51) }],
        }),
      ),
    );

    expect(error).toMatchObject({ name: "TagLimitExceeded", status: 400 });
    expect((await h.ec2().send(new DescribeVolumesCommand({}))).Volumes).toEqual([]);
  });

  it("accepts a 128-character key and a 256-character value", async () => {
    const { snapshotId } = await snapshot();

    await h.ec2().send(
      new CreateTagsCommand({
        Resources: [snapshotId],
        Tags: [{ Key: "k".repeat(128), Value: "v".repeat(256) }],
      }),
    );

    expect(await tagCount(snapshotId)).toBe(1);
  });

  it.each([
    ["a 129-character key", "k".repeat(129), "v"],
    ["a 257-character value", "k", "v".repeat(257)],
    ["an aws: key", "aws:cloudformation:stack-name", "v"],
    ["an AWS: key", "AWS:x", "v"],
    ["an empty key", "", "v"],
  ])("refuses %s with InvalidParameterValue", async (_, Key, Value) => {
    const { snapshotId } = await snapshot();

    const error = await failure(
      h.ec2().send(new CreateTagsCommand({ Resources: [snapshotId], Tags: [{ Key, Value }] })),
    );

    expect(error).toMatchObject({ name: "InvalidParameterValue", status: 400 });
    expect(await tagCount(snapshotId)).toBe(0);
  });
});

describe(`malformed ids (${ERRORS})`, () => {
  const snapshots = (id: string) => new DescribeSnapshotsCommand({ SnapshotIds: [id] });
  const deleteSnapshot = (id: string) => new DeleteSnapshotCommand({ SnapshotId: id });
  const volumes = (id: string) => new DescribeVolumesCommand({ VolumeIds: [id] });
  const instances = (id: string) => new DescribeInstancesCommand({ InstanceIds: [id] });
  it.each([
    ["DescribeSnapshots", "snap-zzz", snapshots, "InvalidSnapshotID.Malformed"],
    ["DescribeSnapshots", "garbage", snapshots, "InvalidSnapshotID.Malformed"],
    ["DeleteSnapshot", "snap-123", deleteSnapshot, "InvalidSnapshotID.Malformed"],
    ["DescribeVolumes", "garbage", volumes, "InvalidVolumeID.Malformed"],
    ["DescribeVolumes", "vol-XYZ12345", volumes, "InvalidVolumeID.Malformed"],
    ["DescribeInstances", "i-zzz", instances, "InvalidInstanceID.Malformed"],
  ] as const)("%s answers %j with %s", async (_, id, make, code) => {
    const error = await failure(h.ec2().send(make(id) as DescribeSnapshotsCommand));

    expect(error).toMatchObject({ name: code, status: 400 });
  });

  it("still answers NotFound for a well-formed id that does not exist", async () => {
    const error = await failure(
      h.ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: ["snap-0123456789abcdef0"] })),
    );

    expect(error.name).toBe("InvalidSnapshot.NotFound");
  });
});
