/**
 * The bridge between the deployable stack and the embedded AWS: the CloudFormation template that
 * `sls package` builds from serverless.yml (and statemachine/*.asl.json), its parameters, a small
 * intrinsic-function resolver, and the two things the emulator takes from it: the functions' IAM
 * policy and the alarms. The emulator itself stays AWS-generic; only this file knows the stack.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
} from "@aws-sdk/client-cloudwatch";
import { CreateDocumentCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { PolicyStatement } from "./aws/iam";
import { type PhysicalIds, resolveIntrinsics, type StackScope } from "./stack-intrinsics";

export {
  defaultPhysicalIds,
  type PhysicalIds,
  resolveIntrinsics,
  resolveParameters,
  ruleViolations,
  type StackScope,
} from "./stack-intrinsics";

export interface CfnParameter {
  Type: string;
  Default?: string | number;
  AllowedValues?: (string | number)[];
  [key: string]: unknown;
}

export interface CfnResource {
  Type: string;
  Condition?: string;
  Properties?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CfnTemplate {
  Parameters?: Record<string, CfnParameter>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface LoadTemplateOptions {
  /** Read this template (e.g. `.serverless/cloudformation-template-update-stack.json`) instead of packaging. */
  templatePath?: string;
  /** The serverless project; the repository root by default. */
  projectDir?: string;
  /** More `sls package` arguments, e.g. `["--stage", "prod"]`. */
  args?: string[];
}

const ROOT = path.resolve(__dirname, "..");
/** Not copied into the packaging sandbox (node_modules is linked instead). */
const NOT_COPIED = new Set(["node_modules", ".git", ".serverless", ".esbuild", "coverage"]);
const packaged = new Map<string, Promise<CfnTemplate>>();

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd,
        env: { ...process.env, SLS_TELEMETRY_DISABLED: "1", SLS_NOTIFICATIONS_MODE: "off" },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`sls package failed: ${error.message}\n${stdout}\n${stderr}`))
          : resolve(stdout),
    );
  });
}

/**
 * `sls package --package <tmp>` on a copy of the project. serverless-esbuild builds in `.esbuild/`
 * of the service directory and deletes it afterwards, so two packagings of one checkout at once (two
 * jest workers, or a developer's own `sls package`) break each other; a private copy with
 * node_modules linked in does not.
 */
async function slsPackage(projectDir: string, args: string[]): Promise<CfnTemplate> {
  const sandbox = mkdtempSync(path.join(tmpdir(), "snapfleet-stack-"));
  try {
    const service = path.join(sandbox, "service");
    cpSync(projectDir, service, {
      recursive: true,
      filter: (src) => !NOT_COPIED.has(path.relative(projectDir, src).split(path.sep)[0] ?? ""),
    });
    symlinkSync(path.join(projectDir, "node_modules"), path.join(service, "node_modules"), "dir");
    const out = path.join(sandbox, "package");
    const sls = path.join(projectDir, "node_modules/serverless/bin/serverless.js");
    await run(process.execPath, [sls, "package", "--package", out, ...args], service);
    return JSON.parse(readFileSync(path.join(out, "cloudformation-template-update-stack.json"), "utf8"));
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
}

/**
 * The packaged CloudFormation template of the current serverless.yml: packaged once per process
 * (per project and arguments) and cached; or read from `templatePath`.
 */
export function loadPackagedTemplate(options: LoadTemplateOptions = {}): Promise<CfnTemplate> {
  if (options.templatePath !== undefined) {
    return Promise.resolve(JSON.parse(readFileSync(options.templatePath, "utf8")) as CfnTemplate);
  }
  const projectDir = options.projectDir ?? ROOT;
  const args = options.args ?? [];
  const key = JSON.stringify([projectDir, args]);
  let template = packaged.get(key);
  if (!template) {
    template = cachedOnDisk(projectDir, args);
    template.catch(() => packaged.delete(key));
    packaged.set(key, template);
  }
  return template;
}

/**
 * Packaging takes seconds; the template depends only on serverless.yml, the state machines, stack/
 * and package.json (the function code only shapes the zips). So it is kept in the temp folder under a
 * hash of those files, and every test file and `npm start` after the first reads it from there.
 */
async function cachedOnDisk(projectDir: string, args: string[]): Promise<CfnTemplate> {
  const hash = createHash("sha256").update(JSON.stringify(args));
  const inputs = ["serverless.yml", "package.json"];
  // statemachine/: the definitions; stack/: the plugin and variable resolvers serverless.yml loads.
  for (const dir of ["statemachine", "stack"]) {
    const full = path.join(projectDir, dir);
    if (existsSync(full)) for (const f of readdirSync(full).sort()) inputs.push(path.join(dir, f));
  }
  for (const f of inputs) hash.update(f).update(readFileSync(path.join(projectDir, f)));
  const file = path.join(tmpdir(), `snapfleet-template-${hash.digest("hex").slice(0, 16)}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as CfnTemplate;
  const template = await slsPackage(projectDir, args);
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(template));
  renameSync(partial, file);
  return template;
}

function resourceOf(template: CfnTemplate, logicalId: string, type: string): CfnResource {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`the template has no resource ${logicalId}`);
  if (resource.Type !== type) throw new Error(`${logicalId} is a ${resource.Type}, not a ${type}`);
  return resource;
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * The inline policy statements of an IAM role (sls v3 names the functions' role
 * `IamRoleLambdaExecution`), intrinsics resolved with `physicalIds` (e.g. `AlarmTopic` → the topic
 * ARN the local run created). Managed policies are not included. Usable as the emulator's
 * `iam.principals[accessKeyId]`.
 */
export function policyFromTemplate(
  template: CfnTemplate,
  roleLogicalId: string,
  physicalIds: PhysicalIds,
  scope: StackScope = {},
): PolicyStatement[] {
  const role = resourceOf(template, roleLogicalId, "AWS::IAM::Role");
  const policies = asArray(role.Properties?.Policies as { PolicyDocument: { Statement: unknown } }[]);
  const statements = policies.flatMap((p) => asArray(p.PolicyDocument.Statement));
  return resolveIntrinsics(statements, template, physicalIds, scope) as PolicyStatement[];
}

const NUMERIC = ["Period", "EvaluationPeriods", "DatapointsToAlarm", "Threshold"] as const;

/** The PutMetricAlarm request for one AWS::CloudWatch::Alarm (whose properties are the API's). */
export function alarmRequest(
  template: CfnTemplate,
  logicalId: string,
  physicalIds: PhysicalIds,
  scope: StackScope = {},
): PutMetricAlarmCommandInput {
  const resource = resourceOf(template, logicalId, "AWS::CloudWatch::Alarm");
  const props = resolveIntrinsics(resource.Properties ?? {}, template, physicalIds, scope) as Record<
    string,
    unknown
  >;
  for (const key of NUMERIC) if (props[key] !== undefined) props[key] = Number(props[key]);
  props.AlarmName ??= `${scope.stackName ?? "snapfleet-dev"}-${logicalId}`;
  return props as unknown as PutMetricAlarmCommandInput;
}

/** Logical ids of the template's alarms whose Condition (if any) holds. */
export function stackAlarmIds(
  template: CfnTemplate,
  physicalIds: PhysicalIds = {},
  scope: StackScope = {},
): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === "AWS::CloudWatch::Alarm")
    .filter(
      ([, r]) =>
        r.Condition === undefined ||
        resolveIntrinsics({ Condition: r.Condition }, template, physicalIds, scope) === true,
    )
    .map(([id]) => id);
}

/** Where and as whom the stack layer's setup calls go (the emulator's endpoint, the setup key). */
type SetupScope = StackScope & { credentials?: { accessKeyId: string; secretAccessKey: string } };

function setupClientConfig(endpoint: string, scope: SetupScope) {
  return {
    endpoint,
    region: scope.region ?? "us-east-1",
    credentials: scope.credentials ?? { accessKeyId: "local", secretAccessKey: "local" },
  };
}

/** The stack's SSM documents (AWS::SSM::Document), created as CloudFormation would; returns their names. */
export async function installStackDocuments(
  template: CfnTemplate,
  physicalIds: PhysicalIds,
  endpoint: string,
  scope: SetupScope = {},
): Promise<string[]> {
  const client = new SSMClient(setupClientConfig(endpoint, scope));
  const names: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::SSM::Document") continue;
    const props = resolveIntrinsics(resource.Properties ?? {}, template, physicalIds, scope) as {
      Name?: string;
      Content: unknown;
      DocumentType?: string;
    };
    const name = props.Name ?? `${scope.stackName ?? "snapfleet-dev"}-${id}`;
    try {
      await client.send(
        new CreateDocumentCommand({
          Name: name,
          Content: JSON.stringify(props.Content),
          DocumentType: (props.DocumentType ?? "Command") as "Command",
          DocumentFormat: "JSON",
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== "DocumentAlreadyExists") throw error;
    }
    names.push(name);
  }
  client.destroy();
  return names;
}

/**
 * Creates the template's AWS::CloudWatch::Alarm resources on `endpoint` through PutMetricAlarm, as
 * CloudFormation would, and returns their names. Actions and dimensions resolve through
 * `physicalIds`: pass the emulator's topic as `AlarmTopic` so that notifications land there.
 */
export async function installStackAlarms(
  template: CfnTemplate,
  physicalIds: PhysicalIds,
  endpoint: string,
  scope: SetupScope = {},
): Promise<string[]> {
  const client = new CloudWatchClient(setupClientConfig(endpoint, scope));
  const names: string[] = [];
  for (const id of stackAlarmIds(template, physicalIds, scope)) {
    const request = alarmRequest(template, id, physicalIds, scope);
    await client.send(new PutMetricAlarmCommand(request));
    names.push(request.AlarmName as string);
  }
  client.destroy();
  return names;
}
