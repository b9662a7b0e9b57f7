/**
 * Packages the stack once with `sls package` (offline, no credentials) and checks the
 * CloudFormation template it produces: parameters, functions, the state machine's Lambda
 * references and role, the schedule, the topic, the alarms (metric names from
 * lib/metric-names.ts) and the functions' least-privilege IAM statements.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AGENT_METRICS, DEFAULT_NAMESPACE, DRIVE_METRICS, FLEET_METRICS } from "../../lib/metric-names";

type Json = Record<string, unknown>;
interface CfnResource {
  Type: string;
  Condition?: string;
  Properties: Json;
}
interface CfnTemplate {
  Parameters: Record<string, Json>;
  Conditions: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const ROOT = path.resolve(__dirname, "../..");
const SLS = path.join(ROOT, "node_modules/serverless/bin/serverless.js");

/** Function key in serverless.yml -> handler, as the design fixes them. */
const FUNCTIONS: Record<string, string> = {
  plan: "functions/plan.handler",
  step: "functions/step.handler",
  set: "functions/set.handler",
  report: "functions/report.handler",
  summarize: "functions/summarize.handler",
};
const lambdaLogicalId = (key: string): string => `${key[0]?.toUpperCase()}${key.slice(1)}LambdaFunction`;

const ref = (logicalId: string) => ({ Ref: logicalId });
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

let packageDir: string;
let output = "";
let template: CfnTemplate;

function runSlsPackage(dir: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SLS, "package", "--package", dir],
      {
        cwd: ROOT,
        // No telemetry or update notifications: CI has no network, and the output must be clean.
        env: { ...process.env, SLS_TELEMETRY_DISABLED: "1", SLS_NOTIFICATIONS_MODE: "off" },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

function resourcesOfType(type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

function resource(logicalId: string): CfnResource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`resource ${logicalId} is not in the template`);
  return found;
}

function policyStatements(role: CfnResource): Statement[] {
  const policies = role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

function statementsFor(statements: Statement[], action: string): Statement[] {
  return statements.filter((statement) => asArray(statement.Action).includes(action));
}

function onlyStatementFor(statements: Statement[], action: string): Statement {
  const found = statementsFor(statements, action);
  expect(found).toHaveLength(1);
  return found[0] as Statement;
}

function alarmsOn(metricName: string, namespace: unknown): Json[] {
  return resourcesOfType("AWS::CloudWatch::Alarm")
    .map(([, alarm]) => alarm.Properties)
    .filter(
      (props) =>
        props.MetricName === metricName && JSON.stringify(props.Namespace) === JSON.stringify(namespace),
    );
}

function onlyAlarmOn(metricName: string, namespace: unknown): Json {
  const found = alarmsOn(metricName, namespace);
  expect(found).toHaveLength(1);
  return found[0] as Json;
}

/** The state machine's Fn::Sub: definition text and its substitutions. */
function stateMachineSub(): [string, Record<string, unknown>] {
  const definition = resource("BackupStateMachine").Properties.DefinitionString as { "Fn::Sub": unknown };
  expect(Array.isArray(definition["Fn::Sub"])).toBe(true);
  return definition["Fn::Sub"] as [string, Record<string, unknown>];
}

/** Logical ids of the Lambda functions the state machine definition references. */
function referencedLambdas(): string[] {
  const [, substitutions] = stateMachineSub();
  return Object.values(substitutions)
    .map((value) => (value as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"]?.[0])
    .filter(
      (id): id is string => id !== undefined && template.Resources[id]?.Type === "AWS::Lambda::Function",
    );
}

beforeAll(async () => {
  packageDir = mkdtempSync(path.join(tmpdir(), "snapfleet-package-"));
  const result = await runSlsPackage(packageDir);
  output = result.output;
  if (result.code !== 0) throw new Error(`sls package failed (exit ${result.code}):\n${output}`);
  template = JSON.parse(
    readFileSync(path.join(packageDir, "cloudformation-template-update-stack.json"), "utf8"),
  ) as CfnTemplate;
}, 120_000);

afterAll(() => {
  if (packageDir) rmSync(packageDir, { recursive: true, force: true });
});

describe("sls package", () => {
  it("prints no warning and no deprecation", () => {
    expect(output).toContain("Service packaged");
    expect(output).toContain('State machine "backup" definition is valid');
    expect(output).toContain('State machine "restore" definition is valid');
    expect(output).not.toMatch(/warning/i);
    expect(output).not.toMatch(/deprecat/i);
  });
});

describe("stack parameters", () => {
  it.each([
    ["ScheduleExpression", "cron(0 3 * * ? *)"],
    ["DrRegion", "us-west-2"],
    ["SelectionTagKey", "Backup"],
    ["DefaultRetention", "7"],
    ["MetricNamespace", DEFAULT_NAMESPACE],
    ["RetentionTimeZone", "UTC"],
    ["OrphanSnapshots", "keep"],
    ["ElapsedTimeThresholdSeconds", "3600"],
    ["MissedRunWindowHours", "25"],
    ["AlarmEmail", ""],
  ])("declares %s with default %p", (name, defaultValue) => {
    const parameter = template.Parameters[name];

    expect(parameter).toBeDefined();
    expect(String(parameter?.Default)).toBe(defaultValue);
  });

  it("keeps the missed-run window within CloudWatch's 7-day evaluation limit", () => {
    // PutMetricAlarm: Period x EvaluationPeriods <= 604,800 s for periods of an hour or more.
    const maxHours = Number(template.Parameters.MissedRunWindowHours?.MaxValue);

    expect(maxHours * 3600).toBeLessThanOrEqual(604_800);
  });
});

describe("functions", () => {
  it.each(Object.entries(FUNCTIONS))("deploys %s with handler %s on nodejs22.x", (key, handler) => {
    const props = resource(lambdaLogicalId(key)).Properties;

    expect(props.Handler).toBe(handler);
    expect(props.Runtime).toBe("nodejs22.x");
  });

  it("gives every function its configuration from the stack parameters and the topic", () => {
    for (const key of Object.keys(FUNCTIONS)) {
      const variables = (resource(lambdaLogicalId(key)).Properties.Environment as { Variables: Json })
        .Variables;

      expect(variables).toMatchObject({
        SNAPFLEET_DR_REGION: ref("DrRegion"),
        SNAPFLEET_SELECTION_TAG: ref("SelectionTagKey"),
        SNAPFLEET_DEFAULT_RETENTION: ref("DefaultRetention"),
        SNAPFLEET_METRIC_NAMESPACE: ref("MetricNamespace"),
        SNAPFLEET_TOPIC_ARN: ref("AlarmTopic"),
        SNAPFLEET_RETENTION_TIMEZONE: ref("RetentionTimeZone"),
        SNAPFLEET_ORPHANS: ref("OrphanSnapshots"),
        SNAPFLEET_BUCKET: ref("RunBucket"),
        SNAPFLEET_DR_KMS_KEY: ref("DrKmsKeyId"),
        POWERTOOLS_SERVICE_NAME: "snapfleet",
        POWERTOOLS_LOG_LEVEL: "INFO",
      });
    }
  });
});

describe("backup state machine", () => {
  it("is a state machine built from statemachine/backup.asl.json", () => {
    const [definition] = stateMachineSub();
    const asl = JSON.parse(readFileSync(path.join(ROOT, "statemachine/backup.asl.json"), "utf8")) as Json;

    expect(resource("BackupStateMachine").Type).toBe("AWS::StepFunctions::StateMachine");
    expect(JSON.parse(definition).StartAt).toBe(asl.StartAt);
  });

  it("resolves every Fn::Sub placeholder in the definition to a substitution or a pseudo parameter", () => {
    const [definition, substitutions] = stateMachineSub();
    const placeholders = [...definition.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1] as string);

    for (const name of placeholders) {
      expect(name in substitutions || name.startsWith("AWS::")).toBe(true);
    }
  });

  it("references only resources that exist in the stack", () => {
    const [, substitutions] = stateMachineSub();

    for (const value of Object.values(substitutions)) {
      const target = (value as { "Fn::GetAtt"?: [string, string]; Ref?: string })["Fn::GetAtt"]?.[0];
      const refTarget = (value as { Ref?: string }).Ref;
      const logicalId = target ?? refTarget;
      if (logicalId && !logicalId.startsWith("AWS::")) {
        expect(Object.keys(template.Resources)).toContain(logicalId);
      }
    }
  });

  it("invokes every snapfleet function", () => {
    const expected = Object.keys(FUNCTIONS).map(lambdaLogicalId).sort();

    expect([...new Set(referencedLambdas())].sort()).toEqual(expected);
  });

  it("maps over the fleet with a Distributed Map: ItemReader, STANDARD children, ResultWriter, no coordinator", () => {
    const [definition] = stateMachineSub();
    const fleet = JSON.parse(definition).States.Fleet;
    const volumes = fleet.ItemProcessor.States.Volumes;

    expect(fleet.Type).toBe("Map");
    expect(fleet.ItemProcessor.ProcessorConfig).toEqual({ Mode: "DISTRIBUTED", ExecutionType: "STANDARD" });
    expect(fleet.ItemReader.Resource).toBe("arn:aws:states:::s3:getObject");
    expect(fleet.ResultWriter.Resource).toBe("arn:aws:states:::s3:putObject");
    expect(fleet.ToleratedFailurePercentage).toBe(100);
    expect(volumes.Type).toBe("Map");
    expect(volumes.ItemsPath).toBe("$.drives");
    expect(Object.keys(template.Resources)).not.toContain("CoordinateLambdaFunction");
  });

  it("lets the Fleet map start its child executions and read and write the run's files", () => {
    const statements = policyStatements(resource("BackupStateMachineRole"));

    expect(statementsFor(statements, "states:StartExecution").length).toBeGreaterThan(0);
    expect(statementsFor(statements, "s3:GetObject").length).toBeGreaterThan(0);
    expect(statementsFor(statements, "s3:PutObject").length).toBeGreaterThan(0);
  });

  it("may invoke exactly the functions its definition references", () => {
    const statements = policyStatements(resource("BackupStateMachineRole"));
    const invoke = statementsFor(statements, "lambda:InvokeFunction");
    const granted = invoke.flatMap((statement) => asArray(statement.Resource));

    for (const logicalId of referencedLambdas()) {
      expect(granted).toContainEqual({ "Fn::GetAtt": [logicalId, "Arn"] });
    }
    for (const statement of statements) {
      expect(asArray(statement.Action)).not.toContain("*");
    }
  });
});

describe("schedule", () => {
  it("starts the state machine on the ScheduleExpression parameter", () => {
    const rules = resourcesOfType("AWS::Events::Rule").map(([, rule]) => rule.Properties);
    const rule = rules.find(
      (props) => JSON.stringify(props.ScheduleExpression) === JSON.stringify(ref("ScheduleExpression")),
    );

    expect(rule).toBeDefined();
    expect(rule?.State).toBe("ENABLED");
    expect(rule?.Targets).toEqual([expect.objectContaining({ Arn: ref("BackupStateMachine") })]);
  });

  it("uses a role that may only start that state machine", () => {
    const rule = resourcesOfType("AWS::Events::Rule")[0]?.[1] as CfnResource;
    const target = (rule.Properties.Targets as { RoleArn: { "Fn::GetAtt": [string, string] } }[])[0];
    const roleId = target?.RoleArn["Fn::GetAtt"][0] as string;

    const statements = policyStatements(resource(roleId));

    expect(statements).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Action: "states:StartExecution",
        Resource: ref("BackupStateMachine"),
      }),
    ]);
  });
});

describe("alarm topic", () => {
  it("is an SNS topic with an e-mail subscription only when AlarmEmail is set", () => {
    const [subscriptionId, subscription] = resourcesOfType("AWS::SNS::Subscription")[0] ?? [];

    expect(resource("AlarmTopic").Type).toBe("AWS::SNS::Topic");
    expect(subscriptionId).toBeDefined();
    expect(subscription?.Properties).toMatchObject({ Protocol: "email", Endpoint: ref("AlarmEmail") });
    expect(template.Conditions[subscription?.Condition as string]).toEqual({
      "Fn::Not": [{ "Fn::Equals": [ref("AlarmEmail"), ""] }],
    });
  });
});

describe("alarms", () => {
  const namespace = ref("MetricNamespace");
  const notifies = { AlarmActions: [ref("AlarmTopic")], OKActions: [ref("AlarmTopic")] };

  it("alarms when a drive's elapsed time exceeds the threshold", () => {
    const alarm = onlyAlarmOn(FLEET_METRICS.MaxElapsedTime.name, namespace);

    expect(alarm).toMatchObject({
      Statistic: "Maximum",
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: ref("ElapsedTimeThresholdSeconds"),
      ...notifies,
    });
    expect(alarm.Dimensions).toBeUndefined();
  });

  it("alarms on any failed volume in a run, missing data not breaching", () => {
    const alarm = onlyAlarmOn(FLEET_METRICS.VolumesFailed.name, namespace);

    expect(alarm).toMatchObject({
      Statistic: "Maximum",
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
      TreatMissingData: "notBreaching",
      ...notifies,
    });
  });

  it("alarms when no run started within the window: RunStarted samples, missing data not evaluated, INSUFFICIENT_DATA notifies", () => {
    const alarm = onlyAlarmOn(FLEET_METRICS.RunStarted.name, namespace);

    expect(alarm).toMatchObject({
      Statistic: "SampleCount",
      ComparisonOperator: "LessThanThreshold",
      Threshold: 1,
      TreatMissingData: "missing",
      Period: 3600,
      EvaluationPeriods: ref("MissedRunWindowHours"),
      InsufficientDataActions: [ref("AlarmTopic")],
      ...notifies,
    });
  });

  it.each(["ExecutionsFailed", "ExecutionsTimedOut"])("alarms on the state machine's %s", (metricName) => {
    const alarm = onlyAlarmOn(metricName, "AWS/States");

    expect(alarm).toMatchObject({
      Dimensions: [{ Name: "StateMachineArn", Value: ref("BackupStateMachine") }],
      Statistic: "Sum",
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
      ...notifies,
    });
  });

  it("watches only metric names that lib/metric-names.ts defines", () => {
    const known = new Set<string>(
      [...Object.values(FLEET_METRICS), ...Object.values(DRIVE_METRICS), ...Object.values(AGENT_METRICS)].map(
        (metric) => metric.name,
      ),
    );
    const ours = resourcesOfType("AWS::CloudWatch::Alarm")
      .map(([, alarm]) => alarm.Properties)
      .filter((props) => JSON.stringify(props.Namespace) === JSON.stringify(namespace));

    expect(ours.length).toBeGreaterThan(0);
    for (const props of ours) expect(known).toContain(props.MetricName);
  });
});

describe("function IAM role", () => {
  let statements: Statement[];
  beforeAll(() => {
    statements = policyStatements(resource("IamRoleLambdaExecution"));
  });

  it("may delete only snapshots tagged snapfleet:managed=true", () => {
    const statement = onlyStatementFor(statements, "ec2:DeleteSnapshot");

    expect(statement.Condition).toEqual({ StringEquals: { "aws:ResourceTag/snapfleet:managed": "true" } });
  });

  it("may put metrics only into the snapfleet namespace", () => {
    const statement = onlyStatementFor(statements, "cloudwatch:PutMetricData");

    expect(statement.Condition).toEqual({ StringEquals: { "cloudwatch:namespace": ref("MetricNamespace") } });
  });

  it("may publish only to the alarm topic", () => {
    expect(onlyStatementFor(statements, "sns:Publish").Resource).toEqual(ref("AlarmTopic"));
  });

  it("grants no wildcard action", () => {
    for (const statement of statements) {
      for (const action of asArray(statement.Action)) expect(action).not.toMatch(/\*/);
    }
  });
});

describe("run manifests bucket", () => {
  it("is retained when the stack is removed, so that sls remove succeeds while it holds objects, and empties itself in 7 days", () => {
    const bucket = template.Resources.RunBucket as CfnResource & Json;

    expect(bucket.DeletionPolicy).toBe("Retain");
    expect(bucket.UpdateReplacePolicy).toBe("Retain");
    expect(bucket.Properties.LifecycleConfiguration).toEqual({
      Rules: [{ Id: "ExpireRunManifests", Status: "Enabled", Prefix: "runs/", ExpirationInDays: 7 }],
    });
  });

  it("keeps the run's plan, progress and results in the stack's own bucket, readable only under runs/", () => {
    const bucket = resource("RunBucket");
    const statements = (
      resource("IamRoleLambdaExecution").Properties.Policies as { PolicyDocument: { Statement: Json[] } }[]
    ).flatMap((p) => p.PolicyDocument.Statement) as { Sid?: string; Action: unknown; Resource: unknown }[];
    const manifests = statements.find((s) => s.Sid === "RunManifests");

    expect(bucket.Type).toBe("AWS::S3::Bucket");
    expect(manifests?.Action).toEqual(["s3:GetObject", "s3:PutObject"]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder
    expect(manifests?.Resource).toEqual({ "Fn::Sub": "${RunBucket.Arn}/runs/*" });
    // GetObject of a missing key is 404 NoSuchKey only with s3:ListBucket (else 403).
    const listing = statements.find((s) => s.Sid === "ListRunManifests");
    expect(listing?.Action).toEqual(["s3:ListBucket"]);
    expect(listing?.Resource).toEqual({ "Fn::GetAtt": ["RunBucket", "Arn"] });
  });
});

describe("DR lag alarm and dashboard", () => {
  it("alarms when DrLag exceeds its threshold parameter", () => {
    const alarm = resource("DrLagAlarm").Properties as Record<string, Json>;
    expect(alarm).toMatchObject({
      MetricName: FLEET_METRICS.DrLag.name,
      Statistic: "Maximum",
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: ref("DrLagThresholdSeconds"),
    });
  });

  it("has a dashboard whose body is valid JSON once substituted, with the four widgets", () => {
    const sub = (resource("Dashboard").Properties.DashboardBody as { "Fn::Sub": [string, Json] })[
      "Fn::Sub"
    ][0];
    // biome-ignore-start lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders
    const body = JSON.parse(
      sub
        .replaceAll("${AWS::Region}", "us-east-1")
        .replaceAll("${Namespace}", "Organization/Backup")
        .replaceAll("${DrLagThresholdSeconds}", "172800"),
    ) as { widgets: { properties: { title: string } }[] };
    // biome-ignore-end lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders
    expect(body.widgets.map((w) => w.properties.title)).toEqual([
      "Drives backed up and failed per run",
      "DR lag (s)",
      "Slowest drives (ElapsedTime, s)",
      "Slowest snapshot and run duration (s)",
    ]);
  });
});
