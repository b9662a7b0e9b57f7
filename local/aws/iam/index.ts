import type { IncomingHttpHeaders } from "node:http";
import type { EmulatorClock } from "../clock";
import type { RegionState, Tags } from "../ec2/model";
import type { AwsError } from "../errors";
import { str } from "../protocol/input";
import type { Route } from "../routing";
import type { S3Reply } from "../s3";
import { denial } from "./errors";
import {
  type AuthorizationCheck,
  type Decision,
  evaluate,
  type PolicyStatement,
  validateStatements,
} from "./policy";
import { authorizationChecks, baseContext, type RequestEnvironment } from "./requests";
import { s3Check } from "./s3-requests";

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
  /** The ARN a denial names for a key; `arn:<partition>:iam::<account>:user/<accessKeyId>` by default. */
  principalArns?: Record<string, string>;
  /**
   * The partition every ARN the emulator authorizes is in: `aws` by default; `aws-us-gov` or
   * `aws-cn` check that a policy holds in GovCloud or China (where an `arn:aws:` literal matches nothing).
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
   */
  partition?: string;
}

export interface IamEnvironment {
  accountId: string;
  clock: EmulatorClock;
  ec2State(region: string): RegionState;
  ssmDocumentTags?(region: string, name: string): Tags | undefined;
}

const credentialOf = (headers: IncomingHttpHeaders): string => {
  const raw = headers.authorization;
  return (Array.isArray(raw) ? raw[0] : raw) ?? "";
};

/** The access key id from a SigV4 Authorization header, or from a presigned URL's X-Amz-Credential. */
export function accessKeyIdOf(headers: IncomingHttpHeaders, input: Route["input"]): string | undefined {
  const fromHeader = /Credential=([^/,\s]+)\//.exec(credentialOf(headers))?.[1];
  return fromHeader ?? str(input, "X-Amz-Credential")?.split("/")[0];
}

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");

export class IamAuthorizer {
  private principals = new Map<string, PolicyStatement[]>();
  private options: IamOptions | undefined;

  constructor(
    options: IamOptions | undefined,
    private readonly env: IamEnvironment,
  ) {
    this.setOptions(options);
  }

  /** Installs (or, with `undefined`, removes) the enforced principals. Throws on a malformed statement. */
  setOptions(options: IamOptions | undefined): void {
    const principals = new Map(Object.entries(options?.principals ?? {}));
    for (const [key, statements] of principals) validateStatements(statements, `iam principal ${key}`);
    this.principals = principals;
    this.options = options;
  }

  /** The restricted principal who signed the request, if any. */
  private principal(accessKeyId: string | undefined) {
    const statements = accessKeyId !== undefined ? this.principals.get(accessKeyId) : undefined;
    if (!statements || accessKeyId === undefined) return undefined;
    const partition = this.options?.partition ?? "aws";
    const env: RequestEnvironment = {
      accountId: this.env.accountId,
      partition,
      principalArn:
        this.options?.principalArns?.[accessKeyId] ??
        `arn:${partition}:iam::${this.env.accountId}:user/${accessKeyId}`,
      now: this.env.clock.now(),
      ec2State: (region) => this.env.ec2State(region),
      ssmDocumentTags: (region, name) => this.env.ssmDocumentTags?.(region, name),
    };
    return { statements, env };
  }

  /** The first check the statements do not allow, with its decision. */
  private refused(statements: PolicyStatement[], checks: AuthorizationCheck[]) {
    for (const check of checks) {
      const decision = evaluate(statements, check);
      if (decision !== "allow") return { check, decision };
    }
    return undefined;
  }

  /** `undefined` when the request may proceed, else the service's own authorization error. */
  authorize(r: Route, headers: IncomingHttpHeaders): AwsError | undefined {
    if (this.principals.size === 0 || r.service === undefined || r.action === "") return undefined;
    const p = this.principal(accessKeyIdOf(headers, r.input));
    if (!p) return undefined;
    const refused = this.refused(p.statements, authorizationChecks(r, p.env));
    return refused && denial(r.service, p.env.principalArn, refused.check, refused.decision);
  }

  /**
   * A request to the embedded S3: AccessDenied when the principal may not make it, else the
   * service's reply from `handle`, except that a missing object is reported as AccessDenied (403)
   * rather than NoSuchKey (404) to a principal without s3:ListBucket on the bucket, as S3 does.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_Permissions
   */
  handleS3(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    requestId: string,
    handle: () => S3Reply,
  ): S3Reply {
    const p = this.principals.size > 0 ? this.principal(accessKeyIdOf(headers, {})) : undefined;
    if (!p) return handle();
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(credentialOf(headers))?.[1] ?? "us-east-1";
    const base = baseContext("s3", region, p.env);
    const check = s3Check(method, url, base, p.env.partition);
    const refused = this.refused(p.statements, [check]);
    if (refused) return this.s3Denial(method, p.env.principalArn, refused, requestId);
    const reply = handle();
    if (reply.status !== 404 || check.action !== "s3:GetObject") return reply;
    const bucket = s3Check("GET", url.replace(/^(\/[^/?]*).*$/, "$1"), base, p.env.partition);
    const cannotList = this.refused(p.statements, [bucket]);
    return cannotList ? this.s3Denial(method, p.env.principalArn, cannotList, requestId) : reply;
  }

  private s3Denial(
    method: string,
    principalArn: string,
    refused: { check: AuthorizationCheck; decision: Exclude<Decision, "allow"> },
    requestId: string,
  ): S3Reply {
    const error = denial("s3", principalArn, refused.check, refused.decision);
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code>` +
      `<Message>${escapeXml(error.message)}</Message><RequestId>${requestId}</RequestId></Error>`;
    return {
      status: 403,
      action: refused.check.action.replace(/^s3:/, ""),
      headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
      body: method === "HEAD" ? "" : body,
    };
  }
}
