import { AwsError } from "../errors";
import type { Input } from "../protocol/input";
import cloudwatchModel from "./cloudwatch.json";
import ec2Model from "./ec2.json";
import type { MemberRef, Model, Shape } from "./shapes";
import snsModel from "./sns.json";
import ssmModel from "./ssm.json";
import stepFunctionsModel from "./stepfunctions.json";

/**
 * Requests checked against the services' published models (trimmed copies, `trim.ts`) before any
 * rule runs: required members, types, list sizes, string lengths, ranges, enums and patterns.
 * The error is the one each service answers:
 * - EC2: `MissingParameter`, `InvalidParameterValue`, and `UnknownParameter` for a top-level
 *   parameter the action does not have.
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 * - CloudWatch: `MissingParameter` and `InvalidParameterValue` (the modeled
 *   MissingRequiredParameterException / InvalidParameterValueException of every operation).
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html
 * - Step Functions: `ValidationException`, worded as SNS's below.
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
 * - SNS: `ValidationError`, worded as AWS's request validation words it ("1 validation error
 *   detected: Value null at 'message' failed to satisfy constraint: Member must not be null").
 *   https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html
 * - SSM: `ValidationException` in the same wording (awsJson1_1).
 *   https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html
 */
export type ModelService = "ec2" | "cloudwatch" | "sns" | "ssm" | "stepfunctions";

const MODELS: Record<ModelService, Model> = {
  ec2: ec2Model as Model,
  cloudwatch: cloudwatchModel as Model,
  sns: snsModel as Model,
  ssm: ssmModel as Model,
  stepfunctions: stepFunctionsModel as Model,
};

type Dialect = "ec2" | "query" | "json";

interface Problem {
  kind: "missing" | "invalid" | "unknown";
  /** The parameter as the wire names it (`Filter.1.Name`, `MetricData.member.2.Value`). */
  path: string;
  /** The model's member name, lowerCamel as AWS's validation messages spell it. */
  member: string;
  value: unknown;
  constraint: string;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

function wireName(dialect: Dialect, name: string, ref: MemberRef): string {
  if (dialect === "ec2") return ref.queryName ?? capitalize(ref.locationName ?? name);
  if (dialect === "query") return ref.locationName ?? name;
  return name;
}

/** Parameters every query request may carry besides the action's own (SigV4 in the query string). */
const QUERY_ENVELOPE =
  /^(Action|Version|AWSAccessKeyId|Signature|SignatureMethod|SignatureVersion|Timestamp|Expires|X-Amz-.*)$/;

const regexCache = new Map<string, RegExp | null>();
function compiled(pattern: string): RegExp | null {
  if (!regexCache.has(pattern)) {
    try {
      regexCache.set(pattern, new RegExp(pattern, "u"));
    } catch {
      // A Java-only construct: the emulator skips the pattern rather than guess.
      regexCache.set(pattern, null);
    }
  }
  return regexCache.get(pattern) ?? null;
}

/** A list from a JSON array or an indexed query node (`X.1`, `X.member.1`). */
function items(value: unknown, dialect: Dialect): { path: string; value: unknown }[] | undefined {
  if (dialect === "json")
    return Array.isArray(value) ? value.map((v, n) => ({ path: `[${n}]`, value: v })) : undefined;
  if (value === null || typeof value !== "object") return undefined;
  const node = value as Input;
  const wrapped = "member" in node && typeof node.member === "object" && node.member !== null;
  const indexed = wrapped ? (node.member as Input) : node;
  const keys = Object.keys(indexed);
  if (keys.some((k) => !/^[1-9]\d*$/.test(k))) return undefined;
  return keys
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => ({ path: `${wrapped ? ".member" : ""}.${k}`, value: indexed[k] }));
}

class Walker {
  readonly problems: Problem[] = [];

  constructor(
    private readonly model: Model,
    private readonly dialect: Dialect,
  ) {}

  private invalid(path: string, member: string, value: unknown, constraint: string): void {
    this.problems.push({ kind: "invalid", path, member, value, constraint });
  }

  check(value: unknown, shapeName: string, path: string, member: string): void {
    const shape = this.model.shapes[shapeName] as Shape | undefined;
    if (!shape) return;
    const json = this.dialect === "json";
    switch (shape.type) {
      case "structure": {
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
          this.invalid(path, member, value, "Member must be a structure");
          return;
        }
        this.structure(value as Input, shape, path);
        return;
      }
      case "list": {
        const list = items(value, this.dialect);
        if (!list) {
          this.invalid(path, member, value, "Member must be a list");
          return;
        }
        if (shape.min !== undefined && list.length < shape.min)
          this.invalid(path, member, value, `Member must have length greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && list.length > shape.max)
          this.invalid(path, member, value, `Member must have length less than or equal to ${shape.max}`);
        for (const item of list)
          this.check(item.value, shape.member?.shape ?? "", `${path}${item.path}`, member);
        return;
      }
      case "map":
        if (value === null || typeof value !== "object")
          this.invalid(path, member, value, "Member must be a map");
        return;
      case "string": {
        if (typeof value !== "string") {
          this.invalid(path, member, value, "Member must be a string");
          return;
        }
        const length = [...value].length;
        if (shape.min !== undefined && length < shape.min)
          this.invalid(path, member, value, `Member must have length greater than or equal to ${shape.min}`);
        else if (shape.max !== undefined && length > shape.max)
          this.invalid(path, member, value, `Member must have length less than or equal to ${shape.max}`);
        else if (shape.enum && !shape.enum.includes(value))
          this.invalid(path, member, value, `Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
        else if (shape.pattern !== undefined && compiled(shape.pattern)?.test(value) === false)
          this.invalid(
            path,
            member,
            value,
            `Member must satisfy regular expression pattern: ${shape.pattern}`,
          );
        return;
      }
      case "integer":
      case "long":
      case "double":
      case "float": {
        const integral = shape.type === "integer" || shape.type === "long";
        const n = json
          ? typeof value === "number"
            ? value
            : Number.NaN
          : typeof value === "string" && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value.trim())
            ? Number(value)
            : Number.NaN;
        if (!Number.isFinite(n) || (integral && !Number.isInteger(n))) {
          this.invalid(path, member, value, `Member must be ${integral ? "an integer" : "a number"}`);
          return;
        }
        if (shape.min !== undefined && n < shape.min)
          this.invalid(path, member, value, `Member must have value greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && n > shape.max)
          this.invalid(path, member, value, `Member must have value less than or equal to ${shape.max}`);
        return;
      }
      case "boolean": {
        const ok = json ? typeof value === "boolean" : value === "true" || value === "false";
        if (!ok) this.invalid(path, member, value, "Member must be a boolean (true or false)");
        return;
      }
      case "timestamp": {
        const ok = json
          ? typeof value === "number" || (typeof value === "string" && !Number.isNaN(Date.parse(value)))
          : typeof value === "string" && (/^\d+(\.\d+)?$/.test(value) || !Number.isNaN(Date.parse(value)));
        if (!ok) this.invalid(path, member, value, "Member must be a timestamp (ISO 8601 or epoch seconds)");
        return;
      }
      default:
        return;
    }
  }

  structure(value: Input, shape: Shape, path: string, topLevel = false): void {
    const prefix = path === "" ? "" : `${path}.`;
    const known = new Set<string>();
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const wire = wireName(this.dialect, name, ref);
      known.add(wire);
      const v = value[wire];
      if (v === undefined || v === null) {
        if (shape.required?.includes(name))
          this.problems.push({
            kind: "missing",
            path: `${prefix}${wire}`,
            member: name,
            value: v,
            constraint: "",
          });
        continue;
      }
      this.check(v, ref.shape, `${prefix}${wire}`, name);
    }
    if (topLevel && this.dialect === "ec2") {
      for (const key of Object.keys(value)) {
        if (!known.has(key) && !QUERY_ENVELOPE.test(key))
          this.problems.push({ kind: "unknown", path: key, member: key, value: value[key], constraint: "" });
      }
    }
  }
}

const show = (v: unknown) => (typeof v === "string" ? v : (JSON.stringify(v) ?? String(v)));

function refusal(service: ModelService, p: Problem): AwsError {
  if (service === "ec2") {
    if (p.kind === "missing")
      return new AwsError("MissingParameter", `The request must contain the parameter ${p.path}`);
    if (p.kind === "unknown")
      return new AwsError("UnknownParameter", `The parameter ${p.path} is not recognized`);
    return new AwsError(
      "InvalidParameterValue",
      `Value (${show(p.value)}) for parameter ${p.path} is invalid. ${p.constraint}`,
    );
  }
  if (service === "cloudwatch") {
    if (p.kind === "missing") return new AwsError("MissingParameter", `The parameter ${p.path} is required.`);
    return new AwsError(
      "InvalidParameterValue",
      `The value ${show(p.value)} for parameter ${p.path} is invalid. ${p.constraint}`,
    );
  }
  const value = p.kind === "missing" ? "null" : `'${show(p.value)}'`;
  const constraint = p.kind === "missing" ? "Member must not be null" : p.constraint;
  return new AwsError(
    service === "ssm" || service === "stepfunctions" ? "ValidationException" : "ValidationError",
    `1 validation error detected: Value ${value} at '${lowerFirst(p.member)}' failed to satisfy constraint: ${constraint}`,
  );
}

/** The service's refusal of the first problem found, if any; an action the model lacks passes. */
export function validationError(
  service: ModelService | "events",
  protocol: "query" | "json",
  action: string,
  input: Input,
): AwsError | undefined {
  if (service === "events") return undefined;
  const model = MODELS[service];
  const shapeName = model.operations[action];
  if (shapeName === undefined) return undefined;
  const shape = model.shapes[shapeName] as Shape;
  const dialect: Dialect = service === "ec2" ? "ec2" : protocol === "json" ? "json" : "query";
  const walker = new Walker(model, dialect);
  walker.structure(input, shape, "", true);
  const order = { unknown: 0, missing: 1, invalid: 2 } as const;
  const first = walker.problems.sort((a, b) => order[a.kind] - order[b.kind])[0];
  return first && refusal(service, first);
}
