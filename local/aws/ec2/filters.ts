import { AwsError } from "../errors";
import { type Input, num, objList, str, strList } from "../protocol/input";
import type { Tags } from "./model";

export interface Filter {
  name: string;
  values: string[];
}

/** `Filter.N.Name` / `Filter.N.Value.M`. */
export function readFilters(input: Input): Filter[] {
  return objList(input, "Filter").map((f) => ({ name: str(f, "Name") ?? "", values: strList(f, "Value") }));
}

/** Filter values may use `*` (any run) and `?` (one character), as EC2 documents for every filter. */
function wildcard(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

/**
 * The values a resource has for a filter name, `undefined` when the name is not a filter of that
 * resource type (AWS answers InvalidParameterValue).
 */
export type FilterValues = (name: string) => string[] | undefined;

export function tagFilterValues(tags: Tags, name: string): string[] | undefined {
  if (name.startsWith("tag:")) {
    const v = tags.get(name.slice(4));
    return v === undefined ? [] : [v];
  }
  if (name === "tag-key") return [...tags.keys()];
  if (name === "tag-value") return [...tags.values()];
  return undefined;
}

/** Filters combine with AND, the values of one filter with OR. */
export function matchesAll(filters: Filter[], valuesOf: FilterValues): boolean {
  return filters.every((f) => {
    const actual = valuesOf(f.name);
    if (actual === undefined)
      throw new AwsError("InvalidParameterValue", `The filter '${f.name}' is invalid`);
    return f.values.some((pattern) => {
      const re = wildcard(pattern);
      return actual.some((a) => re.test(a));
    });
  });
}

export interface Page<T> {
  items: T[];
  nextToken: string | undefined;
}

/**
 * MaxResults/NextToken pagination over the filtered list. EC2 rejects MaxResults together with
 * explicit ids, and MaxResults outside the operation's range.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html#api-pagination
 */
export function paginate<T>(items: T[], input: Input, range: [number, number], idsGiven: boolean): Page<T> {
  const max = num(input, "MaxResults");
  const token = str(input, "NextToken");
  if (max !== undefined && idsGiven) {
    throw new AwsError(
      "InvalidParameterCombination",
      "The parameter MaxResults cannot be used with the parameter of resource ids",
    );
  }
  if (max !== undefined && (max < range[0] || max > range[1])) {
    throw new AwsError(
      "InvalidParameterValue",
      `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between ${range[0]} and ${range[1]}.`,
    );
  }
  let start = 0;
  if (token !== undefined && token !== "") {
    start = Number(Buffer.from(token, "base64url").toString("utf8"));
    if (!Number.isInteger(start) || start < 0) {
      throw new AwsError("InvalidPaginationToken", `Invalid pagination token ${token}`);
    }
  }
  const size = max ?? items.length;
  const end = start + size;
  const nextToken = end < items.length ? Buffer.from(String(end), "utf8").toString("base64url") : undefined;
  return { items: items.slice(start, end), nextToken };
}
