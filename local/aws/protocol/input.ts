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

/** Folds `A.1.B=x` form keys into `{ A: { "1": { B: "x" } } }`. */
export function parseForm(body: string): Input {
  const root: Input = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split(".");
    let node = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        node[part] = value;
        return;
      }
      const next = node[part];
      if (next === null || typeof next !== "object") node[part] = {};
      node = node[part] as Input;
    });
  }
  return root;
}
