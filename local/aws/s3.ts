import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { EmulatorClock } from "./clock";
import { MultipartUploads, type S3Fault } from "./s3-multipart";
import { ChunkedBodyError, decodePayload, escapeXml, header, parseRange, urlEncodeKey } from "./s3-wire";

/**
 * A minimal S3 (REST-XML protocol, path-style URLs): what snapfleet's run manifests and restic's S3
 * backend use. Buckets: CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, ListObjectsV2
 * (prefix, delimiter, paging, url encoding). Objects: PutObject (plain or aws-chunked), GetObject
 * and HeadObject (with a byte range), DeleteObject, and multipart uploads (`s3-multipart.ts`).
 * Objects are bytes. Per-region buckets are not modelled: bucket names are global, as in S3.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
export interface S3Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
  action: string;
}

export interface StoredObject {
  body: Buffer;
  etag: string;
  lastModified: Date;
  contentType: string;
}

export const S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

export function isS3Request(headers: IncomingHttpHeaders): boolean {
  const auth = headers.authorization;
  const value = Array.isArray(auth) ? auth[0] : auth;
  return /Credential=[^/,]+\/\d{8}\/[^/,]+\/s3\/aws4_request/.test(value ?? "");
}

const md5 = (body: Buffer) => createHash("md5").update(body).digest();

/** An S3 REST error for a request refused before S3 saw it (a body over the limit). */
export function s3ErrorReply(
  error: { code: string; message: string; status: number },
  requestId: string,
): Omit<S3Reply, "action"> & { body: string } {
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
  private readonly multipart: MultipartUploads;

  constructor(private readonly clock: EmulatorClock) {
    this.multipart = new MultipartUploads(clock);
  }

  handle(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    rawBody: Buffer | string,
    requestId: string,
  ): S3Reply {
    const parsed = new URL(url, "http://localhost");
    const [bucketName = "", ...keyParts] = parsed.pathname.replace(/^\//, "").split("/");
    const bucket = decodeURIComponent(bucketName);
    const key = keyParts.map(decodeURIComponent).join("/");
    const params = parsed.searchParams;
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
    const xml = (action: string, body: string): S3Reply =>
      ok(action, {
        headers: { "content-type": "application/xml" },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
      });
    const fault = (f: S3Fault, action: string) => error(f.status, f.code, f.message, action);
    const body = typeof rawBody === "string" ? Buffer.from(rawBody) : rawBody;

    if (!key) {
      if (method === "PUT") {
        if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
        return ok("CreateBucket", { headers: { location: `/${bucket}` } });
      }
      const objects = this.buckets.get(bucket);
      const action =
        method === "HEAD"
          ? "HeadBucket"
          : method === "DELETE"
            ? "DeleteBucket"
            : params.has("location")
              ? "GetBucketLocation"
              : params.get("list-type") === "2"
                ? "ListObjectsV2"
                : "Unknown";
      if (!objects) return error(404, "NoSuchBucket", "The specified bucket does not exist", action);
      if (action === "HeadBucket") return ok(action);
      if (action === "DeleteBucket") {
        if (objects.size > 0)
          return error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty", action);
        this.buckets.delete(bucket);
        return { ...ok(action), status: 204 };
      }
      // Buckets in us-east-1 have an empty (null) LocationConstraint; the emulator's are all there.
      if (action === "GetBucketLocation") return xml(action, `<LocationConstraint xmlns="${S3_XMLNS}"/>`);
      if (action === "ListObjectsV2") return xml(action, listObjectsV2(bucket, objects, params));
      return error(405, "MethodNotAllowed", `${method} on a bucket is not supported here`, action);
    }

    const objects = this.buckets.get(bucket);
    const action = objectAction(method, params);
    if (!objects) return error(404, "NoSuchBucket", "The specified bucket does not exist", action);

    if (action === "CreateMultipartUpload") {
      const contentType = header(headers, "content-type") ?? "binary/octet-stream";
      const uploadId = this.multipart.create(bucket, key, contentType);
      return xml(
        action,
        `<InitiateMultipartUploadResult xmlns="${S3_XMLNS}"><Bucket>${escapeXml(bucket)}</Bucket>` +
          `<Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    if (action === "UploadPart" || action === "PutObject") {
      let payload: Buffer;
      try {
        payload = decodePayload(headers, body);
      } catch (e) {
        if (e instanceof ChunkedBodyError) return error(400, "IncompleteBody", e.message, action);
        throw e;
      }
      const digest = md5(payload);
      const contentMd5 = header(headers, "content-md5");
      if (contentMd5 !== undefined && contentMd5 !== digest.toString("base64"))
        return error(
          400,
          "BadDigest",
          "The Content-MD5 you specified did not match what we received.",
          action,
        );
      const etag = `"${digest.toString("hex")}"`;
      if (action === "UploadPart") {
        const refused = this.multipart.putPart(bucket, key, params, payload, etag);
        return refused ? fault(refused, action) : ok(action, { headers: { etag } });
      }
      const contentType = header(headers, "content-type") ?? "binary/octet-stream";
      objects.set(key, { body: payload, etag, lastModified: this.clock.now(), contentType });
      return ok(action, { headers: { etag } });
    }
    if (action === "CompleteMultipartUpload") {
      const done = this.multipart.complete(bucket, key, params, body.toString("utf8"));
      if ("code" in done) return fault(done, action);
      objects.set(key, done);
      return xml(
        action,
        `<CompleteMultipartUploadResult xmlns="${S3_XMLNS}"><Location>/${escapeXml(bucket)}/${escapeXml(key)}</Location>` +
          `<Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key><ETag>${escapeXml(done.etag)}</ETag></CompleteMultipartUploadResult>`,
      );
    }
    if (action === "AbortMultipartUpload") {
      const refused = this.multipart.abort(bucket, key, params);
      return refused ? fault(refused, action) : { ...ok(action), status: 204 };
    }
    if (action === "DeleteObject") {
      objects.delete(key);
      return { ...ok(action), status: 204 };
    }
    if (action === "Unknown")
      return error(405, "MethodNotAllowed", `${method} on an object is not supported here`, action);

    const object = objects.get(key);
    if (!object) return error(404, "NoSuchKey", "The specified key does not exist.", action);
    const size = object.body.length;
    const objectHeaders = {
      etag: object.etag,
      "content-type": object.contentType,
      "last-modified": object.lastModified.toUTCString(),
      "accept-ranges": "bytes",
    };
    const range = parseRange(header(headers, "range"), size);
    if (range.kind === "unsatisfiable") {
      const refused = error(416, "InvalidRange", "The requested range is not satisfiable", action);
      return { ...refused, headers: { ...refused.headers, "content-range": `bytes */${size}` } };
    }
    if (range.kind === "part") {
      const part = object.body.subarray(range.start, range.end + 1);
      const partHeaders = {
        ...objectHeaders,
        "content-range": `bytes ${range.start}-${range.end}/${size}`,
        ...(method === "HEAD" ? { "content-length": String(part.length) } : {}),
      };
      return { ...ok(action, { headers: partHeaders, body: method === "HEAD" ? "" : part }), status: 206 };
    }
    // A HEAD reply has no body but says how long the GET's would be (HeadObject, Content-Length).
    if (method === "HEAD")
      return ok(action, { headers: { ...objectHeaders, "content-length": String(size) } });
    return ok(action, { headers: objectHeaders, body: object.body });
  }
}

function objectAction(method: string, params: URLSearchParams): string {
  if (method === "POST" && params.has("uploads")) return "CreateMultipartUpload";
  if (method === "POST" && params.has("uploadId")) return "CompleteMultipartUpload";
  if (method === "PUT" && params.has("uploadId")) return "UploadPart";
  if (method === "DELETE" && params.has("uploadId")) return "AbortMultipartUpload";
  return (
    { PUT: "PutObject", GET: "GetObject", HEAD: "HeadObject", DELETE: "DeleteObject" }[method] ?? "Unknown"
  );
}

/**
 * ListObjectsV2: keys in UTF-8 binary order after `start-after` or the continuation token; with a
 * delimiter, the keys that share the part up to the delimiter's next occurrence after the prefix
 * roll up into one CommonPrefixes entry, which counts once against max-keys (at most 1000). The
 * continuation token is opaque to clients; here it is the last key or prefix returned.
 */
function listObjectsV2(bucket: string, objects: Map<string, StoredObject>, params: URLSearchParams): string {
  const prefix = params.get("prefix") ?? "";
  const delimiter = params.get("delimiter") ?? "";
  const maxKeys = Math.min(Number(params.get("max-keys") ?? 1000), 1000);
  const token = params.get("continuation-token");
  const after =
    token !== null ? Buffer.from(token, "base64url").toString("utf8") : (params.get("start-after") ?? "");
  const encode = params.get("encoding-type") === "url" ? urlEncodeKey : (s: string) => s;
  const sorted = [...objects.keys()]
    .filter((k) => k.startsWith(prefix))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const entries: { key?: string; commonPrefix?: string }[] = [];
  let truncated = false;
  let last = "";
  for (const k of sorted) {
    if (Buffer.compare(Buffer.from(k), Buffer.from(after)) <= 0) continue;
    if (after.endsWith(delimiter) && delimiter !== "" && k.startsWith(after)) continue;
    const cut = delimiter === "" ? -1 : k.indexOf(delimiter, prefix.length);
    const commonPrefix = cut >= 0 ? k.slice(0, cut + delimiter.length) : undefined;
    if (commonPrefix !== undefined && commonPrefix === last) continue;
    if (entries.length === maxKeys) {
      truncated = true;
      break;
    }
    entries.push(commonPrefix !== undefined ? { commonPrefix } : { key: k });
    last = commonPrefix ?? k;
  }
  const contents = entries
    .filter((e) => e.key !== undefined)
    .map((e) => {
      const k = e.key as string;
      const o = objects.get(k) as StoredObject;
      return `<Contents><Key>${escapeXml(encode(k))}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${escapeXml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    })
    .join("");
  const prefixes = entries
    .filter((e) => e.commonPrefix !== undefined)
    .map(
      (e) =>
        `<CommonPrefixes><Prefix>${escapeXml(encode(e.commonPrefix as string))}</Prefix></CommonPrefixes>`,
    )
    .join("");
  const optional = (name: string, value: string | null) =>
    value === null ? "" : `<${name}>${escapeXml(value)}</${name}>`;
  return (
    `<ListBucketResult xmlns="${S3_XMLNS}"><Name>${escapeXml(bucket)}</Name>` +
    `<Prefix>${escapeXml(encode(prefix))}</Prefix>${optional("Delimiter", delimiter === "" ? null : encode(delimiter))}` +
    `${params.get("encoding-type") === "url" ? "<EncodingType>url</EncodingType>" : ""}` +
    `<KeyCount>${entries.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
    `${optional("ContinuationToken", token)}${optional("StartAfter", params.get("start-after"))}` +
    `<IsTruncated>${truncated}</IsTruncated>${contents}${prefixes}` +
    `${truncated ? `<NextContinuationToken>${Buffer.from(last).toString("base64url")}</NextContinuationToken>` : ""}</ListBucketResult>`
  );
}
