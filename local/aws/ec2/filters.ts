import { AwsError } from "../errors";
import { type Input, objList, str, strList } from "../protocol/input";
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
 * An operation's MaxResults range, from its API reference. `capAbove`: AWS returns at most `max`
 * results for a larger value instead of refusing it ("if MaxResults is given a value larger than
 * 500, only 500 results are returned", DescribeVolumes); the AWS CLI sends MaxResults=1000 to
 * DescribeVolumes and DescribeSnapshots on every call.
 */
export interface PageRange {
  min: number;
  max: number;
  capAbove: boolean;
}

/** Tokens name an offset into the filtered list; anything not minted here is refused. */
function encodeToken(offset: number): string {
  return Buffer.from(`offset:${offset}`, "utf8").toString("base64url");
}

function decodeToken(token: string): number {
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match || encodeToken(Number(match[1])) !== token) {
    throw new AwsError("InvalidPaginationToken", `The pagination token '${token}' is invalid or expired.`);
  }
  return Number(match[1]);
}

/**
 * MaxResults/NextToken pagination over the filtered list. EC2 rejects MaxResults together with
 * explicit ids, a MaxResults that is not an integer or is outside the operation's range (above it,
 * unless the operation caps), and a NextToken it did not issue.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html#api-pagination
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (InvalidPaginationToken)
 */
export function paginate<T>(items: T[], input: Input, range: PageRange, idsGiven: boolean): Page<T> {
  const given = str(input, "MaxResults");
  const token = str(input, "NextToken");
  let max = given === undefined ? undefined : Number(given);
  if (given !== undefined && (given.trim() === "" || !Number.isInteger(max))) {
    throw new AwsError(
      "InvalidParameterValue",
      `Invalid value '${given}' for maxResults. Expecting an integer between ${range.min} and ${range.max}.`,
    );
  }
  if (max !== undefined && idsGiven) {
    throw new AwsError(
      "InvalidParameterCombination",
      "The parameter MaxResults cannot be used with the parameter of resource ids",
    );
  }
  if (max !== undefined && range.capAbove && max > range.max) max = range.max;
  if (max !== undefined && (max < range.min || max > range.max)) {
    throw new AwsError(
      "InvalidParameterValue",
      `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between ${range.min} and ${range.max}.`,
    );
  }
  const start = token !== undefined && token !== "" ? decodeToken(token) : 0;
  const size = max ?? items.length;
  const end = start + size;
  const nextToken = end < items.length ? encodeToken(end) : undefined;
  return { items: items.slice(start, end), nextToken };
}

/** The MaxResults ranges of the EC2 list calls served, from each one's API reference page. */
export const PAGE_RANGES = {
  /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVolumes.html */
  DescribeVolumes: { min: 5, max: 500, capAbove: true },
  /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html */
  DescribeSnapshots: { min: 5, max: 1000, capAbove: true },
  /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html */
  DescribeInstances: { min: 5, max: 1000, capAbove: false },
  /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceStatus.html */
  DescribeInstanceStatus: { min: 5, max: 1000, capAbove: false },
  /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html */
  DescribeTags: { min: 5, max: 1000, capAbove: false },
} satisfies Record<string, PageRange>;
