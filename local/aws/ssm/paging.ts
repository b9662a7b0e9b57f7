import { AwsError } from "../errors";
import { type Input, num, str } from "../protocol/input";

/**
 * SSM's list pagination: MaxResults (the model checks its range) and an opaque NextToken, here the
 * offset; a token this emulator did not issue is `InvalidNextToken`.
 */
export function page<T>(all: T[], input: Input, defaultSize: number): { items: T[]; nextToken?: string } {
  const size = num(input, "MaxResults") ?? defaultSize;
  const token = str(input, "NextToken");
  let offset = 0;
  if (token !== undefined) {
    const decoded = /^offset:(\d+)$/.exec(Buffer.from(token, "base64").toString("utf8"))?.[1];
    if (decoded === undefined)
      throw new AwsError("InvalidNextToken", "The NextToken is not valid: pass one this API returned.");
    offset = Number(decoded);
  }
  const items = all.slice(offset, offset + size);
  const next = offset + size;
  return next < all.length
    ? { items, nextToken: Buffer.from(`offset:${next}`).toString("base64") }
    : { items };
}
