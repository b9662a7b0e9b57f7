import {
  CreateSnapshotCommand,
  CreateSnapshotsCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  RunInstancesCommand,
  type VolumeType,
} from "@aws-sdk/client-ec2";
import type { PolicyStatement } from "../../../local/aws/iam";
import type { EmulatorOptions } from "../../../local/aws/server";
import { failure, type Harness, startHarness } from "./harness";

const API = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference";
const CREATE_SNAPSHOTS = `${API}/API_CreateSnapshots.html`;

let h: Harness;
afterEach(() => h.emulator.stop());

async function start(options: Omit<EmulatorOptions, "clock"> = { quotas: false }) {
  h = await startHarness(options);
}

/** An instance with a root volume (/dev/xvda, 8 GiB) and data volumes at /dev/sdf, /dev/sdg (10, 20 GiB). */
async function server(tags: Record<string, string> = {}, volumeType: VolumeType = "gp3") {
  const out = await h.ec2().send(
    new RunInstancesCommand({
      ImageId: "ami-12345678",
      MinCount: 1,
      MaxCount: 1,
      BlockDeviceMappings: [
        { DeviceName: "/dev/xvda", Ebs: { VolumeSize: 8, VolumeType: volumeType } },
        { DeviceName: "/dev/sdf", Ebs: { VolumeSize: 10, VolumeType: volumeType, Encrypted: true } },
        { DeviceName: "/dev/sdg", Ebs: { VolumeSize: 20, VolumeType: volumeType } },
      ],
      TagSpecifications: [
        { ResourceType: "instance", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
        { ResourceType: "volume", Tags: [{ Key: "Team", Value: "db" }] },
      ],
    }),
  );
  const instance = out.Instances?.[0];
  const byDevice = Object.fromEntries(
    (instance?.BlockDeviceMappings ?? []).map((m) => [m.DeviceName ?? "", m.Ebs?.VolumeId ?? ""]),
  );
  return {
    instanceId: instance?.InstanceId ?? "",
    root: byDevice["/dev/xvda"] ?? "",
    sdf: byDevice["/dev/sdf"] ?? "",
    sdg: byDevice["/dev/sdg"] ?? "",
  };
}

describe(`CreateSnapshots (${CREATE_SNAPSHOTS})`, () => {
  it("snapshots every attached volume with one StartTime, each with its volume's id, size and encryption", async () => {
    await start();
    const s = await server();

    const out = await h.ec2().send(
      new CreateSnapshotsCommand({
        InstanceSpecification: { InstanceId: s.instanceId },
        Description: "set",
        TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "Set", Value: "1" }] }],
      }),
    );

    const snaps = out.Snapshots ?? [];
    expect(snaps.map((x) => [x.VolumeId, x.VolumeSize, x.Encrypted, x.State, x.Description])).toEqual([
      [s.root, 8, false, "pending", "set"],
      [s.sdf, 10, true, "pending", "set"],
      [s.sdg, 20, false, "pending", "set"],
    ]);
    expect(new Set(snaps.map((x) => x.StartTime?.toISOString()))).toEqual(
      new Set([new Date(Date.UTC(2026, 0, 1)).toISOString()]),
    );
    expect(snaps.every((x) => x.Tags?.some((t) => t.Key === "Set" && t.Value === "1"))).toBe(true);
    expect(
      snaps.every((x) => x.OwnerId === "000000000000" && /^snap-[0-9a-f]{17}$/.test(x.SnapshotId ?? "")),
    ).toBe(true);
  });

  it("moves every snapshot of the set from pending to completed on its simulated duration", async () => {
    await start({ quotas: false, snapshotDurationSeconds: (gib) => gib * 10 });
    const s = await server();
    const out = await h
      .ec2()
      .send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: s.instanceId } }));
    const ids = (out.Snapshots ?? []).map((x) => x.SnapshotId ?? "");

    h.clock.advance(100_000);
    const after = await h.ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: ids }));

    const state = Object.fromEntries((after.Snapshots ?? []).map((x) => [x.VolumeId, x.State]));
    expect(state).toEqual({ [s.root]: "completed", [s.sdf]: "completed", [s.sdg]: "pending" });
  });

  it("honours ExcludeBootVolume and ExcludeDataVolumeIds (API_InstanceSpecification)", async () => {
    await start();
    const s = await server();

    const out = await h.ec2().send(
      new CreateSnapshotsCommand({
        InstanceSpecification: {
          InstanceId: s.instanceId,
          ExcludeBootVolume: true,
          ExcludeDataVolumeIds: [s.sdg],
        },
      }),
    );

    expect((out.Snapshots ?? []).map((x) => x.VolumeId)).toEqual([s.sdf]);
  });

  it("copies the volumes' tags with CopyTagsFromSource=volume, the TagSpecifications winning", async () => {
    await start();
    const s = await server();

    const out = await h.ec2().send(
      new CreateSnapshotsCommand({
        InstanceSpecification: { InstanceId: s.instanceId, ExcludeBootVolume: true },
        CopyTagsFromSource: "volume",
        TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "Set", Value: "a" }] }],
      }),
    );

    for (const snap of out.Snapshots ?? []) {
      expect(Object.fromEntries((snap.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual({
        Team: "db",
        Set: "a",
      });
    }
  });

  it("refuses an unknown and a malformed instance id", async () => {
    await start();

    const unknown = await failure(
      h
        .ec2()
        .send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: "i-0123456789abcdef0" } })),
    );
    const malformed = await failure(
      h.ec2().send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: "server-1" } })),
    );

    expect(unknown).toMatchObject({ name: "InvalidInstanceID.NotFound", status: 400 });
    expect(malformed).toMatchObject({ name: "InvalidInstanceID.Malformed", status: 400 });
  });

  it("refuses the root volume in ExcludeDataVolumeIds, a volume not attached, and a spec that leaves no volume", async () => {
    await start();
    const s = await server();
    const other = await server();
    const send = (spec: { ExcludeBootVolume?: boolean; ExcludeDataVolumeIds?: string[] }) =>
      failure(
        h
          .ec2()
          .send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: s.instanceId, ...spec } })),
      );

    const root = await send({ ExcludeDataVolumeIds: [s.root] });
    const foreign = await send({ ExcludeDataVolumeIds: [other.sdf] });
    const none = await send({ ExcludeBootVolume: true, ExcludeDataVolumeIds: [s.sdf, s.sdg] });

    expect(root).toMatchObject({ name: "InvalidParameterValue" });
    expect(root.message).toContain("ExcludeBootVolume");
    expect(foreign).toMatchObject({ name: "InvalidParameterValue" });
    expect(foreign.message).toContain(other.sdf);
    expect(none).toMatchObject({ name: "InvalidParameterValue" });
    expect(none.message).toContain("No volume");
    const all = await h.ec2().send(new DescribeSnapshotsCommand({}));
    expect(all.Snapshots).toEqual([]);
  });

  it("refuses more than 50 tags per snapshot (TagLimitExceeded)", async () => {
    await start();
    const s = await server();
    const tags = Array.from({ length: 50 }, (_, n) => ({ Key: `k${n}`, Value: "v" }));

    const error = await failure(
      h.ec2().send(
        new CreateSnapshotsCommand({
          InstanceSpecification: { InstanceId: s.instanceId },
          CopyTagsFromSource: "volume",
          TagSpecifications: [{ ResourceType: "snapshot", Tags: tags }],
        }),
      ),
    );

    expect(error).toMatchObject({ name: "TagLimitExceeded", status: 400 });
  });

  it("applies the 15 s per-volume rate to every volume of the set, all or nothing (SnapshotCreationPerVolumeRateExceeded)", async () => {
    await start({ quotas: { throttling: false } });
    const s = await server();
    await h.ec2().send(new CreateSnapshotCommand({ VolumeId: s.sdg }));
    h.clock.advance(10_000);

    const error = await failure(
      h.ec2().send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: s.instanceId } })),
    );

    expect(error).toMatchObject({ name: "SnapshotCreationPerVolumeRateExceeded", status: 400 });
    const all = await h.ec2().send(new DescribeSnapshotsCommand({}));
    expect((all.Snapshots ?? []).map((x) => x.VolumeId)).toEqual([s.sdg]);
    expect(h.emulator.quotaStats().byRegion["us-east-1"]?.CreateSnapshots?.codes).toEqual({
      SnapshotCreationPerVolumeRateExceeded: 1,
    });
    h.clock.advance(5_000);
    const ok = await h
      .ec2()
      .send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: s.instanceId } }));
    expect(ok.Snapshots).toHaveLength(3);
  });

  it("applies the pending-snapshot limit per volume (ConcurrentSnapshotLimitExceeded, 1 for st1)", async () => {
    await start({ quotas: { throttling: false } });
    const s = await server({}, "st1");
    await h.ec2().send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: s.instanceId } }));
    h.clock.advance(20_000);

    const error = await failure(
      h.ec2().send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: s.instanceId } })),
    );

    expect(error).toMatchObject({ name: "ConcurrentSnapshotLimitExceeded", status: 400 });
  });

  it("draws from its own token bucket, 100 calls then 5 per second (ec2-api-throttling.html)", async () => {
    await start({
      quotas: { ebs: false, ec2: { actions: { CreateSnapshots: { capacity: 2, refillPerSecond: 5 } } } },
    });
    const s = await server();
    const send = () =>
      h.ec2().send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: s.instanceId } }));
    await send();
    await send();

    const error = await failure(send());

    expect(error).toMatchObject({ name: "RequestLimitExceeded", status: 503 });
    // Its own bucket: CreateSnapshot still has its tokens.
    await h.ec2().send(new CreateSnapshotCommand({ VolumeId: s.sdf }));
  });

  it("answers DryRun with DryRunOperation and creates nothing", async () => {
    await start();
    const s = await server();

    const error = await failure(
      h
        .ec2()
        .send(
          new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: s.instanceId }, DryRun: true }),
        ),
    );

    expect(error).toMatchObject({ name: "DryRunOperation", status: 412 });
    expect((await h.ec2().send(new DescribeSnapshotsCommand({}))).Snapshots).toEqual([]);
  });
});

describe("IAM for ec2:CreateSnapshots (service-authorization list_amazonec2.html: instance*, snapshot*, volume)", () => {
  const restricted = (h: Harness) =>
    new EC2Client({
      endpoint: h.emulator.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "backup", secretAccessKey: "x" },
      maxAttempts: 1,
    });
  const policy: PolicyStatement[] = [
    {
      Effect: "Allow",
      Action: "ec2:CreateSnapshots",
      Resource: "arn:aws:ec2:*:*:instance/*",
      Condition: { StringEquals: { "ec2:ResourceTag/Backup": "true" } },
    },
    {
      Effect: "Allow",
      Action: "ec2:CreateSnapshots",
      Resource: ["arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*::snapshot/*"],
    },
    {
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: "arn:aws:ec2:*::snapshot/*",
      Condition: { StringEquals: { "ec2:CreateAction": "CreateSnapshots" } },
    },
  ];

  it("allows an instance carrying the tag and refuses one without it with UnauthorizedOperation", async () => {
    await start({ quotas: false, iam: { principals: { backup: policy } } });
    const tagged = await server({ Backup: "true" });
    const untagged = await server({});
    const client = restricted(h);

    const ok = await client.send(
      new CreateSnapshotsCommand({
        InstanceSpecification: { InstanceId: tagged.instanceId },
        TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "snapfleet:run", Value: "r1" }] }],
      }),
    );
    const refused = await failure(
      client.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: untagged.instanceId } })),
    );

    expect(ok.Snapshots).toHaveLength(3);
    expect(refused).toMatchObject({ name: "UnauthorizedOperation", status: 403 });
    expect(refused.message).toContain(`instance/${untagged.instanceId}`);
  });

  it("authorizes each volume of the set: a Deny on one volume's tag refuses the whole call", async () => {
    const deny: PolicyStatement = {
      Effect: "Deny",
      Action: "ec2:CreateSnapshots",
      Resource: "arn:aws:ec2:*:*:volume/*",
      Condition: { StringEquals: { "aws:ResourceTag/Team": "db" } },
    };
    await start({ quotas: false, iam: { principals: { backup: [...policy, deny] } } });
    const s = await server({ Backup: "true" });

    const refused = await failure(
      restricted(h).send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: s.instanceId } })),
    );

    expect(refused).toMatchObject({ name: "UnauthorizedOperation" });
    expect(refused.message).toContain("explicit deny");
  });
});
