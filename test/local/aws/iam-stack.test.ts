/**
 * The functions' IAM policy, taken from the packaged CloudFormation template, enforced by the
 * embedded AWS: what a backup cycle calls is allowed; what the policy means to forbid is refused
 * with the service's own authorization error, naming the action.
 * Evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * Resources and condition keys: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 */
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DEFAULT_NAMESPACE, FLEET_METRICS } from "../../../lib/metric-names";
import type { PolicyStatement } from "../../../local/aws/iam";
import { type Emulator, startEmulator } from "../../../local/aws/server";
import { VirtualClock } from "../../../local/clock";
import {
  type CfnTemplate,
  defaultPhysicalIds,
  loadPackagedTemplate,
  policyFromTemplate,
} from "../../../local/stack";
import { failure } from "./harness";

const ROLE = "IamRoleLambdaExecution";
const FUNCTION_KEY = { accessKeyId: "ASIASNAPFLEETLAMBDA", secretAccessKey: "x" };
const ADMIN_KEY = { accessKeyId: "admin", secretAccessKey: "x" };
const TAGGING = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html";

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const managedTags = {
  "snapfleet:managed": "true",
  "snapfleet:run": "run-1",
  "snapfleet:device": "/dev/xvda",
};

let template: CfnTemplate;
beforeAll(async () => {
  template = await loadPackagedTemplate();
}, 180_000);

interface World {
  emulator: Emulator;
  clock: VirtualClock;
  topicArn: string;
  otherTopicArn: string;
  volumeId: string;
  managedSnapshotId: string;
  unmanagedSnapshotId: string;
  as(key: typeof FUNCTION_KEY): {
    ec2(region?: string): EC2Client;
    cloudwatch: CloudWatchClient;
    sns: SNSClient;
    s3: S3Client;
  };
}

/** An emulator enforcing `statements` for the function key, with a fleet set up by the admin key. */
async function world(statements: (topicArn: string) => PolicyStatement[]): Promise<World> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 3));
  // The policy needs the topic's ARN, the topic needs the emulator: the ARN is known in advance.
  const topicArn = "arn:aws:sns:us-east-1:000000000000:snapfleet-dev-alarms";
  const emulator = await startEmulator({
    clock,
    quotas: false,
    iam: { principals: { [FUNCTION_KEY.accessKeyId]: statements(topicArn) } },
  });
  const as = (credentials: typeof FUNCTION_KEY) => {
    const config = (region: string) => ({ endpoint: emulator.endpoint, region, credentials, maxAttempts: 1 });
    return {
      ec2: (region = "us-east-1") => new EC2Client(config(region)),
      cloudwatch: new CloudWatchClient(config("us-east-1")),
      sns: new SNSClient(config("us-east-1")),
      s3: new S3Client({ ...config("us-east-1"), forcePathStyle: true }),
    };
  };
  const admin = as(ADMIN_KEY);
  await admin.sns.send(new CreateTopicCommand({ Name: "snapfleet-dev-alarms" }));
  const other = await admin.sns.send(new CreateTopicCommand({ Name: "someone-elses-topic" }));
  const run = await admin.ec2().send(
    new RunInstancesCommand({
      ImageId: "ami-12345678",
      InstanceType: "t3.micro",
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: "instance", Tags: tagList({ Backup: "true", Name: "web-1" }) }],
    }),
  );
  const instanceId = run.Instances?.[0]?.InstanceId ?? "";
  const described = await admin.ec2().send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const volumeId = described.Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId ?? "";
  const snapshotOf = async (tags: Record<string, string>) =>
    (
      await admin.ec2().send(
        new CreateSnapshotCommand({
          VolumeId: volumeId,
          TagSpecifications: [{ ResourceType: "snapshot", Tags: tagList(tags) }],
        }),
      )
    ).SnapshotId ?? "";
  const managedSnapshotId = await snapshotOf(managedTags);
  const unmanagedSnapshotId = await snapshotOf({ Name: "taken by hand" });
  clock.advance(3_600_000);
  return {
    emulator,
    clock,
    topicArn,
    otherTopicArn: other.TopicArn ?? "",
    volumeId,
    managedSnapshotId,
    unmanagedSnapshotId,
    as,
  };
}

function packagedPolicy(topicArn: string): PolicyStatement[] {
  return policyFromTemplate(template, ROLE, { ...defaultPhysicalIds(template), AlarmTopic: topicArn });
}

describe(`the packaged ${ROLE} policy, enforced by the embedded AWS`, () => {
  let w: World;
  let fn: ReturnType<World["as"]>;
  beforeEach(async () => {
    w = await world(packagedPolicy);
    fn = w.as(FUNCTION_KEY);
  });
  afterEach(() => w.emulator.stop());

  it("allows the calls of a backup cycle", async () => {
    const ec2 = fn.ec2();
    await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "tag:Backup", Values: ["true"] }] }));
    await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: ["i-1"] }] }),
    );
    await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));
    const created = await ec2.send(
      new CreateSnapshotCommand({
        VolumeId: w.volumeId,
        TagSpecifications: [
          { ResourceType: "snapshot", Tags: tagList({ ...managedTags, "snapfleet:run": "run-2" }) },
        ],
      }),
    );
    const copied = await fn.ec2("us-west-2").send(
      new CopySnapshotCommand({
        SourceRegion: "us-east-1",
        SourceSnapshotId: w.managedSnapshotId,
        TagSpecifications: [
          {
            ResourceType: "snapshot",
            Tags: tagList({ ...managedTags, "snapfleet:source-region": "us-east-1" }),
          },
        ],
      }),
    );
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: w.managedSnapshotId }));
    await fn.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: DEFAULT_NAMESPACE,
        MetricData: [{ MetricName: FLEET_METRICS.VolumesBackedUp.name, Value: 1, Unit: "Count" }],
      }),
    );
    await fn.sns.send(new PublishCommand({ TopicArn: w.topicArn, Subject: "digest", Message: "1 ok" }));

    expect(created.SnapshotId).toMatch(/^snap-/);
    expect(copied.SnapshotId).toMatch(/^snap-/);
    expect(w.emulator.published().map((m) => m.topicArn)).toEqual([w.topicArn]);
  });

  it("refuses DeleteSnapshot of a snapshot without snapfleet:managed=true, as EC2 does", async () => {
    const error = await failure(
      fn.ec2().send(new DeleteSnapshotCommand({ SnapshotId: w.unmanagedSnapshotId })),
    );

    expect(error).toMatchObject({ name: "UnauthorizedOperation", status: 403 });
    expect(error.message).toContain(
      `You are not authorized to perform this operation. User: arn:aws:iam::000000000000:user/${FUNCTION_KEY.accessKeyId} ` +
        `is not authorized to perform: ec2:DeleteSnapshot on resource: arn:aws:ec2:us-east-1::snapshot/${w.unmanagedSnapshotId} ` +
        "because no identity-based policy allows the ec2:DeleteSnapshot action. Encoded authorization failure message: ",
    );
    const still = await w
      .as(ADMIN_KEY)
      .ec2()
      .send(new DescribeSnapshotsCommand({ SnapshotIds: [w.unmanagedSnapshotId] }));
    expect(still.Snapshots).toHaveLength(1);
  });

  it(`refuses CreateTags on an existing snapshot: tags only at creation (${TAGGING})`, async () => {
    const error = await failure(
      fn.ec2().send(
        new CreateTagsCommand({
          Resources: [w.unmanagedSnapshotId],
          Tags: tagList({ "snapfleet:managed": "true" }),
        }),
      ),
    );

    expect(error.name).toBe("UnauthorizedOperation");
    expect(error.message).toContain("not authorized to perform: ec2:CreateTags");
  });

  it("refuses PutMetricData to another namespace", async () => {
    const error = await failure(
      fn.cloudwatch.send(
        new PutMetricDataCommand({ Namespace: "Elsewhere", MetricData: [{ MetricName: "X", Value: 1 }] }),
      ),
    );

    expect(error).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(error.message).toBe(
      `User: arn:aws:iam::000000000000:user/${FUNCTION_KEY.accessKeyId} is not authorized to perform: cloudwatch:PutMetricData ` +
        "because no identity-based policy allows the cloudwatch:PutMetricData action",
    );
  });

  it("refuses Publish to another topic", async () => {
    const error = await failure(
      fn.sns.send(new PublishCommand({ TopicArn: w.otherTopicArn, Message: "hi" })),
    );

    expect(error.status).toBe(403);
    expect(error.name).toBe("AuthorizationErrorException");
    expect(error.message).toContain(`not authorized to perform: SNS:Publish on resource: ${w.otherTopicArn}`);
  });

  it("refuses CopySnapshot into a region that is neither the stack's nor the DR region", async () => {
    const error = await failure(
      fn.ec2("eu-west-1").send(
        new CopySnapshotCommand({
          SourceRegion: "us-east-1",
          SourceSnapshotId: w.managedSnapshotId,
          TagSpecifications: [{ ResourceType: "snapshot", Tags: tagList(managedTags) }],
        }),
      ),
    );

    expect(error.name).toBe("UnauthorizedOperation");
    expect(error.message).toContain(
      "not authorized to perform: ec2:CopySnapshot on resource: arn:aws:ec2:eu-west-1::snapshot/*",
    );
  });

  it(`allows the run's S3 objects and refuses others; a missing object is NoSuchKey because the policy grants s3:ListBucket (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html)`, async () => {
    const bucket = defaultPhysicalIds(template).RunBucket;
    if (bucket === undefined) return; // the stack keeps no run bucket (any more)
    await w.as(ADMIN_KEY).s3.send(new CreateBucketCommand({ Bucket: bucket }));

    await fn.s3.send(new PutObjectCommand({ Bucket: bucket, Key: "runs/run-1/plan.json", Body: "{}" }));
    const got = await fn.s3.send(new GetObjectCommand({ Bucket: bucket, Key: "runs/run-1/plan.json" }));
    const missing = await failure(
      fn.s3.send(new GetObjectCommand({ Bucket: bucket, Key: "runs/run-2/plan.json" })),
    );
    const elsewhere = await failure(
      fn.s3.send(new PutObjectCommand({ Bucket: bucket, Key: "other/x", Body: "x" })),
    );

    expect(await got.Body?.transformToString()).toBe("{}");
    expect(missing).toMatchObject({ name: "NoSuchKey", status: 404 });
    expect(elsewhere).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(elsewhere.message).toContain(`s3:PutObject on resource: "arn:aws:s3:::${bucket}/other/x"`);
  });

  it("leaves an admin key unrestricted", async () => {
    await w
      .as(ADMIN_KEY)
      .ec2()
      .send(new DeleteSnapshotCommand({ SnapshotId: w.unmanagedSnapshotId }));
  });
});

describe("a policy without one of its statements", () => {
  it("refuses the call that statement allowed, naming the action", async () => {
    const w = await world((topicArn) =>
      packagedPolicy(topicArn).filter((s) => ![s.Action].flat().includes("ec2:DeleteSnapshot")),
    );
    try {
      const error = await failure(
        w
          .as(FUNCTION_KEY)
          .ec2()
          .send(new DeleteSnapshotCommand({ SnapshotId: w.managedSnapshotId })),
      );

      expect(error.name).toBe("UnauthorizedOperation");
      expect(error.message).toContain("not authorized to perform: ec2:DeleteSnapshot");
    } finally {
      await w.emulator.stop();
    }
  });

  it(`evaluates ec2:CreateTags with ec2:CreateAction only when the creating call carries tags (${TAGGING})`, async () => {
    const w = await world(() => [
      { Effect: "Allow", Action: "ec2:CreateSnapshot", Resource: "*" },
      {
        Effect: "Allow",
        Action: "ec2:CreateTags",
        Resource: "arn:aws:ec2:*::snapshot/*",
        Condition: { StringEquals: { "ec2:CreateAction": "CopySnapshot" } },
      },
    ]);
    try {
      const ec2 = w.as(FUNCTION_KEY).ec2();
      const untagged = await ec2.send(new CreateSnapshotCommand({ VolumeId: w.volumeId }));
      const error = await failure(
        ec2.send(
          new CreateSnapshotCommand({
            VolumeId: w.volumeId,
            TagSpecifications: [{ ResourceType: "snapshot", Tags: tagList(managedTags) }],
          }),
        ),
      );

      expect(untagged.SnapshotId).toMatch(/^snap-/);
      expect(error.name).toBe("UnauthorizedOperation");
      expect(error.message).toContain(
        "not authorized to perform: ec2:CreateTags on resource: arn:aws:ec2:us-east-1::snapshot/*",
      );
    } finally {
      await w.emulator.stop();
    }
  });

  it("can be installed and removed at run time with Emulator.setIam", async () => {
    const w = await world(() => []);
    try {
      w.emulator.setIam(undefined);
      const ec2 = w.as(FUNCTION_KEY).ec2();
      const before = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));
      w.emulator.setIam({ principals: { [FUNCTION_KEY.accessKeyId]: packagedPolicy(w.topicArn) } });
      const refused = await failure(
        ec2.send(new DeleteSnapshotCommand({ SnapshotId: w.unmanagedSnapshotId })),
      );

      expect(before.Snapshots).toHaveLength(2);
      expect(refused.name).toBe("UnauthorizedOperation");
    } finally {
      await w.emulator.stop();
    }
  });

  it("is refused at emulator start when a statement is malformed", async () => {
    await expect(
      startEmulator({ iam: { principals: { k: [{ Effect: "Allow", Resource: "*" } as PolicyStatement] } } }),
    ).rejects.toThrow(/exactly one of Action and NotAction/);
  });
});
