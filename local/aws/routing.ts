import type { IncomingHttpHeaders } from "node:http";
import { CLOUDWATCH_TARGET, CloudWatchService } from "./cloudwatch";
import { Ec2Service } from "./ec2";
import { AwsError } from "./errors";
import { EVENTS_TARGET } from "./events";
import { type Input, node, parseForm, parseJson } from "./protocol/input";
import { isKnownRegion } from "./protocol/regions";
import { SnsService } from "./sns";
import { SSM_TARGET } from "./ssm";
import { STEP_FUNCTIONS_TARGET } from "./stepfunctions";

export type ServiceName = "ec2" | "cloudwatch" | "sns" | "ssm" | "stepfunctions" | "events";

/** What the headers alone say about a request: enough to answer it in its own protocol. */
export interface Envelope {
  service: ServiceName | undefined;
  region: string;
  protocol: "query" | "json";
  /** The SigV4 signing name or X-Amz-Target prefix of a service the emulator does not serve. */
  unknownService: string | undefined;
  /** The JSON content type the request used (`application/x-amz-json-1.0` or `-1.1`). */
  jsonContentType: string;
  /** Set when the request must be refused whatever it asks (a credential scope naming no region). */
  refusal: AwsError | undefined;
}

export interface Route extends Envelope {
  action: string;
  input: Input;
}

export const DEFAULT_REGION = "us-east-1";

/** SigV4 signing names, from the credential scope. */
const SIGNING_NAMES: Record<string, ServiceName> = {
  ec2: "ec2",
  monitoring: "cloudwatch",
  sns: "sns",
  ssm: "ssm",
  states: "stepfunctions",
  events: "events",
};
/** X-Amz-Target prefixes of the JSON services, for requests without a SigV4 credential scope. */
const TARGETS: Record<string, ServiceName> = {
  [CLOUDWATCH_TARGET]: "cloudwatch",
  [SSM_TARGET]: "ssm",
  [STEP_FUNCTIONS_TARGET]: "stepfunctions",
  [EVENTS_TARGET]: "events",
};
const VERSIONS: Record<string, ServiceName> = {
  "2016-11-15": "ec2",
  "2010-08-01": "cloudwatch",
  "2010-03-31": "sns",
};

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * A credential scope naming a region AWS does not have is refused by SigV4 itself, before any
 * service rule: EC2 answers `AuthFailure` (401), the other query services `SignatureDoesNotMatch`
 * (403), JSON services `InvalidSignatureException` (403).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (AuthFailure)
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html
 */
function regionRefusal(service: ServiceName | undefined, protocol: "query" | "json", region: string) {
  const message = `Credential should be scoped to a valid region, not '${region}'.`;
  if (protocol === "json") return new AwsError("InvalidSignatureException", message, 403);
  if (service === "ec2" || service === undefined) return new AwsError("AuthFailure", message, 401);
  return new AwsError("SignatureDoesNotMatch", message, 403);
}

/**
 * Service and region come from the SigV4 credential scope
 * (`Credential=AKID/20260101/us-east-1/ec2/aws4_request`); signatures are not checked. Without
 * one, X-Amz-Target, the API Version and finally the action name decide.
 */
export function envelope(headers: IncomingHttpHeaders): Envelope {
  const scope = /Credential=[^/,]+\/\d{8}\/([^/,]+)\/([^/,]+)\/aws4_request/.exec(
    header(headers, "authorization") ?? "",
  );
  const region = scope?.[1] ?? DEFAULT_REGION;
  const signingName = scope?.[2];
  let service = signingName !== undefined ? SIGNING_NAMES[signingName] : undefined;
  let unknownService = signingName !== undefined && service === undefined ? signingName : undefined;
  const target = header(headers, "x-amz-target");
  const contentType = header(headers, "content-type") ?? "";
  const protocol =
    target !== undefined || contentType.startsWith("application/x-amz-json") ? "json" : "query";
  if (target !== undefined) {
    const prefix = target.split(".")[0] ?? "";
    const byTarget = TARGETS[prefix];
    if (byTarget !== undefined) service ??= byTarget;
    else if (signingName === undefined) unknownService = prefix;
  }
  return {
    service,
    region,
    protocol,
    unknownService,
    jsonContentType: contentType.startsWith("application/x-amz-json-1.1")
      ? "application/x-amz-json-1.1"
      : "application/x-amz-json-1.0",
    refusal: isKnownRegion(region) ? undefined : regionRefusal(service, protocol, region),
  };
}

/**
 * The whole route, once the body is read. Throws `MalformedInputError` on a body that cannot be
 * read (the caller answers in the envelope's protocol).
 */
export function route(env: Envelope, headers: IncomingHttpHeaders, url: string, body: string): Route {
  if (env.protocol === "json") {
    const target = header(headers, "x-amz-target") ?? "";
    const action = target.includes(".") ? target.slice(target.indexOf(".") + 1) : "";
    if (env.refusal || env.unknownService !== undefined) return { ...env, action, input: node() };
    return { ...env, action, input: parseJson(body) };
  }
  const query = url.includes("?") ? url.slice(url.indexOf("?") + 1) : "";
  const input = parseForm([query, body].filter((s) => s !== "").join("&"));
  const action = typeof input.Action === "string" ? input.Action : "";
  const version = typeof input.Version === "string" ? input.Version : "";
  const service =
    env.service ?? (env.unknownService === undefined ? (VERSIONS[version] ?? byAction(action)) : undefined);
  return { ...env, service, action, input };
}

function byAction(action: string): ServiceName | undefined {
  if (Ec2Service.handles(action)) return "ec2";
  if (CloudWatchService.handles(action)) return "cloudwatch";
  if (SnsService.handles(action)) return "sns";
  return undefined;
}
