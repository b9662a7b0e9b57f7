import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeSnapshotsCommand,
  type DescribeSnapshotsCommandInput,
  type EC2Client,
  RegisterImageCommand,
} from "@aws-sdk/client-ec2";
import { failure, type Harness, startHarness } from "./harness";

const API = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference";

let h: Harness;
let ec2: EC2Client;

beforeEach(async () => {
  h = await startHarness();
  ec2 = h.ec2();
});
afterEach(() => h.emulator.stop());

async function volume(sizeGiB: number, tags: Record<string, string> = {}, client = ec2, zone = "us-east-1a") {
  const out = await client.send(
    new CreateVolumeCommand({
      AvailabilityZone: zone,
      Size: sizeGiB,
      TagSpecifications: [
        { ResourceType: "volume", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      ],
    }),
  );
  return out.VolumeId ?? "";
}

async function snapshot(volumeId: string, tags: Record<string, string> = {}, client = ec2) {
  const out = await client.send(
    new CreateSnapshotCommand({
      VolumeId: volumeId,
      Description: "nightly",
      TagSpecifications: [
        { ResourceType: "snapshot", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      ],
    }),
  );
  return out;
}

async function describe1(id: string, client = ec2) {
  const out = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }));
  const s = out.Snapshots?.[0];
  if (!s) throw new Error(`snapshot ${id} not described`);
  return s;
}

describe(`snapshot lifecycle (${API}/API_CreateSnapshot.html)`, () => {
  it("stays pending with growing progress, then completes after 60 s + 5 s per GiB of simulated time", async () => {
    const vol = await volume(10);
    const created = await snapshot(vol, { Owner: "ops" });
    const id = created.SnapshotId ?? "";

    h.clock.advance(55_000);
    const halfway = await describe1(id);
    h.emulator.clock.advance(55_000);
    const done = await describe1(id);

    expect(created).toMatchObject({
      State: "pending",
      Progress: "0%",
      VolumeId: vol,
      VolumeSize: 10,
      OwnerId: "000000000000",
    });
    expect(created.StartTime).toEqual(new Date(Date.UTC(2026, 0, 1)));
    expect(halfway).toMatchObject({ State: "pending", Progress: "50%" });
    expect(halfway.CompletionTime).toBeUndefined();
    expect(done).toMatchObject({
      State: "completed",
      Progress: "100%",
      Description: "nightly",
      Encrypted: false,
      StorageTier: "standard",
      Tags: [{ Key: "Owner", Value: "ops" }],
    });
    expect(done.CompletionTime).toEqual(new Date(Date.UTC(2026, 0, 1) + 110_000));
  });

  it("ends in error with a state message when the volume carries emulator:snapshot-result=error", async () => {
    const vol = await volume(1, { "emulator:snapshot-result": "error" });
    const id = (await snapshot(vol)).SnapshotId ?? "";

    const before = await describe1(id);
    h.clock.advance(65_000);
    const after = await describe1(id);

    expect(before.State).toBe("pending");
    expect(after.State).toBe("error");
    expect(after.StateMessage).toContain("emulator:snapshot-result");
  });

  it("uses the configured snapshot duration", async () => {
    await h.emulator.stop();
    h = await startHarness({ snapshotDurationSeconds: () => 1 });
    ec2 = h.ec2();
    const id = (await snapshot(await volume(500))).SnapshotId ?? "";

    h.clock.advance(1_000);

    expect((await describe1(id)).State).toBe("completed");
  });
});

describe(`DescribeSnapshots filters and pagination (${API}/API_DescribeSnapshots.html)`, () => {
  it("filters by tag, status, volume-id and owner", async () => {
    const v1 = await volume(1);
    const v2 = await volume(1);
    const a = (await snapshot(v1, { Policy: "daily" })).SnapshotId;
    h.clock.advance(120_000);
    const b = (await snapshot(v2, { Policy: "weekly" })).SnapshotId;

    const ids = async (input: DescribeSnapshotsCommandInput) =>
      ((await ec2.send(new DescribeSnapshotsCommand(input))).Snapshots ?? []).map((s) => s.SnapshotId);

    expect(await ids({ OwnerIds: ["self"], Filters: [{ Name: "tag:Policy", Values: ["daily"] }] })).toEqual([
      a,
    ]);
    expect(await ids({ Filters: [{ Name: "tag-key", Values: ["Policy"] }] })).toEqual([a, b]);
    expect(await ids({ Filters: [{ Name: "status", Values: ["pending"] }] })).toEqual([b]);
    expect(await ids({ Filters: [{ Name: "volume-id", Values: [v1] }] })).toEqual([a]);
    expect(
      await ids({ OwnerIds: ["000000000000"], Filters: [{ Name: "snapshot-id", Values: [b ?? ""] }] }),
    ).toEqual([b]);
    expect(await ids({ OwnerIds: ["amazon"] })).toEqual([]);
    expect(await ids({ Filters: [{ Name: "start-time", Values: ["2026-01-01T00:00:00*"] }] })).toEqual([a]);
  });

  it("pages with MaxResults and NextToken", async () => {
    const vol = await volume(1);
    // One volume allows a snapshot every 15 s and 5 pending at once (quotas.test.ts).
    for (let n = 0; n < 12; n++) {
      await snapshot(vol);
      h.clock.advance(20_000);
    }

    const first = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], MaxResults: 5 }));
    const second = await ec2.send(
      new DescribeSnapshotsCommand({ OwnerIds: ["self"], MaxResults: 5, NextToken: first.NextToken }),
    );
    const third = await ec2.send(
      new DescribeSnapshotsCommand({ OwnerIds: ["self"], MaxResults: 5, NextToken: second.NextToken }),
    );

    expect([first, second, third].map((p) => p.Snapshots?.length)).toEqual([5, 5, 2]);
    expect(third.NextToken).toBeUndefined();
  });

  it("rejects MaxResults together with SnapshotIds, and MaxResults below 5", async () => {
    const id = (await snapshot(await volume(1))).SnapshotId ?? "";

    const combined = await failure(
      ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id], MaxResults: 5 })),
    );
    const tooSmall = await failure(ec2.send(new DescribeSnapshotsCommand({ MaxResults: 4 })));

    expect(combined.name).toBe("InvalidParameterCombination");
    expect(tooSmall.name).toBe("InvalidParameterValue");
  });
});

describe("regions", () => {
  it("keeps snapshots of different regions apart", async () => {
    const id = (await snapshot(await volume(1))).SnapshotId ?? "";

    const west = await h.ec2("us-west-2").send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));
    const notFound = await failure(
      h.ec2("us-west-2").send(new DescribeSnapshotsCommand({ SnapshotIds: [id] })),
    );

    expect(west.Snapshots).toEqual([]);
    expect(notFound.name).toBe("InvalidSnapshot.NotFound");
  });

  it(`copies a completed snapshot into the destination region as vol-ffffffff (${API}/API_CopySnapshot.html)`, async () => {
    const source = (await snapshot(await volume(20))).SnapshotId ?? "";
    h.clock.advance(160_000);
    const west = h.ec2("us-west-2");

    const copy = await west.send(
      new CopySnapshotCommand({
        SourceRegion: "us-east-1",
        SourceSnapshotId: source,
        Description: "DR copy",
        TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "CopiedFrom", Value: source }] }],
      }),
    );
    const pending = await describe1(copy.SnapshotId ?? "", west);
    h.clock.advance(160_000);
    const done = await describe1(copy.SnapshotId ?? "", west);
    const east = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));

    expect(copy.Tags).toEqual([{ Key: "CopiedFrom", Value: source }]);
    expect(pending).toMatchObject({
      State: "pending",
      VolumeId: "vol-ffffffff",
      VolumeSize: 20,
      Description: "DR copy",
    });
    expect(done.State).toBe("completed");
    expect(east.Snapshots?.map((s) => s.SnapshotId)).toEqual([source]);
  });

  it("refuses to copy a snapshot that is still pending", async () => {
    const source = (await snapshot(await volume(1))).SnapshotId ?? "";

    const err = await failure(
      h
        .ec2("us-west-2")
        .send(new CopySnapshotCommand({ SourceRegion: "us-east-1", SourceSnapshotId: source })),
    );

    expect(err.name).toBe("IncorrectState");
  });
});

describe(`DeleteSnapshot errors (${API}/API_DeleteSnapshot.html, ${API}/errors-overview.html)`, () => {
  it("answers InvalidSnapshot.NotFound for an unknown snapshot", async () => {
    const err = await failure(ec2.send(new DeleteSnapshotCommand({ SnapshotId: "snap-0123456789abcdef0" })));

    expect(err).toMatchObject({ name: "InvalidSnapshot.NotFound", status: 400 });
  });

  it("answers InvalidSnapshot.InUse while a registered AMI uses the snapshot, and deletes it after deregistration", async () => {
    const id = (await snapshot(await volume(8))).SnapshotId ?? "";
    h.clock.advance(200_000);
    const { ImageId } = await ec2.send(
      new RegisterImageCommand({
        Name: "golden",
        RootDeviceName: "/dev/xvda",
        BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: id } }],
      }),
    );

    const inUse = await failure(ec2.send(new DeleteSnapshotCommand({ SnapshotId: id })));
    await ec2.send(new DeregisterImageCommand({ ImageId }));
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
    const gone = await failure(ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] })));

    expect(inUse.name).toBe("InvalidSnapshot.InUse");
    expect(inUse.message).toContain(ImageId ?? "ami-");
    expect(gone.name).toBe("InvalidSnapshot.NotFound");
  });
});
