import type { RegionState, Tags } from "../ec2/model";
import { type Input, objList, str, strList } from "../protocol/input";
import { documentName, isOwnedDocument } from "../ssm";
import type { RequestContext } from "./conditions";
import type { AuthorizationCheck } from "./policy";

/**
 * What each Systems Manager action is authorized against.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
 *
 * - SendCommand: the document (`arn:aws:ssm:<region>:<account>:document/<name>`; AWS-owned ones
 *   have no account, `arn:aws:ssm:<region>::document/<name>`) and every instance it names
 *   (`arn:aws:ec2:<region>:<account>:instance/<id>`) with `ssm:resourceTag/<key>` and
 *   `aws:ResourceTag/<key>` from the instance's tags. "You must allow access to both the document
 *   and the instances." Targets by tag are authorized against `instance/*`.
 * - CreateDocument / DescribeDocument / DeleteDocument: the document, a new one with
 *   `aws:RequestTag/<key>` and `aws:TagKeys`.
 * - GetCommandInvocation, ListCommandInvocations, ListCommands, DescribeInstanceInformation: `*`.
 */
export interface SsmRequestScope {
  region: string;
  accountId: string;
  partition: string;
  action: string;
  input: Input;
  base: RequestContext;
  ec2: RegionState;
  /** The tags of the account's document of that name in the region, if it exists. */
  documentTags(name: string): Tags | undefined;
}

function check(
  s: SsmRequestScope,
  resource: string,
  extra: Record<string, string | string[]> = {},
): AuthorizationCheck {
  const context = new Map(s.base);
  for (const [k, v] of Object.entries(extra)) context.set(k.toLowerCase(), Array.isArray(v) ? v : [v]);
  return { action: `ssm:${s.action}`, resource, context };
}

function tagKeys(tags: Iterable<[string, string]>, prefixes: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of tags) for (const p of prefixes) out[`${p}/${k}`] = v;
  return out;
}

function documentCheck(s: SsmRequestScope, nameOrArn: string): AuthorizationCheck {
  const name = documentName(nameOrArn);
  const account = isOwnedDocument(name) ? "" : s.accountId;
  const tags = s.documentTags(name) ?? new Map();
  return check(
    s,
    `arn:${s.partition}:ssm:${s.region}:${account}:document/${name}`,
    tagKeys(tags, ["aws:ResourceTag", "ssm:resourceTag"]),
  );
}

export function ssmChecks(s: SsmRequestScope): AuthorizationCheck[] {
  const name = str(s.input, "DocumentName") ?? str(s.input, "Name") ?? "";
  switch (s.action) {
    case "SendCommand": {
      const instances = strList(s.input, "InstanceIds").map((id) =>
        check(
          s,
          `arn:${s.partition}:ec2:${s.region}:${s.accountId}:instance/${id}`,
          tagKeys(s.ec2.instances.get(id)?.tags ?? [], ["aws:ResourceTag", "ssm:resourceTag"]),
        ),
      );
      const byTarget = objList(s.input, "Targets").length > 0;
      const anyInstance = byTarget
        ? [check(s, `arn:${s.partition}:ec2:${s.region}:${s.accountId}:instance/*`)]
        : [];
      return [documentCheck(s, name), ...instances, ...anyInstance];
    }
    case "CreateDocument": {
      const tags = objList(s.input, "Tags").map(
        (t) => [str(t, "Key") ?? "", str(t, "Value") ?? ""] as [string, string],
      );
      return [
        check(s, `arn:${s.partition}:ssm:${s.region}:${s.accountId}:document/${name}`, {
          ...tagKeys(tags, ["aws:RequestTag"]),
          ...(tags.length > 0 ? { "aws:TagKeys": tags.map(([k]) => k) } : {}),
        }),
      ];
    }
    case "DescribeDocument":
    case "DeleteDocument":
      return [documentCheck(s, name)];
    default:
      return [check(s, "*")];
  }
}
