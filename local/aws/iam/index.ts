import type { IncomingHttpHeaders } from "node:http";
import type { EmulatorClock } from "../clock";
import type { RegionState } from "../ec2/model";
import type { AwsError } from "../errors";
import { str } from "../protocol/input";
import type { Route } from "../routing";
import { denial } from "./errors";
import { evaluate, type PolicyStatement, validateStatements } from "./policy";
import { authorizationChecks } from "./requests";

export type { ConditionBlock } from "./conditions";
export type { AuthorizationCheck, Decision, PolicyStatement } from "./policy";
export { evaluate } from "./policy";

/**
 * IAM enforcement. Requests signed (SigV4) with an access key id listed in `principals` are
 * evaluated against that key's identity-based policy statements; any other key is unrestricted
 * (an administrator: test setup, demo fleets).
 */
export interface IamOptions {
  principals: Record<string /* accessKeyId */, PolicyStatement[]>;
  /** The ARN a denial names for a key; `arn:aws:iam::<account>:user/<accessKeyId>` by default. */
  principalArns?: Record<string, string>;
}

export interface IamEnvironment {
  accountId: string;
  clock: EmulatorClock;
  ec2State(region: string): RegionState;
}

/** The access key id from a SigV4 Authorization header, or from a presigned URL's X-Amz-Credential. */
export function accessKeyIdOf(headers: IncomingHttpHeaders, input: Route["input"]): string | undefined {
  const raw = headers.authorization;
  const auth = Array.isArray(raw) ? raw[0] : raw;
  const fromHeader = /Credential=([^/,\s]+)\//.exec(auth ?? "")?.[1];
  return fromHeader ?? str(input, "X-Amz-Credential")?.split("/")[0];
}

export class IamAuthorizer {
  private readonly principals: Map<string, PolicyStatement[]>;

  constructor(
    private readonly options: IamOptions | undefined,
    private readonly env: IamEnvironment,
  ) {
    this.principals = new Map(Object.entries(options?.principals ?? {}));
    for (const [key, statements] of this.principals) validateStatements(statements, `iam principal ${key}`);
  }

  /** `undefined` when the request may proceed, else the service's own authorization error. */
  authorize(r: Route, headers: IncomingHttpHeaders): AwsError | undefined {
    if (this.principals.size === 0 || r.service === undefined || r.action === "") return undefined;
    const accessKeyId = accessKeyIdOf(headers, r.input);
    const statements = accessKeyId !== undefined ? this.principals.get(accessKeyId) : undefined;
    if (!statements || accessKeyId === undefined) return undefined;
    const principalArn =
      this.options?.principalArns?.[accessKeyId] ?? `arn:aws:iam::${this.env.accountId}:user/${accessKeyId}`;
    const checks = authorizationChecks(r, {
      accountId: this.env.accountId,
      principalArn,
      now: this.env.clock.now(),
      ec2State: (region) => this.env.ec2State(region),
    });
    for (const check of checks) {
      const decision = evaluate(statements, check);
      if (decision !== "allow") return denial(r.service, principalArn, check, decision);
    }
    return undefined;
  }
}
