import type { RegionState, Tags } from "../ec2/model";
import { type Input, objList, str, strList } from "../protocol/input";
import type { Route } from "../routing";
import type { RequestContext } from "./conditions";
import { ec2Checks } from "./ec2-requests";
import type { AuthorizationCheck } from "./policy";
import { ssmChecks } from "./ssm-requests";

export interface RequestEnvironment {
  accountId: string;
  partition: string;
  principalArn: string;
  now: Date;
  ec2State(region: string): RegionState;
  /** The tags of the account's SSM document `name` in `region`, if it exists. */
  ssmDocumentTags?(region: string, name: string): Tags | undefined;
}

/**
 * Global keys present in every request.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 */
export function baseContext(
  service: string | undefined,
  region: string,
  env: RequestEnvironment,
): RequestContext {
  const entries: [string, string][] = [
    ["aws:RequestedRegion", region],
    ["aws:PrincipalAccount", env.accountId],
    ["aws:PrincipalArn", env.principalArn],
    ["aws:CurrentTime", env.now.toISOString()],
    ["aws:EpochTime", String(Math.floor(env.now.getTime() / 1000))],
    // The emulator is plain HTTP on 127.0.0.1.
    ["aws:SecureTransport", "false"],
  ];
  if (service === "ec2") entries.push(["ec2:Region", region]);
  return new Map(entries.map(([k, v]) => [k.toLowerCase(), [v]]));
}

function single(action: string, resource: string, base: RequestContext, extra: [string, string[]][] = []) {
  const context = new Map(base);
  for (const [k, v] of extra) context.set(k.toLowerCase(), v);
  return { action, resource, context };
}

/**
 * CloudWatch: PutMetricData has no resource-level permissions and is scoped by
 * `cloudwatch:namespace`; alarm actions are authorized against the alarm's ARN.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
 */
function cloudWatchChecks(r: Route, env: RequestEnvironment, base: RequestContext): AuthorizationCheck[] {
  const action = `cloudwatch:${r.action}`;
  const alarmArn = (name: string) =>
    `arn:${env.partition}:cloudwatch:${r.region}:${env.accountId}:alarm:${name}`;
  if (r.action === "PutMetricData")
    return [single(action, "*", base, [["cloudwatch:namespace", [str(r.input, "Namespace") ?? ""]]])];
  if (r.action === "PutMetricAlarm") {
    const tags = objList(r.input, "Tags").map((t) => [str(t, "Key") ?? "", str(t, "Value") ?? ""] as const);
    const extra: [string, string[]][] = [
      ...tags.map(([k, v]): [string, string[]] => [`aws:RequestTag/${k}`, [v]]),
      ...(tags.length > 0 ? [["aws:TagKeys", tags.map(([k]) => k)] as [string, string[]]] : []),
    ];
    return [single(action, alarmArn(str(r.input, "AlarmName") ?? ""), base, extra)];
  }
  if (r.action === "SetAlarmState") return [single(action, alarmArn(str(r.input, "AlarmName") ?? ""), base)];
  if (r.action === "DeleteAlarms")
    return strList(r.input, "AlarmNames").map((n) => single(action, alarmArn(n), base));
  return [single(action, "*", base)];
}

/**
 * SNS: topic actions are authorized against the topic's ARN.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html
 */
function snsChecks(r: Route, env: RequestEnvironment, base: RequestContext): AuthorizationCheck[] {
  const action = `sns:${r.action}`;
  const topicArn = str(r.input, "TopicArn") ?? str(r.input, "TargetArn") ?? str(r.input, "ResourceArn");
  if (r.action === "CreateTopic")
    return [
      single(
        action,
        `arn:${env.partition}:sns:${r.region}:${env.accountId}:${str(r.input, "Name") ?? ""}`,
        base,
      ),
    ];
  if (topicArn !== undefined) return [single(action, topicArn, base)];
  return [single(action, "*", base)];
}

/** Every (action, resource) pair the request must be allowed, with each one's context keys. */
export function authorizationChecks(r: Route, env: RequestEnvironment): AuthorizationCheck[] {
  const base = baseContext(r.service, r.region, env);
  if (r.service === "ec2") {
    return ec2Checks(r.action, {
      region: r.region,
      accountId: env.accountId,
      partition: env.partition,
      input: r.input as Input,
      base,
      state: env.ec2State,
    });
  }
  if (r.service === "cloudwatch") return cloudWatchChecks(r, env, base);
  if (r.service === "sns") return snsChecks(r, env, base);
  if (r.service === "ssm") {
    return ssmChecks({
      region: r.region,
      accountId: env.accountId,
      partition: env.partition,
      action: r.action,
      input: r.input as Input,
      base,
      ec2: env.ec2State(r.region),
      documentTags: (name) => env.ssmDocumentTags?.(r.region, name),
    });
  }
  return [];
}
