/**
 * A request's parameters as a plain tree, whatever the protocol: JSON bodies arrive as they are,
 * query forms (`Filter.1.Value.2=x`, `MetricData.member.1.Value=3`) are folded into the same
 * shape, so each operation reads its input once with the accessors below.
 */
export type Input = { [key: string]: unknown };

export function str(input: Input, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  return typeof v === "string" ? v : String(v);
}

export function num(input: Input, key: string): number | undefined {
  const v = str(input, key);
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function bool(input: Input, key: string): boolean | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  return v === true || v === "true";
}

export function obj(input: Input, key: string): Input | undefined {
  const v = input[key];
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Input) : undefined;
}

/** A list, from a JSON array or from a query node whose keys are 1-based indexes. */
export function list(input: Input, key: string): unknown[] {
  const v = input[key];
  if (Array.isArray(v)) return v;
  if (v === null || typeof v !== "object") return [];
  const node = v as Input;
  const indexed = "member" in node && typeof node.member === "object" ? (node.member as Input) : node;
  return Object.keys(indexed)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => indexed[k]);
}

export function objList(input: Input, key: string): Input[] {
  return list(input, key).filter((v): v is Input => v !== null && typeof v === "object");
}

export function strList(input: Input, key: string): string[] {
  return list(input, key)
    .filter((v) => v !== undefined && v !== null)
    .map((v) => String(v));
}

/** Timestamps are epoch seconds in JSON and ISO 8601 (or epoch seconds) in query forms. */
export function date(input: Input, key: string): Date | undefined {
  const v = input[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "number") return new Date(v * 1000);
  const s = String(v);
  const d = /^\d+(\.\d+)?$/.test(s) ? new Date(Number(s) * 1000) : new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * Key path segments that would reach `Object.prototype` if a tree were built of ordinary objects.
 * The trees here have no prototype, but a segment of these names is refused all the same: AWS has
 * no parameter called so, and a caller that copies the tree into an ordinary object stays safe.
 */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** An empty tree node: no prototype, so no key of a request can reach or shadow `Object.prototype`. */
export function node(): Input {
  return Object.create(null) as Input;
}

/**
 * A request whose encoding cannot be read: a bad form key, invalid JSON, a bad gzip stream. The
 * server answers it in the service's own protocol (`MalformedQueryString`, `SerializationException`).
 */
export class MalformedInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedInputError";
  }
}

/** Folds `A.1.B=x` form keys into `{ A: { "1": { B: "x" } } }`, of prototype-less nodes. */
export function parseForm(body: string): Input {
  const root = node();
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split(".");
    for (const part of parts) {
      if (part === "") throw new MalformedInputError(`The parameter name '${key}' is malformed`);
      if (FORBIDDEN_KEYS.has(part)) throw new MalformedInputError(`The parameter name '${key}' is not valid`);
    }
    let at = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        at[part] = value;
        return;
      }
      const next = at[part];
      if (next === null || typeof next !== "object") at[part] = node();
      at = at[part] as Input;
    });
  }
  return root;
}

/** Copies a parsed JSON value into prototype-less nodes, refusing the forbidden keys. */
function detach(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return value.map((v, n) => detach(v, `${path}[${n}]`));
  if (value === null || typeof value !== "object") return value;
  const copy = node();
  for (const [k, v] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(k)) throw new MalformedInputError(`The member '${path}${k}' is not valid`);
    copy[k] = detach(v, `${path}${k}.`);
  }
  return copy;
}

/** An awsJson body: an empty body is `{}`; anything but a JSON object is refused. */
export function parseJson(body: string): Input {
  if (body.trim() === "") return node();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new MalformedInputError(`The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new MalformedInputError("The request body must be a JSON object");
  return detach(parsed, "") as Input;
}
