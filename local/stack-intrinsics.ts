import type { CfnTemplate } from "./stack";

/**
 * What CloudFormation would substitute for the template's intrinsic functions, for the parts the
 * local runs read (alarms, IAM statements): Ref (parameters, resources, pseudo parameters),
 * Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If and conditions.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
 */

/** Logical id → what `Ref` returns; `"<LogicalId>.<Attribute>"` → what `Fn::GetAtt` returns. */
export type PhysicalIds = Record<string, string>;

export interface StackScope {
  region?: string;
  accountId?: string;
  partition?: string;
  stackName?: string;
  /** Parameter values instead of the template's Defaults. */
  parameters?: Record<string, string | number | boolean>;
}

const NO_VALUE = Symbol("AWS::NoValue");

interface Context {
  template: CfnTemplate;
  ids: PhysicalIds;
  params: Record<string, string>;
  pseudo: Record<string, string>;
}

/**
 * Every parameter's value: the override if given, else its Default. Throws for an unknown
 * override, a value outside AllowedValues, or a parameter with neither.
 */
export function resolveParameters(
  template: CfnTemplate,
  overrides: Record<string, string | number | boolean> = {},
): Record<string, string> {
  const declared = template.Parameters ?? {};
  for (const name of Object.keys(overrides)) {
    if (!(name in declared)) throw new Error(`the template declares no parameter ${name}`);
  }
  const values: Record<string, string> = {};
  for (const [name, p] of Object.entries(declared)) {
    const value = overrides[name] ?? p.Default;
    if (value === undefined) throw new Error(`parameter ${name} has no Default: give it a value`);
    const text = String(value);
    if (p.AllowedValues && !p.AllowedValues.map(String).includes(text))
      throw new Error(`parameter ${name}: ${text} is not one of ${p.AllowedValues.join(", ")}`);
    values[name] = text;
  }
  return values;
}

function context(template: CfnTemplate, ids: PhysicalIds, scope: StackScope): Context {
  const region = scope.region ?? "us-east-1";
  const accountId = scope.accountId ?? "000000000000";
  const stackName = scope.stackName ?? "snapfleet-dev";
  return {
    template,
    ids,
    params: resolveParameters(template, scope.parameters),
    pseudo: {
      "AWS::Region": region,
      "AWS::AccountId": accountId,
      "AWS::Partition": scope.partition ?? "aws",
      "AWS::StackName": stackName,
      "AWS::StackId": `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/00000000-0000-0000-0000-000000000000`,
      "AWS::URLSuffix": "amazonaws.com",
    },
  };
}

function ref(name: string, ctx: Context): unknown {
  if (name === "AWS::NoValue") return NO_VALUE;
  const value = ctx.pseudo[name] ?? ctx.params[name] ?? ctx.ids[name];
  if (value !== undefined) return value;
  if (name in ctx.template.Resources) throw new Error(`Ref ${name}: no physical id given for this resource`);
  throw new Error(`Ref ${name}: neither a parameter, a resource nor a pseudo parameter`);
}

function getAtt(target: string, attribute: string, ctx: Context): string {
  const direct = ctx.ids[`${target}.${attribute}`];
  if (direct !== undefined) return direct;
  const id = ctx.ids[target];
  if (attribute === "Arn" && id?.startsWith("arn:")) return id;
  throw new Error(`Fn::GetAtt ${target}.${attribute}: give it as physical id "${target}.${attribute}"`);
}

function sub(arg: unknown, ctx: Context): string {
  const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [arg as string, {}];
  return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
    if (name.startsWith("!")) return `\${${name.slice(1)}}`;
    if (name in vars) return String(resolve(vars[name], ctx));
    const dot = name.indexOf(".");
    if (dot > 0 && !name.startsWith("AWS::")) return getAtt(name.slice(0, dot), name.slice(dot + 1), ctx);
    return String(ref(name, ctx));
  });
}

function condition(name: string, ctx: Context): boolean {
  const definition = ctx.template.Conditions?.[name];
  if (definition === undefined) throw new Error(`no condition ${name} in the template`);
  return resolve(definition, ctx) === true;
}

function fn(name: string, arg: unknown, ctx: Context): unknown {
  const args = () => (arg as unknown[]).map((a) => resolve(a, ctx));
  switch (name) {
    case "Ref":
      return ref(arg as string, ctx);
    case "Fn::GetAtt": {
      const [target, attribute] = typeof arg === "string" ? arg.split(/\.(.*)/s) : (arg as string[]);
      return getAtt(String(target), String(attribute), ctx);
    }
    case "Fn::Sub":
      return sub(arg, ctx);
    case "Fn::Join": {
      const [delimiter, list] = arg as [string, unknown];
      return (resolve(list, ctx) as unknown[]).map(String).join(delimiter);
    }
    case "Fn::Select": {
      const [index, list] = args() as [unknown, unknown[]];
      return list[Number(index)];
    }
    case "Fn::Split": {
      const [delimiter, text] = args() as [string, string];
      return text.split(delimiter);
    }
    case "Fn::If": {
      const [cond, whenTrue, whenFalse] = arg as [string, unknown, unknown];
      return resolve(condition(cond, ctx) ? whenTrue : whenFalse, ctx);
    }
    case "Fn::Equals": {
      const [a, b] = args();
      return String(a) === String(b);
    }
    case "Fn::Not":
      return !(args()[0] === true);
    case "Fn::And":
      return args().every((v) => v === true);
    case "Fn::Or":
      return args().some((v) => v === true);
    case "Condition":
      return condition(arg as string, ctx);
    default:
      throw new Error(`${name} is not supported by local/stack-intrinsics.ts`);
  }
}

function resolve(value: unknown, ctx: Context): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, ctx)).filter((v) => v !== NO_VALUE);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  const [only] = entries;
  if (
    entries.length === 1 &&
    only &&
    (only[0] === "Ref" || only[0] === "Condition" || only[0].startsWith("Fn::"))
  )
    return fn(only[0], only[1], ctx);
  return Object.fromEntries(
    entries.map(([k, v]) => [k, resolve(v, ctx)] as const).filter(([, v]) => v !== NO_VALUE),
  );
}

/** `value` with every intrinsic function replaced by its value. Throws naming what cannot be resolved. */
export function resolveIntrinsics(
  value: unknown,
  template: CfnTemplate,
  physicalIds: PhysicalIds,
  scope: StackScope = {},
): unknown {
  return resolve(value, context(template, physicalIds, scope));
}

/**
 * Plausible physical ids for every resource of the template, named as CloudFormation would name
 * them in `scope`'s region and account (a topic's ARN, a function's name and ARN, ...): a base that
 * the ids of the resources a local run really created are spread over.
 */
export function defaultPhysicalIds(template: CfnTemplate, scope: StackScope = {}): PhysicalIds {
  const ctx = context(template, {}, scope);
  const { "AWS::Region": region, "AWS::AccountId": account, "AWS::StackName": stack } = ctx.pseudo;
  const ids: PhysicalIds = {};
  for (const [id, r] of Object.entries(template.Resources)) {
    const nameProp =
      { "AWS::SNS::Topic": "TopicName", "AWS::Lambda::Function": "FunctionName" }[r.Type] ?? "";
    const explicit = [
      nameProp,
      "Name",
      "RoleName",
      "BucketName",
      "StateMachineName",
      "AlarmName",
      "LogGroupName",
    ]
      .map((p) => r.Properties?.[p])
      .find((v) => v !== undefined);
    let name = `${stack}-${id}`;
    try {
      if (explicit !== undefined) name = String(resolve(explicit, ctx));
    } catch {
      // A name built from other resources: keep the generated one.
    }
    const set = (ref: string, arn?: string) => {
      ids[id] = ref;
      if (arn !== undefined) ids[`${id}.Arn`] = arn;
    };
    if (r.Type === "AWS::SNS::Topic") {
      set(`arn:aws:sns:${region}:${account}:${name}`);
      ids[`${id}.TopicArn`] = ids[id] as string;
    } else if (r.Type === "AWS::StepFunctions::StateMachine") {
      set(
        `arn:aws:states:${region}:${account}:stateMachine:${name}`,
        `arn:aws:states:${region}:${account}:stateMachine:${name}`,
      );
      ids[`${id}.Name`] = name;
    } else if (r.Type === "AWS::Lambda::Function")
      set(name, `arn:aws:lambda:${region}:${account}:function:${name}`);
    else if (r.Type === "AWS::IAM::Role") set(name, `arn:aws:iam::${account}:role/${name}`);
    else if (r.Type === "AWS::S3::Bucket") {
      const bucket = name.toLowerCase();
      set(bucket, `arn:aws:s3:::${bucket}`);
    } else if (r.Type === "AWS::Logs::LogGroup")
      set(name, `arn:aws:logs:${region}:${account}:log-group:${name}:*`);
    else if (r.Type === "AWS::CloudWatch::Alarm")
      set(name, `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`);
    else if (r.Type === "AWS::Events::Rule") set(name, `arn:aws:events:${region}:${account}:rule/${name}`);
    else set(name);
  }
  return ids;
}

interface CfnRule {
  RuleCondition?: unknown;
  Assertions?: { Assert: unknown; AssertDescription?: string }[];
}

/**
 * The template's Rules, checked as CloudFormation checks them before it creates or changes anything:
 * the AssertDescription of every assertion that fails (in a rule whose RuleCondition, if any, holds).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html
 */
export function ruleViolations(template: CfnTemplate, scope: StackScope = {}): string[] {
  const ctx = context(template, {}, scope);
  const rules = (template.Rules ?? {}) as Record<string, CfnRule>;
  const failed: string[] = [];
  for (const [name, rule] of Object.entries(rules)) {
    if (rule.RuleCondition !== undefined && resolve(rule.RuleCondition, ctx) !== true) continue;
    for (const assertion of rule.Assertions ?? []) {
      if (resolve(assertion.Assert, ctx) !== true)
        failed.push(assertion.AssertDescription ?? `rule ${name} failed`);
    }
  }
  return failed;
}
