import type { IncomingMessage } from "node:http";
import { gunzipSync } from "node:zlib";
import { AwsError } from "../errors";
import { MalformedInputError } from "./input";

/**
 * The largest request body the query and JSON protocols accept: CloudWatch's 1 MB per
 * PutMetricData POST (its largest request; AWS answers 413 `RequestEntityTooLarge`, "Request size
 * N exceeded 1048576 bytes"). EC2 and SNS requests are far smaller (user data 16 KiB, an SNS
 * message 256 KiB), so one bound serves all three.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
 */
export const QUERY_BODY_LIMIT = 1_048_576;

/**
 * S3 accepts 5 GiB in one PutObject; the emulator keeps objects in memory, so it stops at 128 MiB,
 * restic's largest pack size, and answers as S3 does for an object over its limit (`EntityTooLarge`).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
export const S3_BODY_LIMIT = 128 * 1_048_576;

export function tooLarge(size: number | undefined, limit: number, s3: boolean): AwsError {
  if (s3) {
    return new AwsError(
      "EntityTooLarge",
      "Your proposed upload exceeds the maximum allowed object size.",
      400,
    );
  }
  const what = size === undefined ? "Request size (decompressed)" : `Request size ${size}`;
  return new AwsError("RequestEntityTooLarge", `${what} exceeded ${limit} bytes`, 413);
}

/**
 * Reads a request body of at most `limit` bytes, refusing early: a declared Content-Length over the
 * limit before reading anything, a chunked body as soon as it passes the limit, and a gzip body
 * (the SDK compresses large PutMetricData requests) once its decompressed size would pass it.
 * Throws an `AwsError`; the caller answers and closes the connection.
 */
export async function readBody(req: IncomingMessage, limit: number, s3: boolean): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(declared, limit, s3);
  // Not `for await`: leaving that loop early destroys the socket before the refusal is written.
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData);
      chunks.length = 0;
      reject(tooLarge(size, limit, s3));
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
  // The raw bytes: S3 objects are binary; the other services read them as UTF-8.
  if (req.headers["content-encoding"] !== "gzip") return raw;
  try {
    return gunzipSync(raw, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(undefined, limit, s3);
    throw new MalformedInputError(`The gzip-encoded body cannot be decompressed: ${(err as Error).message}`);
  }
}
