import { arnMatch, globMatch } from "./match";

/**
 * The Condition element: every operator block must hold, every key within a block must hold, and
 * a key holds when the request's value matches any of the policy's values (none of them, for the
 * negated operators).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
export type ConditionValue = string | number | boolean;
export type ConditionBlock = Record<string, Record<string, ConditionValue | ConditionValue[]>>;

/** Request context: keys in lower case (IAM's key names are case-insensitive), one or more values. */
export type RequestContext = Map<string, string[]>;

interface Operator {
  /** true for StringNotEquals & co: the key holds when no policy value matches. */
  negated: boolean;
  matches(requestValue: string, policyValue: string): boolean;
}

const num = (s: string) => Number(s);
const time = (s: string) => (/^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s));

const OPERATORS: Record<string, Operator> = {
  StringEquals: { negated: false, matches: (r, p) => r === p },
  StringNotEquals: { negated: true, matches: (r, p) => r === p },
  StringEqualsIgnoreCase: { negated: false, matches: (r, p) => r.toLowerCase() === p.toLowerCase() },
  StringNotEqualsIgnoreCase: { negated: true, matches: (r, p) => r.toLowerCase() === p.toLowerCase() },
  StringLike: { negated: false, matches: (r, p) => globMatch(p, r) },
  StringNotLike: { negated: true, matches: (r, p) => globMatch(p, r) },
  NumericEquals: { negated: false, matches: (r, p) => num(r) === num(p) },
  NumericNotEquals: { negated: true, matches: (r, p) => num(r) === num(p) },
  NumericLessThan: { negated: false, matches: (r, p) => num(r) < num(p) },
  NumericLessThanEquals: { negated: false, matches: (r, p) => num(r) <= num(p) },
  NumericGreaterThan: { negated: false, matches: (r, p) => num(r) > num(p) },
  NumericGreaterThanEquals: { negated: false, matches: (r, p) => num(r) >= num(p) },
  DateEquals: { negated: false, matches: (r, p) => time(r) === time(p) },
  DateNotEquals: { negated: true, matches: (r, p) => time(r) === time(p) },
  DateLessThan: { negated: false, matches: (r, p) => time(r) < time(p) },
  DateLessThanEquals: { negated: false, matches: (r, p) => time(r) <= time(p) },
  DateGreaterThan: { negated: false, matches: (r, p) => time(r) > time(p) },
  DateGreaterThanEquals: { negated: false, matches: (r, p) => time(r) >= time(p) },
  Bool: { negated: false, matches: (r, p) => r.toLowerCase() === p.toLowerCase() },
  ArnEquals: { negated: false, matches: (r, p) => arnMatch(p, r) },
  ArnLike: { negated: false, matches: (r, p) => arnMatch(p, r) },
  ArnNotEquals: { negated: true, matches: (r, p) => arnMatch(p, r) },
  ArnNotLike: { negated: true, matches: (r, p) => arnMatch(p, r) },
};

interface ParsedOperator {
  set: "ForAnyValue" | "ForAllValues" | undefined;
  name: string;
  ifExists: boolean;
}

/** `ForAnyValue:StringLikeIfExists` → set qualifier, base operator, IfExists. */
export function parseOperator(operator: string): ParsedOperator {
  const [first, second] = operator.split(":");
  const qualified = second !== undefined;
  const set = qualified ? first : undefined;
  let name = (qualified ? second : first) ?? "";
  const ifExists = name.endsWith("IfExists");
  if (ifExists) name = name.slice(0, -"IfExists".length);
  if (set !== undefined && set !== "ForAnyValue" && set !== "ForAllValues")
    throw new Error(`unsupported condition set operator ${set} in ${operator}`);
  if (name !== "Null" && !(name in OPERATORS)) throw new Error(`unsupported condition operator ${operator}`);
  if (name === "Null" && (ifExists || set !== undefined))
    throw new Error(`${operator}: Null takes no qualifier or IfExists`);
  return { set, name, ifExists };
}

function asStrings(value: ConditionValue | ConditionValue[]): string[] {
  return (Array.isArray(value) ? value : [value]).map(String);
}

function keyHolds(op: ParsedOperator, requestValues: string[] | undefined, policyValues: string[]): boolean {
  const present = requestValues !== undefined && requestValues.length > 0;
  if (op.name === "Null") {
    const wantsAbsent = policyValues.some((v) => v.toLowerCase() === "true");
    return wantsAbsent ? !present : present;
  }
  const operator = OPERATORS[op.name] as Operator;
  const anyPolicyMatch = (r: string) => policyValues.some((p) => operator.matches(r, p));
  const holdsFor = (r: string) => (operator.negated ? !anyPolicyMatch(r) : anyPolicyMatch(r));
  if (op.set === "ForAllValues") return !present || requestValues.every(holdsFor);
  if (op.set === "ForAnyValue") return present && requestValues.some(holdsFor);
  if (!present) return op.ifExists || operator.negated;
  return operator.negated ? requestValues.every(holdsFor) : requestValues.some(holdsFor);
}

export function conditionsHold(block: ConditionBlock | undefined, context: RequestContext): boolean {
  if (!block) return true;
  return Object.entries(block).every(([operator, keys]) => {
    const op = parseOperator(operator);
    return Object.entries(keys).every(([key, value]) =>
      keyHolds(op, context.get(key.toLowerCase()), asStrings(value)),
    );
  });
}
