import type { IncomingHttpHeaders } from "node:http";
import { CLOUDWATCH_TARGET, CloudWatchService } from "./cloudwatch";
import { Ec2Service } from "./ec2";
import { type Input, parseForm } from "./protocol/input";
import { SnsService } from "./sns";

export type ServiceName = "ec2" | "cloudwatch" | "sns";

export interface Route {
  service: ServiceName | undefined;
  region: string;
  action: string;
  protocol: "query" | "json";
  input: Input;
}

export const DEFAULT_REGION = "us-east-1";

/** SigV4 signing names, from the credential scope. */
const SIGNING_NAMES: Record<string, ServiceName> = { ec2: "ec2", monitoring: "cloudwatch", sns: "sns" };
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
 * Service and region come from the SigV4 credential scope
 * (`Credential=AKID/20260101/us-east-1/ec2/aws4_request`); signatures are not checked. Without
 * one, X-Amz-Target, the API Version and finally the action name decide.
 */
export function route(headers: IncomingHttpHeaders, url: string, body: string): Route {
  const scope = /Credential=[^/,]+\/\d{8}\/([^/,]+)\/([^/,]+)\/aws4_request/.exec(
    header(headers, "authorization") ?? "",
  );
  const region = scope?.[1] ?? DEFAULT_REGION;
  let service = scope?.[2] !== undefined ? SIGNING_NAMES[scope[2]] : undefined;
  const target = header(headers, "x-amz-target");
  if (target !== undefined) {
    const [prefix, action = ""] = target.split(".");
    if (prefix === CLOUDWATCH_TARGET) service ??= "cloudwatch";
    return {
      service,
      region,
      action,
      protocol: "json",
      input: body.trim() === "" ? {} : (JSON.parse(body) as Input),
    };
  }
  const query = url.includes("?") ? url.slice(url.indexOf("?") + 1) : "";
  const input = parseForm([query, body].filter((s) => s !== "").join("&"));
  const action = typeof input.Action === "string" ? input.Action : "";
  const version = typeof input.Version === "string" ? input.Version : "";
  service ??= VERSIONS[version] ?? byAction(action);
  return { service, region, action, protocol: "query", input };
}

function byAction(action: string): ServiceName | undefined {
  if (Ec2Service.handles(action)) return "ec2";
  if (CloudWatchService.handles(action)) return "cloudwatch";
  if (SnsService.handles(action)) return "sns";
  return undefined;
}
