import { type ConditionBlock, conditionsHold, parseOperator, type RequestContext } from "./conditions";
import { actionMatch, arnMatch } from "./match";

/** One statement of an identity-based policy, as IAM's JSON grammar spells it. */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: ConditionBlock;
}

/** One (action, resource) pair a request is authorized against, with its context keys. */
export interface AuthorizationCheck {
  action: string;
  resource: string;
  context: RequestContext;
}

export type Decision = "allow" | "implicitDeny" | "explicitDeny";

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/**
 * Rejects what IAM itself would refuse to store (and what the emulator cannot evaluate), so that a
 * policy is never silently half-understood. Throws naming the statement.
 */
export function validateStatements(statements: PolicyStatement[], owner: string): void {
  statements.forEach((s, n) => {
    const where = `${owner}: statement ${s.Sid ?? n}`;
    if (s.Effect !== "Allow" && s.Effect !== "Deny")
      throw new Error(`${where}: Effect must be Allow or Deny`);
    if ((s.Action === undefined) === (s.NotAction === undefined))
      throw new Error(`${where}: exactly one of Action and NotAction is required`);
    if ((s.Resource === undefined) === (s.NotResource === undefined))
      throw new Error(`${where}: exactly one of Resource and NotResource is required`);
    for (const v of [...list(s.Action), ...list(s.NotAction), ...list(s.Resource), ...list(s.NotResource)]) {
      if (typeof v !== "string") throw new Error(`${where}: unresolved value ${JSON.stringify(v)}`);
    }
    for (const operator of Object.keys(s.Condition ?? {})) {
      try {
        parseOperator(operator);
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
    }
  });
}

function applies(s: PolicyStatement, check: AuthorizationCheck): boolean {
  const actionOk =
    s.Action !== undefined
      ? list(s.Action).some((p) => actionMatch(p, check.action))
      : !list(s.NotAction).some((p) => actionMatch(p, check.action));
  if (!actionOk) return false;
  const resourceOk =
    s.Resource !== undefined
      ? list(s.Resource).some((p) => arnMatch(p, check.resource))
      : !list(s.NotResource).some((p) => arnMatch(p, check.resource));
  return resourceOk && conditionsHold(s.Condition, check.context);
}

/**
 * Identity-based policies of one principal in one account: an explicit Deny wins; otherwise a
 * matching Allow is needed; otherwise the request is implicitly denied.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
export function evaluate(statements: PolicyStatement[], check: AuthorizationCheck): Decision {
  const matching = statements.filter((s) => applies(s, check));
  if (matching.some((s) => s.Effect === "Deny")) return "explicitDeny";
  return matching.some((s) => s.Effect === "Allow") ? "allow" : "implicitDeny";
}
