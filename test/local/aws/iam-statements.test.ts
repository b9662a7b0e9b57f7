/**
 * Every EC2 statement of both packaged roles, enforced by the embedded AWS: the call it exists for
 * is allowed; the same call is denied once the statement is removed; and where a statement carries a
 * condition or a narrow resource, a call just outside it is denied (issue 13). The roles are
 * resolved for us-east-1 with DrRegion us-west-2, and once more for GovCloud's partition.
 * Resources and condition keys: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 */
import {
  AttachVolumeCommand,
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { evaluate, type PolicyStatement } from "../../../local/aws/iam";
import { type Emulator, startEmulator } from "../../../local/aws/server";
import { VirtualClock } from "../../../local/clock";
import {
  type CfnTemplate,
  defaultPhysicalIds,
  loadPackagedTemplate,
  policyFromTemplate,
  type StackScope,
} from "../../../local/stack";
import { failure } from "./harness";

const FN = { accessKeyId: "ASIASNAPFLEETFN", secretAccessKey: "x" };
const ADMIN = { accessKeyId: "admin", secretAccessKey: "x" };
const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const MANAGED = { "snapfleet:managed": "true", "snapfleet:run": "run-1" };

let template: CfnTemplate;
beforeAll(async () => {
  template = await loadPackagedTemplate();
}, 180_000);

type Role = "IamRoleLambdaExecution" | "RestoreFunctionRole";

function policy(role: Role, scope: StackScope = {}): PolicyStatement[] {
  const full = { region: "us-east-1", parameters: { DrRegion: "us-west-2" }, ...scope };
  const ids = {
    ...defaultPhysicalIds(template, full),
    AlarmTopic: "arn:aws:sns:us-east-1:000000000000:snapfleet-dev-alarms",
    RunBucket: "snapfleet-runs",
    "RunBucket.Arn": "arn:aws:s3:::snapfleet-runs",
  };
  return policyFromTemplate(template, role, ids, full);
}

/** What the admin set up: a selected and an unselected instance, snapshots and loose volumes. */
interface World {
  emulator: Emulator;
  fn(region?: string): EC2Client;
  admin(region?: string): EC2Client;
  selected: { instanceId: string; volumeId: string };
  unselected: { instanceId: string; volumeId: string };
  managedSnapshot: string;
  unmanagedSnapshot: string;
  restoredVolume: string;
  replacedVolume: string;
  plainVolume: string;
}

async function world(statements: PolicyStatement[], partition?: string): Promise<World> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 3));
  const emulator = await startEmulator({
    clock,
    quotas: false,
    iam: { principals: { [FN.accessKeyId]: statements }, ...(partition ? { partition } : {}) },
  });
  const client =
    (credentials: typeof FN) =>
    (region = "us-east-1") =>
      new EC2Client({ endpoint: emulator.endpoint, region, credentials, maxAttempts: 1 });
  const admin = client(ADMIN);
  const launch = async (tags: Record<string, string>) => {
    const run = await admin().send(
      new RunInstancesCommand({
        ImageId: "ami-12345678",
        InstanceType: "t3.micro",
        MinCount: 1,
        MaxCount: 1,
        Placement: { AvailabilityZone: "us-east-1a" },
        TagSpecifications: [{ ResourceType: "instance", Tags: tagList(tags) }],
      }),
    );
    const instanceId = run.Instances?.[0]?.InstanceId ?? "";
    const { Volumes } = await admin().send(
      new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [instanceId] }] }),
    );
    return { instanceId, volumeId: Volumes?.[0]?.VolumeId ?? "" };
  };
  // Key and value in another case than the stack's `Backup=true`: selection ignores case.
  const selected = await launch({ Name: "web-1", backup: "YES" });
  const unselected = await launch({ Name: "build-1" });
  const snapshot = async (tags: Record<string, string>) =>
    (
      await admin().send(
        new CreateSnapshotCommand({
          VolumeId: selected.volumeId,
          TagSpecifications: [{ ResourceType: "snapshot", Tags: tagList(tags) }],
        }),
      )
    ).SnapshotId ?? "";
  const managedSnapshot = await snapshot(MANAGED);
  const unmanagedSnapshot = await snapshot({ Name: "by hand" });
  const volume = async (tags: Record<string, string>) =>
    (
      await admin().send(
        new CreateVolumeCommand({
          AvailabilityZone: "us-east-1a",
          Size: 8,
          TagSpecifications: [{ ResourceType: "volume", Tags: tagList(tags) }],
        }),
      )
    ).VolumeId ?? "";
  const restoredVolume = await volume({ "snapfleet:restored-from": managedSnapshot });
  const replacedVolume = await volume({ "snapfleet:replaced-instance": selected.instanceId });
  const plainVolume = await volume({ Name: "someone else's" });
  clock.advance(3_600_000);
  return {
    emulator,
    fn: client(FN),
    admin,
    selected,
    unselected,
    managedSnapshot,
    unmanagedSnapshot,
    restoredVolume,
    replacedVolume,
    plainVolume,
  };
}

type Call = (w: World) => Promise<unknown>;

const createSnapshot =
  (tags: Record<string, string> = MANAGED): Call =>
  (w) =>
    w.fn().send(
      new CreateSnapshotCommand({
        VolumeId: w.selected.volumeId,
        TagSpecifications: [{ ResourceType: "snapshot", Tags: tagList(tags) }],
      }),
    );
const copySnapshot =
  (source: (w: World) => string, tags: Record<string, string> = MANAGED, region = "us-west-2"): Call =>
  (w) =>
    w.fn(region).send(
      new CopySnapshotCommand({
        SourceRegion: "us-east-1",
        SourceSnapshotId: source(w),
        TagSpecifications: [{ ResourceType: "snapshot", Tags: tagList(tags) }],
      }),
    );
const createVolume =
  (snapshot: (w: World) => string, tags: Record<string, string>): Call =>
  (w) =>
    w.fn().send(
      new CreateVolumeCommand({
        AvailabilityZone: "us-east-1a",
        SnapshotId: snapshot(w),
        TagSpecifications: [{ ResourceType: "volume", Tags: tagList(tags) }],
      }),
    );
const tagVolume =
  (tags: Record<string, string>): Call =>
  (w) =>
    w.fn().send(new CreateTagsCommand({ Resources: [w.selected.volumeId], Tags: tagList(tags) }));
const stop =
  (instance: (w: World) => string): Call =>
  (w) =>
    w.fn().send(new StopInstancesCommand({ InstanceIds: [instance(w)] }));
const attach =
  (volume: (w: World) => string): Call =>
  async (w) => {
    await w.admin().send(new StopInstancesCommand({ InstanceIds: [w.selected.instanceId] }));
    return w.fn().send(
      new AttachVolumeCommand({
        VolumeId: volume(w),
        InstanceId: w.selected.instanceId,
        Device: "/dev/sdf",
      }),
    );
  };
const detach =
  (which: (w: World) => { instanceId: string; volumeId: string }): Call =>
  async (w) => {
    await w.admin().send(new StopInstancesCommand({ InstanceIds: [which(w).instanceId] }));
    return w.fn().send(new DetachVolumeCommand({ VolumeId: which(w).volumeId }));
  };
const describe_ =
  (region: string): Call =>
  (w) =>
    w.fn(region).send(new DescribeInstancesCommand({}));

interface Case {
  role: Role;
  sid: string;
  /** The call the statement exists for. */
  call: Call;
  /** The action the denial names. */
  action: string;
  /** Calls just outside the statement, each denied naming `action` (the narrowing). */
  outside?: [string, Call][];
}

const CASES: Case[] = [
  {
    role: "IamRoleLambdaExecution",
    sid: "DescribeFleet",
    call: describe_("us-west-2"),
    action: "ec2:DescribeInstances",
    outside: [["in a third region", describe_("eu-west-1")]],
  },
  {
    role: "IamRoleLambdaExecution",
    sid: "SnapshotVolumes",
    call: createSnapshot(),
    action: "ec2:CreateSnapshot",
  },
  {
    role: "IamRoleLambdaExecution",
    sid: "CreateOnlyManagedSnapshots",
    call: createSnapshot(),
    action: "ec2:CreateSnapshot",
    outside: [["without snapfleet:managed=true", createSnapshot({ "snapfleet:run": "run-1" })]],
  },
  {
    role: "IamRoleLambdaExecution",
    sid: "TagOnlyNewSnapshots",
    call: createSnapshot(),
    action: "ec2:CreateTags",
    outside: [
      [
        "on an existing snapshot",
        (w) =>
          w.fn().send(new CreateTagsCommand({ Resources: [w.unmanagedSnapshot], Tags: tagList(MANAGED) })),
      ],
    ],
  },
  {
    role: "IamRoleLambdaExecution",
    sid: "DeleteOnlyManagedSnapshots",
    call: (w) => w.fn().send(new DeleteSnapshotCommand({ SnapshotId: w.managedSnapshot })),
    action: "ec2:DeleteSnapshot",
    outside: [
      [
        "of a snapshot snapfleet does not manage",
        (w) => w.fn().send(new DeleteSnapshotCommand({ SnapshotId: w.unmanagedSnapshot })),
      ],
    ],
  },
  {
    role: "IamRoleLambdaExecution",
    sid: "CopyOnlyManagedSnapshots",
    call: copySnapshot((w) => w.managedSnapshot),
    action: "ec2:CopySnapshot",
    outside: [["of a snapshot snapfleet does not manage", copySnapshot((w) => w.unmanagedSnapshot)]],
  },
  {
    role: "IamRoleLambdaExecution",
    sid: "CopyToDrRegion",
    call: copySnapshot((w) => w.managedSnapshot),
    action: "ec2:CopySnapshot",
    outside: [
      ["without snapfleet:managed=true on the copy", copySnapshot((w) => w.managedSnapshot, { Name: "x" })],
      ["into a third region", copySnapshot((w) => w.managedSnapshot, MANAGED, "eu-west-1")],
    ],
  },
  {
    role: "RestoreFunctionRole",
    sid: "DescribeForRestore",
    call: describe_("us-east-1"),
    action: "ec2:DescribeInstances",
    outside: [["in a third region", describe_("eu-west-1")]],
  },
  {
    role: "RestoreFunctionRole",
    sid: "CreateOnlyTaggedRestoredVolumes",
    call: createVolume((w) => w.managedSnapshot, { "snapfleet:restored-from": "snap-1" }),
    action: "ec2:CreateVolume",
    outside: [["without snapfleet:restored-from", createVolume((w) => w.managedSnapshot, { Name: "x" })]],
  },
  {
    role: "RestoreFunctionRole",
    sid: "CreateVolumesFromManagedSnapshots",
    call: createVolume((w) => w.managedSnapshot, { "snapfleet:restored-from": "snap-1" }),
    action: "ec2:CreateVolume",
    outside: [
      [
        "from a snapshot snapfleet does not manage",
        createVolume((w) => w.unmanagedSnapshot, { "snapfleet:restored-from": "snap-1" }),
      ],
    ],
  },
  {
    role: "RestoreFunctionRole",
    sid: "TagOnlyNewVolumes",
    call: createVolume((w) => w.managedSnapshot, { "snapfleet:restored-from": "snap-1" }),
    action: "ec2:CreateTags",
  },
  {
    role: "RestoreFunctionRole",
    sid: "TagReplacedVolumes",
    call: tagVolume({ "snapfleet:replaced-instance": "i-1", "snapfleet:replaced-device": "/dev/xvda" }),
    action: "ec2:CreateTags",
    outside: [["with another key", tagVolume({ "snapfleet:replaced-at": "now", Owner: "me" })]],
  },
  {
    role: "RestoreFunctionRole",
    sid: "SwapOnSelectedInstances",
    call: stop((w) => w.selected.instanceId),
    action: "ec2:StopInstances",
    outside: [["of an instance without the selection tag", stop((w) => w.unselected.instanceId)]],
  },
  {
    role: "RestoreFunctionRole",
    sid: "AttachRestoredVolumes",
    call: attach((w) => w.restoredVolume),
    action: "ec2:AttachVolume",
    outside: [["of a volume without snapfleet's tags", attach((w) => w.plainVolume)]],
  },
  {
    role: "RestoreFunctionRole",
    sid: "AttachReplacedVolumes",
    call: attach((w) => w.replacedVolume),
    action: "ec2:AttachVolume",
  },
  {
    role: "RestoreFunctionRole",
    sid: "DetachFromSelectedInstances",
    call: detach((w) => ({ instanceId: w.selected.instanceId, volumeId: w.selected.volumeId })),
    action: "ec2:DetachVolume",
    outside: [
      [
        "from an instance without the selection tag",
        detach((w) => ({ instanceId: w.unselected.instanceId, volumeId: w.unselected.volumeId })),
      ],
    ],
  },
];

async function withWorld<T>(
  statements: PolicyStatement[],
  body: (w: World) => Promise<T>,
  partition?: string,
) {
  const w = await world(statements, partition);
  try {
    return await body(w);
  } finally {
    await w.emulator.stop();
  }
}

describe.each(CASES)("$role statement $sid", ({ role, sid, call, action, outside }) => {
  it(`allows the call it exists for, and denies it (${action}) once removed`, async () => {
    const full = policy(role);
    expect(full.map((s) => s.Sid)).toContain(sid);

    await withWorld(full, (w) => call(w));
    const error = await withWorld(
      full.filter((s) => s.Sid !== sid),
      (w) => failure(call(w)),
    );

    expect(error.name).toBe("UnauthorizedOperation");
    expect(error.message).toContain(`not authorized to perform: ${action} `);
  });

  if (outside) {
    it.each(outside)(`denies ${action} %s`, async (_what, outsideCall) => {
      const error = await withWorld(policy(role), (w) => failure(outsideCall(w)));

      expect(error.name).toBe("UnauthorizedOperation");
      expect(error.message).toContain(`not authorized to perform: ${action} `);
    });
  }
});

describe("the policies in another partition (GovCloud: ARNs start arn:aws-us-gov:)", () => {
  const GOV = { partition: "aws-us-gov" };

  it.each(CASES.map((c) => [c.role, c.sid, c] as const))(
    "%s %s holds there when resolved with the partition pseudo parameter",
    async (_role, _sid, { role, call }) => {
      await withWorld(policy(role, GOV), (w) => call(w), "aws-us-gov");
    },
  );

  it("denies every EC2 call to a policy that spells arn:aws: literally, as the stack did before", async () => {
    const literal = policy("IamRoleLambdaExecution"); // resolved with partition aws

    const error = await withWorld(literal, (w) => failure(createSnapshot()(w)), "aws-us-gov");

    expect(error.name).toBe("UnauthorizedOperation");
    expect(error.message).toContain(
      "not authorized to perform: ec2:CreateSnapshot on resource: arn:aws-us-gov:ec2:us-east-1:000000000000:volume/",
    );
  });
});

/**
 * The embedded AWS has no KMS API: the KMS statements are evaluated with its policy evaluator on
 * the request EBS makes on the caller's behalf (a grant for the volume or copy, via EC2).
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
 */
describe.each(["IamRoleLambdaExecution", "RestoreFunctionRole"] as Role[])("%s KMS statements", (role) => {
  const key = (region: string) =>
    `arn:aws:kms:${region}:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const grant = (region: string, forAwsResource: boolean, via = `ec2.${region}.amazonaws.com`) => ({
    action: "kms:CreateGrant",
    resource: key(region),
    context: new Map([
      ["kms:grantisforawsresource", [String(forAwsResource)]],
      ["kms:viaservice", [via]],
    ]),
  });

  it("allows EBS's grant via EC2 in both regions", () => {
    expect(evaluate(policy(role), grant("us-east-1", true))).toBe("allow");
    expect(evaluate(policy(role), grant("us-west-2", true))).toBe("allow");
  });

  it("denies a grant not for an AWS resource, through another service, or on a key in a third region", () => {
    expect(evaluate(policy(role), grant("us-east-1", false))).toBe("implicitDeny");
    expect(evaluate(policy(role), grant("us-east-1", true, "s3.us-east-1.amazonaws.com"))).toBe(
      "implicitDeny",
    );
    expect(evaluate(policy(role), grant("eu-west-1", true))).toBe("implicitDeny");
  });

  it("denies kms:Encrypt", () => {
    const encrypt = { ...grant("us-east-1", true), action: "kms:Encrypt" };

    expect(evaluate(policy(role), encrypt)).toBe("implicitDeny");
  });

  it("denies the grant once GrantEbsUseOfKmsKeys is removed", () => {
    const without = policy(role).filter((s) => s.Sid !== "GrantEbsUseOfKmsKeys");

    expect(evaluate(without, grant("us-east-1", true))).toBe("implicitDeny");
  });
});
