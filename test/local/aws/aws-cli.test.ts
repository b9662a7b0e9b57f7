import { type ChildProcess, execFile, spawn } from "node:child_process";

import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { AWS_CLI, awsCli, cliEnv, cliPresent } from "../../helpers/aws-cli";
import { credentials, type Harness, startHarness } from "./harness";

if (!cliPresent)
  console.warn(`Skipping AWS CLI tests: ${AWS_CLI} is not installed (apt-get install awscli).`);
const itWithCli = cliPresent ? it : it.skip;

let h: Harness;

/** Runs the CLI asynchronously: the emulator serves it from this very process. */
async function aws(...args: string[]): Promise<string> {
  return awsCli(h.emulator.endpoint, args);
}

describe("the AWS CLI with --endpoint-url", () => {
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.emulator.stop());

  itWithCli(
    "reads the emulator's snapshots with `aws ec2 describe-snapshots --region us-east-1`",
    async () => {
      const ec2 = h.ec2();
      const { VolumeId } = await ec2.send(
        new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 4 }),
      );
      const { SnapshotId } = await ec2.send(
        new CreateSnapshotCommand({ VolumeId, Description: "from the SDK" }),
      );

      const out = JSON.parse(await aws("ec2", "describe-snapshots", "--region", "us-east-1")) as {
        Snapshots: { SnapshotId: string; State: string; VolumeSize: number; Description: string }[];
      };

      expect(out.Snapshots).toEqual([
        expect.objectContaining({ SnapshotId, State: "pending", VolumeSize: 4, Description: "from the SDK" }),
      ]);
    },
  );

  itWithCli("sends `aws cloudwatch put-metric-data` (awsQuery in the CLI) into the emulator", async () => {
    await aws(
      "cloudwatch",
      "put-metric-data",
      "--region",
      "us-west-2",
      "--namespace",
      "Snapfleet",
      "--metric-name",
      "Runs",
      "--dimensions",
      "Fleet=demo",
      "--value",
      "3",
    );

    expect(h.emulator.metrics()).toEqual([
      expect.objectContaining({
        region: "us-west-2",
        namespace: "Snapfleet",
        metricName: "Runs",
        dimensions: { Fleet: "demo" },
        value: 3,
      }),
    ]);
  });
});

/**
 * A fixed AWS CLI session (Debian's awscli) against `npm run local:aws`, run as its own process in
 * real time, with every answer pinned. Error lines are the CLI's own rendering of the code and
 * message the emulator answered.
 * EC2: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 * CloudWatch: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
 * SNS: https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html
 */
const describeWithCli = cliPresent ? describe : describe.skip;

let server: ChildProcess;
let endpoint: string;

interface Answer {
  code: number;
  out: unknown;
  err: string;
}

function session(...args: string[]): Promise<Answer> {
  const region = args.includes("--region") ? [] : ["--region", "us-east-1"];
  return new Promise((resolve) => {
    execFile(
      AWS_CLI,
      ["--endpoint-url", endpoint, "--output", "json", ...region, ...args],
      { env: cliEnv() },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
        resolve({ code, out: stdout.trim() === "" ? undefined : JSON.parse(stdout), err: stderr.trim() });
      },
    );
  });
}

/** The CLI's line for an error the service answered (exit code 254). */
const refused = (code: string, operation: string, message: string) => ({
  code: 254,
  out: undefined,
  err: `An error occurred (${code}) when calling the ${operation} operation: ${message}`,
});

beforeAll(async () => {
  if (!cliPresent) return;
  // Its own process group, so that the emulator under tsx stops with it.
  server = spawn("npx", ["tsx", "local/aws/main.ts", "--port", "0", "--snapshot-seconds", "1"], {
    stdio: ["ignore", "pipe", "ignore"],
    detached: true,
  });
  endpoint = await new Promise<string>((resolve, reject) => {
    let seen = "";
    server.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    server.once("exit", (code) => reject(new Error(`local:aws exited with ${code}`)));
  });
}, 60_000);

afterAll(() => {
  if (server?.pid !== undefined) process.kill(-server.pid, "SIGTERM");
  server?.stdout?.destroy();
});

describeWithCli("a fixed AWS CLI session against `npm run local:aws`", () => {
  const ids = { instance: "", volume: "", snapshot: "" };
  const ec2 = () => new EC2Client({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });

  async function state() {
    const [i, v, s, t] = await Promise.all([
      ec2().send(new DescribeInstancesCommand({})),
      ec2().send(new DescribeVolumesCommand({})),
      ec2().send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] })),
      ec2().send(new DescribeTagsCommand({})),
    ]);
    return {
      instances: i.Reservations?.flatMap((r) => r.Instances ?? []).map((x) => [x.InstanceId, x.State?.Name]),
      volumes: v.Volumes?.map((x) => [x.VolumeId, x.State, x.Attachments?.length]),
      snapshots: s.Snapshots?.map((x) => x.SnapshotId),
      tags: t.Tags?.map((x) => [x.ResourceId, x.Key, x.Value]),
    };
  }

  it("launches an instance (pending first), makes a gp3 volume keeping IOPS and throughput, snapshots it", async () => {
    const run = await session(
      "ec2",
      "run-instances",
      "--image-id",
      "ami-12345678",
      "--count",
      "1",
      "--key-name",
      "ops",
    );
    const volume = await session(
      "ec2",
      "create-volume",
      "--availability-zone",
      "us-east-1a",
      "--size",
      "10",
      "--volume-type",
      "gp3",
      "--iops",
      "4000",
      "--throughput",
      "250",
    );
    const instance = (run.out as { Instances: { InstanceId: string; State: unknown; KeyName: string }[] })
      .Instances[0];
    const v = volume.out as {
      VolumeId: string;
      Iops: number;
      Throughput: number;
      State: string;
      Size: number;
    };
    ids.instance = instance?.InstanceId ?? "";
    ids.volume = v.VolumeId;
    const snapshot = await session("ec2", "create-snapshot", "--volume-id", ids.volume);
    ids.snapshot = (snapshot.out as { SnapshotId: string } | undefined)?.SnapshotId ?? "";

    expect(instance).toMatchObject({ State: { Code: 0, Name: "pending" }, KeyName: "ops" });
    expect(v).toMatchObject({ Size: 10, Iops: 4000, Throughput: 250, State: "creating", VolumeType: "gp3" });
    expect(snapshot.out).toMatchObject({ State: "pending", VolumeId: ids.volume, VolumeSize: 10 });
  }, 60_000);

  it("serves the CLI's default MaxResults=1000 and AWS's malformed-id, token and region refusals", async () => {
    const answers = await Promise.all([
      session("ec2", "describe-volumes"),
      session("ec2", "describe-snapshots", "--owner-ids", "self"),
      session("ec2", "describe-volumes", "--next-token", "garbage"),
      session("ec2", "describe-snapshots", "--snapshot-ids", "snap-zzz"),
      session("ec2", "describe-volumes", "--volume-ids", "garbage"),
      session("ec2", "describe-instances", "--instance-ids", "i-zzz"),
      session("ec2", "describe-volumes", "--region", "mars-1"),
      session("dynamodb", "list-tables"),
    ]);

    expect(answers.map((a) => a.code)).toEqual([0, 0, 254, 254, 254, 254, 254, 254]);
    expect((answers[0]?.out as { Volumes: unknown[] } | undefined)?.Volumes).toHaveLength(2);
    expect((answers[1]?.out as { Snapshots: unknown[] } | undefined)?.Snapshots).toHaveLength(1);
    expect(answers.slice(2)).toEqual([
      refused(
        "InvalidPaginationToken",
        "DescribeVolumes",
        "The pagination token 'garbage' is invalid or expired.",
      ),
      refused(
        "InvalidSnapshotID.Malformed",
        "DescribeSnapshots",
        'Invalid id: "snap-zzz" (expecting "snap-...")',
      ),
      refused("InvalidVolumeID.Malformed", "DescribeVolumes", 'Invalid id: "garbage" (expecting "vol-...")'),
      refused("InvalidInstanceID.Malformed", "DescribeInstances", 'Invalid id: "i-zzz" (expecting "i-...")'),
      refused(
        "AuthFailure",
        "DescribeVolumes",
        "Credential should be scoped to a valid region, not 'mars-1'.",
      ),
      refused(
        "UnknownOperationException",
        "ListTables",
        "The embedded AWS does not serve the service 'dynamodb': it serves ec2, monitoring (CloudWatch), sns, ssm, states (Step Functions), events (EventBridge) and s3.",
      ),
    ]);
  }, 60_000);

  it("enforces AWS's tag limits and answers the new EC2 calls", async () => {
    const fiftyOne = Array.from({ length: 51 }, (_, n) => `Key=k${n},Value=v`);
    const answers = await Promise.all([
      session("ec2", "create-tags", "--resources", ids.snapshot, "--tags", ...fiftyOne),
      session("ec2", "create-tags", "--resources", ids.snapshot, "--tags", `Key=${"k".repeat(129)},Value=v`),
      session("ec2", "create-tags", "--resources", ids.snapshot, "--tags", `Key=k,Value=${"v".repeat(257)}`),
      session("ec2", "create-tags", "--resources", ids.snapshot, "--tags", "Key=aws:x,Value=v"),
      session("ec2", "describe-instance-status"),
      session(
        "ec2",
        "describe-instances",
        "--filters",
        "Name=key-name,Values=ops",
        "Name=architecture,Values=x86_64",
      ),
      session("ec2", "reboot-instances", "--instance-ids", ids.instance),
    ]);

    expect(answers.slice(0, 4)).toEqual([
      refused(
        "TagLimitExceeded",
        "CreateTags",
        `The maximum number of tags (50) for resource '${ids.snapshot}' has been reached.`,
      ),
      refused(
        "InvalidParameterValue",
        "CreateTags",
        `Tag key '${"k".repeat(129)}' is invalid: a tag key must be 1 to 128 characters long.`,
      ),
      refused(
        "InvalidParameterValue",
        "CreateTags",
        "Tag value for key 'k' is invalid: a tag value can be at most 256 characters long.",
      ),
      refused(
        "InvalidParameterValue",
        "CreateTags",
        "Tag keys starting with 'aws:' are reserved for internal use",
      ),
    ]);
    expect(answers[4]?.out).toEqual({
      InstanceStatuses: [
        {
          AvailabilityZone: "us-east-1a",
          InstanceId: ids.instance,
          InstanceState: { Code: 16, Name: "running" },
          InstanceStatus: { Details: [{ Name: "reachability", Status: "passed" }], Status: "ok" },
          SystemStatus: { Details: [{ Name: "reachability", Status: "passed" }], Status: "ok" },
          Events: [],
        },
      ],
    });
    expect(
      (
        answers[5]?.out as { Reservations: { Instances: { InstanceId: string }[] }[] } | undefined
      )?.Reservations.flatMap((r) => r.Instances.map((i) => i.InstanceId)),
    ).toEqual([ids.instance]);
    expect(answers[6]).toEqual({ code: 0, out: undefined, err: "" });
  }, 60_000);

  it("tries --dry-run on every mutating EC2 action: DryRunOperation each time, and nothing changes", async () => {
    const before = await state();
    const calls: [string, string[]][] = [
      ["RunInstances", ["run-instances", "--image-id", "ami-12345678", "--count", "1"]],
      ["StopInstances", ["stop-instances", "--instance-ids", ids.instance]],
      ["StartInstances", ["start-instances", "--instance-ids", ids.instance]],
      ["RebootInstances", ["reboot-instances", "--instance-ids", ids.instance]],
      ["TerminateInstances", ["terminate-instances", "--instance-ids", ids.instance]],
      ["CreateVolume", ["create-volume", "--availability-zone", "us-east-1a", "--size", "1"]],
      [
        "AttachVolume",
        ["attach-volume", "--volume-id", ids.volume, "--instance-id", ids.instance, "--device", "/dev/sdf"],
      ],
      ["DetachVolume", ["detach-volume", "--volume-id", ids.volume]],
      ["DeleteVolume", ["delete-volume", "--volume-id", ids.volume]],
      ["CreateTags", ["create-tags", "--resources", ids.volume, "--tags", "Key=k,Value=v"]],
      ["DeleteTags", ["delete-tags", "--resources", ids.volume, "--tags", "Key=k"]],
      ["CreateSnapshot", ["create-snapshot", "--volume-id", ids.volume]],
      ["DeleteSnapshot", ["delete-snapshot", "--snapshot-id", ids.snapshot]],
      [
        "CopySnapshot",
        ["copy-snapshot", "--source-region", "us-east-1", "--source-snapshot-id", ids.snapshot],
      ],
      ["RegisterImage", ["register-image", "--name", "golden"]],
      ["DeregisterImage", ["deregister-image", "--image-id", "ami-0123456789abcdef0"]],
    ];

    const answers = await Promise.all(calls.map(([, args]) => session("ec2", ...args, "--dry-run")));

    expect(answers).toEqual(
      calls.map(([operation]) =>
        refused("DryRunOperation", operation, "Request would have succeeded, but DryRun flag is set."),
      ),
    );
    expect(await state()).toEqual(before);
  }, 120_000);

  it("answers CloudWatch's percentiles, SetAlarmState, alarm history and its refusals", async () => {
    const now = Math.floor(Date.now() / 60_000) * 60;
    const at = new Date((now - 120) * 1000).toISOString();
    const put = await session(
      "cloudwatch",
      "put-metric-data",
      "--namespace",
      "Snapfleet",
      "--metric-data",
      JSON.stringify([{ MetricName: "ElapsedTime", Timestamp: at, Values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }]),
    );
    await session(
      "cloudwatch",
      "put-metric-alarm",
      "--alarm-name",
      "slow",
      "--namespace",
      "Snapfleet",
      "--metric-name",
      "ElapsedTime",
      "--statistic",
      "Maximum",
      "--period",
      "60",
      "--evaluation-periods",
      "1",
      "--threshold",
      "100",
      "--comparison-operator",
      "GreaterThanThreshold",
    );
    const range = ["--start-time", String(now - 600), "--end-time", String(now)];
    const stats = ["--namespace", "Snapfleet", "--metric-name", "ElapsedTime"];

    const answers = await Promise.all([
      session(
        "cloudwatch",
        "get-metric-statistics",
        ...stats,
        ...range,
        "--period",
        "600",
        "--extended-statistics",
        "p90",
      ),
      session(
        "cloudwatch",
        "get-metric-statistics",
        ...stats,
        ...range,
        "--period",
        "45",
        "--statistics",
        "Sum",
      ),
      session(
        "cloudwatch",
        "get-metric-statistics",
        ...stats,
        "--start-time",
        String(now),
        "--end-time",
        String(now - 600),
        "--period",
        "60",
        "--statistics",
        "Sum",
      ),
      session(
        "cloudwatch",
        "set-alarm-state",
        "--alarm-name",
        "slow",
        "--state-value",
        "ALARM",
        "--state-reason",
        "drill",
      ),
      session("cloudwatch", "describe-alarms-for-metric", ...stats),
    ]);
    const history = await session(
      "cloudwatch",
      "describe-alarm-history",
      "--alarm-name",
      "slow",
      "--history-item-type",
      "StateUpdate",
    );

    expect(put).toEqual({ code: 0, out: undefined, err: "" });
    expect(
      (answers[0]?.out as { Datapoints: { ExtendedStatistics: unknown }[] } | undefined)?.Datapoints,
    ).toEqual([expect.objectContaining({ ExtendedStatistics: { p90: 9.0 } })]);
    expect(answers.slice(1, 3)).toEqual([
      refused(
        "InvalidParameterValue",
        "GetMetricStatistics",
        "The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60.",
      ),
      refused(
        "InvalidParameterValue",
        "GetMetricStatistics",
        "The parameter StartTime must be less than the parameter EndTime.",
      ),
    ]);
    expect(answers[3]).toEqual({ code: 0, out: undefined, err: "" });
    expect(
      (answers[4]?.out as { MetricAlarms: { AlarmName: string }[] } | undefined)?.MetricAlarms.map(
        (a) => a.AlarmName,
      ),
    ).toEqual(["slow"]);
    expect(
      (history.out as { AlarmHistoryItems: { HistorySummary: string }[] } | undefined)?.AlarmHistoryItems.map(
        (i) => i.HistorySummary,
      ),
    ).toContain("Alarm updated from INSUFFICIENT_DATA to ALARM");
  }, 120_000);

  it("answers the SNS topic calls, with e-mail subscriptions pending confirmation", async () => {
    const topic = (await session("sns", "create-topic", "--name", "alerts")).out as { TopicArn: string };
    const arn = topic.TopicArn;

    const answers = await Promise.all([
      session(
        "sns",
        "subscribe",
        "--topic-arn",
        arn,
        "--protocol",
        "email",
        "--notification-endpoint",
        "ops@example.com",
      ),
      session("sns", "tag-resource", "--resource-arn", arn, "--tags", "Key=team,Value=ops"),
      session(
        "sns",
        "set-topic-attributes",
        "--topic-arn",
        arn,
        "--attribute-name",
        "DisplayName",
        "--attribute-value",
        "Ops",
      ),
    ]);
    const after = await Promise.all([
      session("sns", "list-subscriptions-by-topic", "--topic-arn", arn),
      session("sns", "list-tags-for-resource", "--resource-arn", arn),
      session("sns", "get-topic-attributes", "--topic-arn", arn),
    ]);
    const deleted = await session("sns", "delete-topic", "--topic-arn", arn);
    const listed = await session("sns", "list-topics");

    expect(arn).toBe("arn:aws:sns:us-east-1:000000000000:alerts");
    expect(answers.map((a) => [a.code, a.out])).toEqual([
      [0, { SubscriptionArn: "pending confirmation" }],
      [0, undefined],
      [0, undefined],
    ]);
    expect(after[0]?.out).toEqual({
      Subscriptions: [
        {
          SubscriptionArn: "pending confirmation",
          Owner: "000000000000",
          Protocol: "email",
          Endpoint: "ops@example.com",
          TopicArn: arn,
        },
      ],
    });
    expect(after[1]?.out).toEqual({ Tags: [{ Key: "team", Value: "ops" }] });
    expect(after[2]?.out).toMatchObject({ Attributes: { DisplayName: "Ops", SubscriptionsPending: "1" } });
    expect([deleted.code, listed.out]).toEqual([0, { Topics: [] }]);
  }, 120_000);
});
