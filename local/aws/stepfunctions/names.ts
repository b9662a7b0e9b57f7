import { AwsError } from "../errors";
import { type Input, num, str } from "../protocol/input";

/**
 * Names and ARNs as Step Functions spells them, and the errors it answers for bad ones.
 * - Names (state machines, executions): 1 to 80 characters, none of whitespace, brackets `< > { } [ ]`,
 *   wildcards `? *`, the special characters `" # % \ ^ | ~ ` $ & , ; : /`, or control characters
 *   (U+0000-001F, U+007F-009F): `InvalidName`.
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html#StepFunctions-CreateStateMachine-request-name
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name
 * - ARNs: `arn:aws:states:<region>:<account>:stateMachine:<name>`,
 *   `...:execution:<state machine name>:<execution name>`, a Map Run
 *   `...:mapRun:<state machine name>/<label>:<id>` and its children `...:execution:<state machine name>/<label>:<name>`;
 *   anything else is `InvalidArn`.
 *   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html
 * Every error is HTTP 400 (awsJson1_0 client errors).
 */
export const MAX_NAME_LENGTH = 80;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what AWS refuses
const FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

export function checkName(name: string, what: "state machine" | "execution"): void {
  if (name.length < 1 || name.length > MAX_NAME_LENGTH || FORBIDDEN.test(name)) {
    throw new AwsError(
      "InvalidName",
      `Invalid Name: '${name}' (a ${what} name has 1 to ${MAX_NAME_LENGTH} characters, without whitespace, brackets, wildcards, control characters or any of " # % \\ ^ | ~ \` $ & , ; : /)`,
    );
  }
}

export interface ParsedArn {
  region: string;
  accountId: string;
  resourceType: string;
  /** What follows the resource type, e.g. `name` or `machine:execution`. */
  resource: string;
}

const ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):([A-Za-z]+):(.+)$/;

/** An ARN of `type`, or `InvalidArn` saying what is wrong with it. */
export function parseArn(arn: string | undefined, type: "stateMachine" | "execution" | "mapRun"): ParsedArn {
  const m = ARN.exec(arn ?? "");
  if (!m) throw new AwsError("InvalidArn", `Invalid Arn: 'Invalid ARN prefix: ${arn ?? ""}'`);
  const [, region = "", accountId = "", resourceType = "", resource = ""] = m;
  if (resourceType !== type) {
    throw new AwsError(
      "InvalidArn",
      `Invalid Arn: 'Resource type not valid in this context: ${resourceType}'`,
    );
  }
  return { region, accountId, resourceType, resource };
}

export const stateMachineArn = (region: string, accountId: string, name: string) =>
  `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;

export const executionArn = (region: string, accountId: string, machine: string, name: string) =>
  `arn:aws:states:${region}:${accountId}:execution:${machine}:${name}`;

export function stateMachineDoesNotExist(arn: string): AwsError {
  return new AwsError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
}

export function executionDoesNotExist(arn: string): AwsError {
  return new AwsError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
}

/**
 * Pagination: `nextToken` is opaque to callers; here it is the offset into the listing, tied to the
 * operation that issued it, so a token from another listing is refused with `InvalidToken`.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html#StepFunctions-ListExecutions-request-nextToken
 */
export function page<T>(
  items: T[],
  input: { maxResults?: number | undefined; nextToken?: string | undefined },
  scope: string,
): { items: T[]; nextToken?: string } {
  const max = input.maxResults ?? 0;
  if (!Number.isInteger(max) || max < 0 || max > 1000) {
    throw new AwsError(
      "ValidationException",
      `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
    );
  }
  const size = max === 0 ? 100 : max;
  let start = 0;
  if (input.nextToken !== undefined) {
    const decoded = Buffer.from(input.nextToken, "base64url").toString("utf8");
    const [tokenScope, offset] = [
      decoded.slice(0, decoded.lastIndexOf("#")),
      decoded.slice(decoded.lastIndexOf("#") + 1),
    ];
    if (tokenScope !== scope || !/^\d+$/.test(offset ?? "")) {
      throw new AwsError("InvalidToken", `Invalid Token: '${input.nextToken}'`);
    }
    start = Number(offset);
  }
  const slice = items.slice(start, start + size);
  const end = start + slice.length;
  return end < items.length
    ? { items: slice, nextToken: Buffer.from(`${scope}#${end}`, "utf8").toString("base64url") }
    : { items: slice };
}

/** AWS's wording for a request that breaks a modeled constraint. */
export const validation = (member: string, constraint: string, value: unknown = null) =>
  new AwsError(
    "ValidationException",
    `1 validation error detected: Value ${value === null ? "null" : `'${String(value)}'`} at '${member}' failed to satisfy constraint: ${constraint}`,
  );

export function required(input: Input, member: string): string {
  const value = str(input, member);
  if (value === undefined) throw validation(member, "Member must not be null");
  return value;
}

export function pageInput(input: Input): { maxResults?: number; nextToken?: string } {
  const maxResults = num(input, "maxResults");
  const nextToken = str(input, "nextToken");
  return {
    ...(maxResults !== undefined ? { maxResults } : {}),
    ...(nextToken !== undefined ? { nextToken } : {}),
  };
}
