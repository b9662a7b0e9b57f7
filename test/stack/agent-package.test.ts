/**
 * The on-premises part of the packaged stack: the agent bucket, the managed policy an operator
 * attaches to a server's credential, and the agents' alarms. The policy is also enforced on the
 * embedded AWS (its IAM evaluates the statements as the template resolves them) while the real
 * restic and the agent run under it: its own prefix works, a neighbour's does not.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AGENT_METRICS, DEFAULT_NAMESPACE } from "../../lib/metric-names";
import type { RealClock } from "../../local/aws/clock";
import type { PolicyStatement } from "../../local/aws/iam";
import { type Emulator, startEmulator } from "../../local/aws/server";
import { type CfnTemplate, loadPackagedTemplate, resolveIntrinsics, stackAlarmIds } from "../../local/stack";
import { agentWorld, BUCKET, CREDENTIALS, cli, createBucket, resticAvailable } from "../agent/helpers";

type Json = Record<string, unknown>;
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

let template: CfnTemplate;
beforeAll(async () => {
  template = await loadPackagedTemplate();
}, 180_000);

const props = (id: string): Json => (template.Resources[id]?.Properties ?? {}) as Json;
const statements = (): (PolicyStatement & { Sid: string })[] =>
  asArray((props("AgentPolicy").PolicyDocument as { Statement: unknown }).Statement) as (PolicyStatement & {
    Sid: string;
  })[];
/** The IAM policy variable, spelled as IAM reads it (not a template literal). */
const SERVER_VARIABLE = ["$", "{aws:PrincipalTag/x509Subject/CN}"].join("");
const physicalIds = { AgentBucket: BUCKET, "AgentBucket.Arn": `arn:aws:s3:::${BUCKET}` };

/** The statements as IAM evaluates them for a principal whose server tag is `server`. */
function policyFor(server: string): PolicyStatement[] {
  const resolved = resolveIntrinsics(statements(), template, physicalIds) as PolicyStatement[];
  // IAM substitutes policy variables per request; the emulator does not, so the test does.
  return JSON.parse(JSON.stringify(resolved).replaceAll(SERVER_VARIABLE, server));
}

describe("the agent bucket, policy and alarms in the packaged template", () => {
  it("has a private, encrypted agent bucket that refuses plain HTTP", () => {
    const bucket = props("AgentBucket");
    const policy = props("AgentBucketPolicy").PolicyDocument as { Statement: Json[] };

    expect(template.Resources.AgentBucket?.Type).toBe("AWS::S3::Bucket");
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(JSON.stringify(bucket.BucketEncryption)).toContain("AES256");
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    ]);
  });

  it("gives agents a managed policy: their own prefix of the agent bucket, PutMetricData in the stack's namespace only, their own alarm", () => {
    const resolved = resolveIntrinsics(statements(), template, physicalIds) as (PolicyStatement & {
      Sid: string;
    })[];

    expect(template.Resources.AgentPolicy?.Type).toBe("AWS::IAM::ManagedPolicy");
    expect(resolved).toEqual([
      {
        Sid: "ListOwnRepository",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: `arn:aws:s3:::${BUCKET}`,
        Condition: { StringLike: { "s3:prefix": [`agents/${SERVER_VARIABLE}/*`] } },
      },
      {
        Sid: "ReadWriteOwnRepository",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
        Resource: `arn:aws:s3:::${BUCKET}/agents/${SERVER_VARIABLE}/*`,
      },
      {
        Sid: "MetricsInSnapfleetNamespace",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": DEFAULT_NAMESPACE } },
      },
      {
        Sid: "OwnMissedBackupAlarm",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricAlarm",
        Resource: `arn:aws:cloudwatch:us-east-1:000000000000:alarm:snapfleet-agent-${SERVER_VARIABLE}-missed-backup`,
      },
    ]);
  });

  it("alarms on agents only when AgentMissedBackupHours is set: a missed backup, and a failed path", () => {
    const missed = props("AgentMissedBackupAlarm");
    const failed = props("AgentPathsFailedAlarm");

    expect(stackAlarmIds(template)).not.toContain("AgentMissedBackupAlarm");
    expect(template.Resources.AgentMissedBackupAlarm?.Condition).toBe("HasAgents");
    expect(template.Resources.AgentPathsFailedAlarm?.Condition).toBe("HasAgents");
    expect(missed).toMatchObject({
      MetricName: AGENT_METRICS.AgentPathsBackedUp.name,
      Statistic: "SampleCount",
      Period: 3600,
      EvaluationPeriods: { Ref: "AgentMissedBackupHours" },
      ComparisonOperator: "LessThanThreshold",
      Threshold: 1,
      TreatMissingData: "breaching",
    });
    expect(failed).toMatchObject({
      MetricName: AGENT_METRICS.AgentPathsFailed.name,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
    });
  });
});

const describeWithRestic = resticAvailable() ? describe : describe.skip;

describeWithRestic("the agent policy enforced on the embedded AWS, with restic", () => {
  let emulator: Emulator<RealClock>;
  beforeAll(async () => {
    emulator = await startEmulator({});
    await createBucket(emulator);
  });
  afterAll(() => emulator.stop());

  it("lets server web-7 create, back up and list its own repository and create its alarm, and refuses web-8's prefix and alarm and another namespace", async () => {
    const agentKey = "AKIDAGENTWEB7";
    emulator.setIam({ principals: { [agentKey]: policyFor("web-7") } });
    const world = agentWorld(emulator, { server: "web-7", paths: [] });
    const source = path.join(world.dir, "data");
    mkdirSync(source);
    writeFileSync(path.join(source, "a"), "a");
    const env = { ...world.env, AWS_ACCESS_KEY_ID: agentKey };
    const write = (file: string, overrides: Json) =>
      writeFileSync(file, JSON.stringify({ ...world.config, paths: [source], ...overrides }));
    const topicArn = "arn:aws:sns:us-east-1:000000000000:snapfleet-dev-alarms";
    const own = path.join(world.dir, "own.json");
    write(own, { alarmTopicArn: topicArn });
    const otherAlarm = path.join(world.dir, "other-alarm.json");
    write(otherAlarm, { alarmTopicArn: topicArn, server: "web-8" });
    const neighbour = path.join(world.dir, "neighbour.json");
    write(neighbour, { repository: `s3:${emulator.endpoint}/${BUCKET}/agents/web-8` });
    const elsewhere = path.join(world.dir, "elsewhere.json");
    write(elsewhere, { namespace: "Other/Namespace" });

    const installed = await cli(
      ["agent", "install", "--config", own, "--unit-dir", path.join(world.dir, "units")],
      env,
    );
    const backedUp = await cli(["agent", "backup", "--config", own], env);
    const listed = await cli(["agent", "snapshots", "--json", "--config", own], env);
    const refused = await cli(
      ["agent", "install", "--config", neighbour, "--unit-dir", path.join(world.dir, "u2")],
      env,
    );
    const alarmOfAnother = await cli(
      ["agent", "install", "--config", otherAlarm, "--unit-dir", path.join(world.dir, "u4")],
      env,
    );
    const otherNamespace = await cli(
      ["agent", "install", "--config", elsewhere, "--unit-dir", path.join(world.dir, "u3")],
      env,
    );

    expect([installed.code, installed.stderr]).toEqual([0, expect.stringContaining("created")]);
    expect(backedUp.code).toBe(0);
    expect(JSON.parse(listed.stdout).snapshots).toHaveLength(1);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Access Denied|AccessDenied|not authorized/);
    expect(installed.stderr).toContain("alarm snapfleet-agent-web-7-missed-backup: created");
    expect(alarmOfAnother.code).toBe(1);
    expect(alarmOfAnother.stderr).toContain("cloudwatch:PutMetricAlarm");
    expect(otherNamespace.code).toBe(1);
    expect(otherNamespace.stderr).toContain("cloudwatch:PutMetricData");
    expect(CREDENTIALS.accessKeyId).not.toBe(agentKey); // the admin key created the bucket
  }, 120_000);
});
