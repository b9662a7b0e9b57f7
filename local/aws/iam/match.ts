/**
 * IAM's wildcard matching. `*` matches any run of characters (none included), `?` exactly one.
 * The policy variables `${*}`, `${?}` and `${$}` stand for those characters themselves, e.g.
 * `snapshot/${*}` is the snapshot a call creates (its ARN ends in a literal `*`), not any snapshot.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-specialchars
 */
const compiled = new Map<string, RegExp>();

const escapeRegExp = (c: string) => c.replace(/[\\^$.|+()[\]{}*?]/g, "\\$&");

export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const cacheKey = `${ignoreCase ? "i" : "s"}${pattern}`;
  let re = compiled.get(cacheKey);
  if (!re) {
    const body = (pattern.match(/\$\{[*?$]\}|[\s\S]/g) ?? [])
      .map((c) =>
        c === "*" ? "[\\s\\S]*" : c === "?" ? "[\\s\\S]" : escapeRegExp(c.length > 1 ? (c[2] as string) : c),
      )
      .join("");
    re = new RegExp(`^${body}$`, ignoreCase ? "i" : "");
    compiled.set(cacheKey, re);
  }
  return re.test(value);
}

/** The six colon-separated parts of an ARN; the resource part keeps its own colons. */
function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}

/**
 * `ArnLike`/`ArnEquals` and the Resource element: each of the six colon-delimited components is
 * matched on its own, and each may carry `*` and `?`. A bare `*` matches every resource.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 */
export function arnMatch(pattern: string, arn: string): boolean {
  if (pattern === "*") return true;
  const p = arnParts(pattern);
  const a = arnParts(arn);
  if (!p || !a) return globMatch(pattern, arn);
  return p.every((part, n) => globMatch(part, a[n] ?? ""));
}

/** Action names are case-insensitive: `ec2:deletesnapshot` grants `ec2:DeleteSnapshot`. */
export function actionMatch(pattern: string, action: string): boolean {
  return globMatch(pattern, action, true);
}
