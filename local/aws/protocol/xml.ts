/** Values an operation returns; rendered as XML (query protocols) or JSON (awsJson1_0). */
export type Output =
  | string
  | number
  | boolean
  | Date
  | undefined
  | OutputMap
  | Output[]
  | { [key: string]: Output };

/**
 * A modeled map (e.g. a datapoint's ExtendedStatistics): a JSON object in awsJson, and
 * `<entry><key>k</key><value>v</value></entry>` children in the query protocols.
 */
export class OutputMap {
  constructor(readonly entries: Record<string, Output>) {}
}

function escapeXml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/**
 * Renders one element. Lists become repeated `itemName` children: `item` for ec2Query,
 * `member` for awsQuery.
 */
export function element(name: string, value: Output, itemName: string): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) {
    const items = value.map((v) => element(itemName, v, itemName)).join("");
    return `<${name}>${items}</${name}>`;
  }
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (value instanceof OutputMap) {
    const entries = Object.entries(value.entries)
      .map(([k, v]) => `<entry>${element("key", k, itemName)}${element("value", v, itemName)}</entry>`)
      .join("");
    return `<${name}>${entries}</${name}>`;
  }
  if (typeof value === "object") {
    const children = Object.entries(value)
      .map(([k, v]) => element(k, v, itemName))
      .join("");
    return `<${name}>${children}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function document(name: string, xmlns: string, children: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${name} xmlns="${xmlns}">${children}</${name}>`;
}
