import type { IncomingHttpHeaders } from "node:http";

/**
 * The parts of S3's REST wire format that are not about buckets and objects: aws-chunked bodies,
 * byte ranges, URL-encoded listing keys, and a tiny reader for the CompleteMultipartUpload body.
 */

export const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A body the client framed as aws-chunked that does not parse, or whose length is not the declared one. */
export class ChunkedBodyError extends Error {}

/**
 * A chunked upload (SigV4 streaming, `x-amz-content-sha256: STREAMING-...`, or
 * `Content-Encoding: aws-chunked`) sends `<hex size>[;chunk-signature=...]\r\n<bytes>\r\n` per
 * chunk, a zero-size chunk last, then optional trailers; `x-amz-decoded-content-length` is the
 * object's size. Chunk signatures are not checked (no signature is).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
export function decodePayload(headers: IncomingHttpHeaders, body: Buffer): Buffer {
  const sha = header(headers, "x-amz-content-sha256") ?? "";
  const encoding = header(headers, "content-encoding") ?? "";
  if (!sha.startsWith("STREAMING-") && !encoding.split(",").some((e) => e.trim() === "aws-chunked"))
    return body;
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd < 0) throw new ChunkedBodyError("a chunk header is not terminated by CRLF");
    const sizeText = body.subarray(at, lineEnd).toString("latin1").split(";")[0]?.trim() ?? "";
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new ChunkedBodyError(`"${sizeText}" is not a chunk size`);
    const size = Number.parseInt(sizeText, 16);
    const start = lineEnd + 2;
    if (size === 0) break;
    if (start + size > body.length) throw new ChunkedBodyError("a chunk is shorter than its declared size");
    parts.push(body.subarray(start, start + size));
    at = start + size;
    if (body.subarray(at, at + 2).toString("latin1") !== "\r\n")
      throw new ChunkedBodyError("a chunk's data is not followed by CRLF");
    at += 2;
  }
  const decoded = Buffer.concat(parts);
  const declared = header(headers, "x-amz-decoded-content-length");
  if (declared !== undefined && Number(declared) !== decoded.length)
    throw new ChunkedBodyError(
      `x-amz-decoded-content-length is ${declared} but the chunks hold ${decoded.length} bytes`,
    );
  return decoded;
}

export type RangeResult =
  | { kind: "whole" }
  | { kind: "part"; start: number; end: number }
  | { kind: "unsatisfiable" };

/**
 * One HTTP byte range (RFC 9110 section 14.1.2): `bytes=a-b`, `bytes=a-` or the suffix `bytes=-n`.
 * An end past the object is cut to its last byte; a start at or past its size cannot be satisfied
 * (416 InvalidRange). A header S3 does not support (several ranges, other units) is ignored.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (Range)
 */
export function parseRange(value: string | undefined, size: number): RangeResult {
  if (value === undefined) return { kind: "whole" };
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "whole" };
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "part", start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return { kind: "whole" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "part", start, end };
}

/**
 * With `encoding-type=url`, S3 URL-encodes the keys and prefixes of a listing (and says so with
 * `<EncodingType>url</EncodingType>`); `/` stays as it is.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */
export const urlEncodeKey = (key: string) => encodeURIComponent(key).replace(/%2F/g, "/");

/** The (PartNumber, ETag) pairs of a CompleteMultipartUpload request body, in the order given. */
export function completedParts(xml: string): { partNumber: number; etag: string }[] | undefined {
  if (!/<CompleteMultipartUpload[\s>]/.test(xml)) return undefined;
  const parts: { partNumber: number; etag: string }[] = [];
  for (const m of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const inner = m[1] ?? "";
    const partNumber = Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(inner)?.[1]);
    const etag = /<ETag>([\s\S]*?)<\/ETag>/
      .exec(inner)?.[1]
      ?.replace(/&quot;/g, '"')
      .trim();
    if (!Number.isInteger(partNumber) || etag === undefined) return undefined;
    parts.push({ partNumber, etag: etag.startsWith('"') ? etag : `"${etag}"` });
  }
  return parts;
}
