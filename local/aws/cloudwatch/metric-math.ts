import { invalidParameterValue } from "../errors";

/** A time series: timestamp (ms) → value. */
export type Series = Map<number, number>;
type Value = number | Series | Series[];

/**
 * A subset of CloudWatch metric math: numbers, query ids, `+ - * /`, parentheses, unary minus,
 * `METRICS()` (every MetricStat query) and `SUM`, `AVG`, `MIN`, `MAX` of a list of series (per
 * timestamp). `SEARCH(...)` and the other functions are refused with InvalidParameterValue rather
 * than answered wrongly.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
 */
export function evaluateExpression(
  expression: string,
  id: string,
  series: Map<string, Series>,
  metrics: Series[],
): Series {
  const tokens =
    expression.match(/\s*(\d+(\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/(),]|\S)/g)?.map((t) => t.trim()) ?? [];
  let at = 0;
  const fail = (why: string) => invalidParameterValue(`Error in expression ${id}: ${why}`);
  const peek = () => tokens[at];
  const take = (want?: string) => {
    const t = tokens[at++];
    if (t === undefined || (want !== undefined && t !== want)) throw fail(`expected ${want ?? "a value"}`);
    return t;
  };

  const combine = (a: Value, b: Value, op: (x: number, y: number) => number): Value => {
    if (Array.isArray(a) || Array.isArray(b))
      throw fail("an array of series cannot be used with an operator");
    if (typeof a === "number" && typeof b === "number") return op(a, b);
    const out: Series = new Map();
    const keys = new Set([
      ...(typeof a === "number" ? [] : a.keys()),
      ...(typeof b === "number" ? [] : b.keys()),
    ]);
    for (const k of keys) {
      const x = typeof a === "number" ? a : a.get(k);
      const y = typeof b === "number" ? b : b.get(k);
      if (x !== undefined && y !== undefined) out.set(k, op(x, y));
    }
    return out;
  };

  const reduce = (name: string, arg: Value): Value => {
    const pick: Record<string, (xs: number[]) => number> = {
      SUM: (xs) => xs.reduce((s, x) => s + x, 0),
      AVG: (xs) => xs.reduce((s, x) => s + x, 0) / xs.length,
      MIN: (xs) => Math.min(...xs),
      MAX: (xs) => Math.max(...xs),
    };
    const f = pick[name];
    if (!f) throw fail(`the function ${name} is not supported by the emulator`);
    if (typeof arg === "number") return arg;
    if (!Array.isArray(arg)) return f([...arg.values()]);
    const out: Series = new Map();
    const keys = new Set(arg.flatMap((s) => [...s.keys()]));
    for (const k of [...keys].sort((x, y) => x - y)) {
      const xs = arg.map((s) => s.get(k)).filter((x): x is number => x !== undefined);
      out.set(k, f(xs));
    }
    return out;
  };

  const factor = (): Value => {
    const t = take();
    if (t === "-") return combine(0, factor(), (x, y) => x - y);
    if (t === "(") {
      const v = sum();
      take(")");
      return v;
    }
    if (/^\d/.test(t)) return Number(t);
    if (peek() === "(") {
      take("(");
      if (t === "METRICS") {
        take(")");
        return metrics;
      }
      const arg = sum();
      take(")");
      return reduce(t, arg);
    }
    const s = series.get(t);
    if (!s) throw fail(`unknown id ${t}`);
    return s;
  };
  const product = (): Value => {
    let v = factor();
    while (peek() === "*" || peek() === "/") {
      const op = take();
      v = combine(v, factor(), op === "*" ? (x, y) => x * y : (x, y) => x / y);
    }
    return v;
  };
  const sum = (): Value => {
    let v = product();
    while (peek() === "+" || peek() === "-") {
      const op = take();
      v = combine(v, product(), op === "+" ? (x, y) => x + y : (x, y) => x - y);
    }
    return v;
  };

  const result = sum();
  if (at !== tokens.length) throw fail(`unexpected ${tokens[at]}`);
  if (typeof result === "number" || Array.isArray(result))
    throw fail("the expression must return a time series");
  return result;
}
