import {
  CreateVolumeCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  RebootInstancesCommand,
  RunInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { failure, type Harness, startHarness } from "./harness";

const API = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ quotas: false });
});
afterEach(() => h.emulator.stop());

async function launch(keyName?: string): Promise<string> {
  const out = await h
    .ec2()
    .send(new RunInstancesCommand({ ImageId: "ami-12345678", MinCount: 1, MaxCount: 1, KeyName: keyName }));
  return out.Instances?.[0]?.InstanceId as string;
}

describe(`RunInstances answers pending first (${API}/API_RunInstances.html)`, () => {
  it("answers `pending` (code 0), and the instance is `running` by the next call", async () => {
    const out = await h
      .ec2()
      .send(new RunInstancesCommand({ ImageId: "ami-12345678", MinCount: 1, MaxCount: 1 }));
    const id = out.Instances?.[0]?.InstanceId as string;
    const described = await h.ec2().send(new DescribeInstancesCommand({ InstanceIds: [id] }));

    expect(out.Instances?.[0]?.State).toEqual({ Name: "pending", Code: 0 });
    expect(described.Reservations?.[0]?.Instances?.[0]?.State).toEqual({ Name: "running", Code: 16 });
  });
});

describe(`DescribeInstanceStatus (${API}/API_DescribeInstanceStatus.html)`, () => {
  it("lists running instances with passing checks, and stopped ones only with IncludeAllInstances", async () => {
    const running = await launch();
    const stopped = await launch();
    await h.ec2().send(new StopInstancesCommand({ InstanceIds: [stopped] }));

    const plain = await h.ec2().send(new DescribeInstanceStatusCommand({}));
    const all = await h.ec2().send(new DescribeInstanceStatusCommand({ IncludeAllInstances: true }));

    expect(
      plain.InstanceStatuses?.map((s) => [s.InstanceId, s.InstanceStatus?.Status, s.SystemStatus?.Status]),
    ).toEqual([[running, "ok", "ok"]]);
    expect(all.InstanceStatuses?.map((s) => [s.InstanceId, s.InstanceState?.Name]).sort()).toEqual(
      [
        [running, "running"],
        [stopped, "stopped"],
      ].sort(),
    );
  });
});

describe(`RebootInstances (${API}/API_RebootInstances.html)`, () => {
  it("reboots a running instance and refuses a stopped one", async () => {
    const id = await launch();
    await h.ec2().send(new RebootInstancesCommand({ InstanceIds: [id] }));
    await h.ec2().send(new StopInstancesCommand({ InstanceIds: [id] }));

    const error = await failure(h.ec2().send(new RebootInstancesCommand({ InstanceIds: [id] })));

    expect(error).toMatchObject({ name: "IncorrectState", status: 400 });
  });
});

describe(`DescribeInstances' documented filters (${API}/API_DescribeInstances.html)`, () => {
  it.each([
    ["owner-id", "000000000000"],
    ["architecture", "x86_64"],
    ["key-name", "ops"],
    ["private-dns-name", "ip-10-*.ec2.internal"],
  ])("filters by %s", async (Name, value) => {
    const withKey = await launch("ops");

    const out = await h.ec2().send(new DescribeInstancesCommand({ Filters: [{ Name, Values: [value] }] }));

    expect(out.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([withKey]);
  });

  it("filters by state-reason-code", async () => {
    const stopped = await launch();
    await launch();
    await h.ec2().send(new StopInstancesCommand({ InstanceIds: [stopped] }));

    const out = await h.ec2().send(
      new DescribeInstancesCommand({
        Filters: [{ Name: "state-reason-code", Values: ["Client.UserInitiatedShutdown"] }],
      }),
    );

    expect(out.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([stopped]);
  });
});

describe(`CreateVolume keeps Iops, Throughput and MultiAttachEnabled (${API}/API_CreateVolume.html)`, () => {
  it("keeps a gp3 volume's IOPS and throughput", async () => {
    const created = await h.ec2().send(
      new CreateVolumeCommand({
        AvailabilityZone: "us-east-1a",
        Size: 100,
        VolumeType: "gp3",
        Iops: 6000,
        Throughput: 500,
      }),
    );
    const described = await h
      .ec2()
      .send(new DescribeVolumesCommand({ VolumeIds: [created.VolumeId as string] }));

    expect([created.Iops, created.Throughput]).toEqual([6000, 500]);
    expect(described.Volumes?.[0]).toMatchObject({ Iops: 6000, Throughput: 500, MultiAttachEnabled: false });
  });

  it("keeps an io2 volume's IOPS and Multi-Attach", async () => {
    const created = await h.ec2().send(
      new CreateVolumeCommand({
        AvailabilityZone: "us-east-1a",
        Size: 100,
        VolumeType: "io2",
        Iops: 10000,
        MultiAttachEnabled: true,
      }),
    );

    expect(created).toMatchObject({ Iops: 10000, MultiAttachEnabled: true });
  });

  it.each([
    ["Iops on gp2", { VolumeType: "gp2", Iops: 3000 }, "InvalidParameterCombination"],
    ["io1 without Iops", { VolumeType: "io1" }, "MissingParameter"],
    ["Throughput on io2", { VolumeType: "io2", Iops: 1000, Throughput: 200 }, "InvalidParameterCombination"],
    ["Multi-Attach on gp3", { VolumeType: "gp3", MultiAttachEnabled: true }, "InvalidParameterCombination"],
    ["gp3 below 3,000 IOPS", { VolumeType: "gp3", Iops: 100 }, "InvalidParameterValue"],
  ] as const)("refuses %s", async (_, extra, code) => {
    const error = await failure(
      h.ec2().send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 100, ...extra })),
    );

    expect(error).toMatchObject({ name: code, status: 400 });
  });
});
