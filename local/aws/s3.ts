import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { EmulatorClock } from "./clock";

/**
 * A minimal S3 (REST-XML protocol, path-style URLs) for run manifests and results:
 * CreateBucket, HeadBucket, PutObject, GetObject, HeadObject, DeleteObject, ListObjectsV2.
 * Per-region buckets are not modelled: bucket names are global, as in S3.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
export interface S3Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  action: string;
}

interface StoredObject {
  body: string;
  etag: string;
  lastModified: Date;
  contentType: string;
}

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

export function isS3Request(headers: IncomingHttpHeaders): boolean {
  const auth = headers.authorization;
  const value = Array.isArray(auth) ? auth[0] : auth;
  return /Credential=[^/,]+\/\d{8}\/[^/,]+\/s3\/aws4_request/.test(value ?? "");
}

const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** An S3 REST error for a request refused before S3 saw it (a body over the limit). */
export function s3ErrorReply(
  error: { code: string; message: string; status: number },
  requestId: string,
): Omit<S3Reply, "action"> {
  return {
    status: error.status,
    headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(error.code)}</Code>` +
      `<Message>${escapeXml(error.message)}</Message><RequestId>${requestId}</RequestId></Error>`,
  };
}

export class S3Service {
  private readonly buckets = new Map<string, Map<string, StoredObject>>();

  constructor(private readonly clock: EmulatorClock) {}

  handle(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    body: string,
    requestId: string,
  ): S3Reply {
    const parsed = new URL(url, "http://localhost");
    const [bucketName = "", ...keyParts] = parsed.pathname.replace(/^\//, "").split("/");
    const bucket = decodeURIComponent(bucketName);
    const key = keyParts.map(decodeURIComponent).join("/");
    const error = (status: number, code: string, message: string, action: string): S3Reply => ({
      status,
      action,
      headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
      body:
        method === "HEAD"
          ? ""
          : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>` +
            `${key ? `<Key>${escapeXml(key)}</Key>` : `<BucketName>${escapeXml(bucket)}</BucketName>`}<RequestId>${requestId}</RequestId></Error>`,
    });
    const ok = (action: string, extra: Partial<S3Reply> = {}): S3Reply => ({
      status: 200,
      action,
      body: "",
      ...extra,
      headers: { "x-amz-request-id": requestId, ...(extra.headers ?? {}) },
    });

    if (!key) {
      if (method === "PUT") {
        if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
        return ok("CreateBucket", { headers: { location: `/${bucket}` } });
      }
      const objects = this.buckets.get(bucket);
      if (!objects) return error(404, "NoSuchBucket", "The specified bucket does not exist", "HeadBucket");
      if (method === "HEAD") return ok("HeadBucket");
      if (method === "GET" && parsed.searchParams.get("list-type") === "2") {
        return ok("ListObjectsV2", this.list(bucket, objects, parsed.searchParams));
      }
      return error(405, "MethodNotAllowed", `${method} on a bucket is not supported here`, "Unknown");
    }

    const objects = this.buckets.get(bucket);
    const action =
      { PUT: "PutObject", GET: "GetObject", HEAD: "HeadObject", DELETE: "DeleteObject" }[method] ?? "Unknown";
    if (!objects) return error(404, "NoSuchBucket", "The specified bucket does not exist", action);
    if (method === "PUT") {
      const etag = `"${createHash("md5").update(body).digest("hex")}"`;
      const contentType = String(headers["content-type"] ?? "application/octet-stream");
      objects.set(key, { body, etag, lastModified: this.clock.now(), contentType });
      return ok(action, { headers: { etag } });
    }
    if (method === "DELETE") {
      objects.delete(key);
      return { ...ok(action), status: 204 };
    }
    const object = objects.get(key);
    if (!object) return error(404, "NoSuchKey", "The specified key does not exist.", action);
    const objectHeaders = {
      etag: object.etag,
      "content-type": object.contentType,
      "last-modified": object.lastModified.toUTCString(),
    };
    return ok(action, { headers: objectHeaders, body: method === "HEAD" ? "" : object.body });
  }

  private list(
    bucket: string,
    objects: Map<string, StoredObject>,
    params: URLSearchParams,
  ): Partial<S3Reply> {
    const prefix = params.get("prefix") ?? "";
    const maxKeys = Math.min(Number(params.get("max-keys") ?? 1000), 1000);
    const after = params.get("continuation-token") ?? params.get("start-after") ?? "";
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > page.length;
    const contents = page
      .map((k) => {
        const o = objects.get(k) as StoredObject;
        return `<Contents><Key>${escapeXml(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${escapeXml(o.etag)}</ETag><Size>${Buffer.byteLength(o.body)}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join("");
    const next = truncated
      ? `<NextContinuationToken>${escapeXml(page.at(-1) ?? "")}</NextContinuationToken>`
      : "";
    return {
      headers: { "content-type": "application/xml" },
      body:
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${XMLNS}"><Name>${escapeXml(bucket)}</Name>` +
        `<Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
        `<IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
    };
  }
}
