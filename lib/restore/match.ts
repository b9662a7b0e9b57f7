import { NAME_TAG, type TagMap } from "../tags";

/**
 * EC2 filter values are patterns: `*` matches any run of characters, `?` zero or one, and `\`
 * escapes them (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Filtering.html). A name
 * or device given by an operator is a literal, so `--host 'x-*'` must not find `x-1`. The value
 * sent narrows the listing on the server; each of those three characters becomes `?` there (no
 * escape sequences, which not every AWS-compatible endpoint reads), so the listing may hold a few
 * names too many, and `exactly` below decides.
 */
export function filterValue(literal: string): string {
  return literal.replace(/[*?\\]/g, "?");
}

/** The instance's name: its `Name` tag, the key in any case, as the backup records it (snapfleet:host). */
export function nameOf(tags: TagMap): string | undefined {
  const wanted = NAME_TAG.toLowerCase();
  for (const [key, value] of Object.entries(tags)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** Whether an instance is named `host`: a `Name` tag (key in any case) whose value is exactly `host`. */
export function isNamed(tags: TagMap, host: string): boolean {
  const wanted = NAME_TAG.toLowerCase();
  return Object.entries(tags).some(([key, value]) => key.toLowerCase() === wanted && value === host);
}
