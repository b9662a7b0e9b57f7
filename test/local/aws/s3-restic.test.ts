/**
 * The S3 calls restic's S3 backend makes (minio-go, path-style, over plain HTTP): chunked PUTs with
 * Content-MD5, ranged GETs, HEAD for sizes, ListObjectsV2 with a delimiter and URL encoding, and
 * multipart uploads. Expected values come from the S3 API reference pages cited per test.
 */
import { createHash } from "node:crypto";
import { request } from "node:http";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { type Emulator, startEmulator } from "../../../local/aws/server";
import { VirtualClock } from "../../../local/clock";

const SCOPE = "Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";

/** One raw request, as a client that frames its own body would send it. */
function raw(
  endpoint: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer = Buffer.alloc(0),
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${endpoint}${path}`,
      {
        method,
        headers: { authorization: `AWS4-HMAC-SHA256 ${SCOPE}`, "content-length": body.length, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** `<hex size>;chunk-signature=<64 hex>\r\n<data>\r\n` per chunk, then the empty last chunk. */
function awsChunked(chunks: Buffer[]): Buffer {
  const sig = `;chunk-signature=${"0".repeat(64)}`;
  const framed = chunks.flatMap((c) => [
    Buffer.from(`${c.length.toString(16)}${sig}\r\n`),
    c,
    Buffer.from("\r\n"),
  ]);
  return Buffer.concat([...framed, Buffer.from(`0${sig}\r\n\r\n`)]);
}

describe("embedded S3: what restic uses", () => {
  let emulator: Emulator<VirtualClock>;
  let s3: S3Client;
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  beforeAll(async () => {
    emulator = await startEmulator({ clock: new VirtualClock() });
    s3 = new S3Client({
      region: "us-east-1",
      endpoint: emulator.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    await s3.send(new CreateBucketCommand({ Bucket: "repo" }));
  });
  afterAll(() => emulator.stop());

  it("stores the decoded bytes of an aws-chunked PUT, checked against Content-MD5 (sigv4-streaming.html)", async () => {
    const body = awsChunked([binary.subarray(0, 100), binary.subarray(100)]);
    const put = await raw(
      emulator.endpoint,
      "PUT",
      "/repo/chunked/obj",
      {
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-decoded-content-length": "256",
        "content-md5": createHash("md5").update(binary).digest("base64"),
      },
      body,
    );

    const got = await s3.send(new GetObjectCommand({ Bucket: "repo", Key: "chunked/obj" }));

    expect(put.status).toBe(200);
    expect(put.headers.etag).toBe(`"${createHash("md5").update(binary).digest("hex")}"`);
    expect(Buffer.from(await (got.Body?.transformToByteArray() ?? new Uint8Array()))).toEqual(binary);
  });

  it("refuses a body whose Content-MD5 does not match with BadDigest, HTTP 400 (API_PutObject, ErrorResponses)", async () => {
    const refused = await raw(
      emulator.endpoint,
      "PUT",
      "/repo/bad-md5",
      {
        "content-md5": createHash("md5").update("something else").digest("base64"),
      },
      binary,
    );

    expect(refused.status).toBe(400);
    expect(refused.body.toString()).toContain("<Code>BadDigest</Code>");
  });

  it("refuses chunks that do not add up to x-amz-decoded-content-length with IncompleteBody (sigv4-streaming.html)", async () => {
    const refused = await raw(
      emulator.endpoint,
      "PUT",
      "/repo/short",
      {
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-decoded-content-length": "300",
      },
      awsChunked([binary]),
    );

    expect(refused.status).toBe(400);
    expect(refused.body.toString()).toContain("<Code>IncompleteBody</Code>");
  });

  it.each([
    ["bytes=10-19", 10, 19],
    ["bytes=250-", 250, 255],
    ["bytes=-6", 250, 255],
    ["bytes=250-999", 250, 255],
  ])(
    "answers Range %s with 206 and bytes %i-%i of 256 (API_GetObject, Range; RFC 9110 14.1.2)",
    async (range, start, end) => {
      await s3.send(new PutObjectCommand({ Bucket: "repo", Key: "ranged", Body: binary }));

      const got = await s3.send(new GetObjectCommand({ Bucket: "repo", Key: "ranged", Range: range }));

      expect(got.$metadata.httpStatusCode).toBe(206);
      expect(got.ContentRange).toBe(`bytes ${start}-${end}/256`);
      expect(Buffer.from(await (got.Body?.transformToByteArray() ?? new Uint8Array()))).toEqual(
        binary.subarray(start, end + 1),
      );
    },
  );

  it("answers a range that starts past the end with 416 InvalidRange (API_GetObject, ErrorResponses)", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "repo", Key: "ranged", Body: binary }));

    await expect(
      s3.send(new GetObjectCommand({ Bucket: "repo", Key: "ranged", Range: "bytes=256-300" })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 416 } });
  });

  it("gives an object's size in HeadObject's Content-Length (API_HeadObject)", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "repo", Key: "sized", Body: binary }));

    const head = await s3.send(new HeadObjectCommand({ Bucket: "repo", Key: "sized" }));

    expect(head.ContentLength).toBe(256);
  });

  it("rolls keys up to CommonPrefixes at the delimiter and pages over both (API_ListObjectsV2)", async () => {
    for (const key of ["l/config", "l/data/00/a", "l/data/00/b", "l/data/01/c", "l/index/i1", "l/keys/k1"])
      await s3.send(new PutObjectCommand({ Bucket: "repo", Key: key, Body: "x" }));

    const pages: { keys: string[]; prefixes: string[]; truncated: boolean }[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: "repo",
          Prefix: "l/",
          Delimiter: "/",
          MaxKeys: 2,
          ContinuationToken: token,
        }),
      );
      pages.push({
        keys: (page.Contents ?? []).map((c) => c.Key ?? ""),
        prefixes: (page.CommonPrefixes ?? []).map((p) => p.Prefix ?? ""),
        truncated: page.IsTruncated ?? false,
      });
      token = page.NextContinuationToken;
    } while (token);

    expect(pages).toEqual([
      { keys: ["l/config"], prefixes: ["l/data/"], truncated: true },
      { keys: [], prefixes: ["l/index/", "l/keys/"], truncated: false },
    ]);
  });

  it("URL-encodes listed keys with encoding-type=url and says so (API_ListObjectsV2, EncodingType)", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "repo", Key: "enc/a b+c", Body: "x" }));

    const body = await raw(emulator.endpoint, "GET", "/repo?list-type=2&prefix=enc%2F&encoding-type=url", {});

    expect(body.body.toString()).toContain("<EncodingType>url</EncodingType>");
    expect(body.body.toString()).toContain("<Key>enc/a%20b%2Bc</Key>");
  });

  it("answers GetBucketLocation with an empty LocationConstraint, i.e. us-east-1 (API_GetBucketLocation)", async () => {
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: "repo" }));

    expect(location.LocationConstraint ?? "").toBe("");
  });

  it("assembles a multipart upload in part order with the ETag of the parts' MD5s (API_CompleteMultipartUpload)", async () => {
    const part1 = Buffer.alloc(5 * 1024 * 1024, 1);
    const part2 = Buffer.from("tail");
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: "repo", Key: "mp" }));
    const e2 = await s3.send(
      new UploadPartCommand({ Bucket: "repo", Key: "mp", UploadId, PartNumber: 2, Body: part2 }),
    );
    const e1 = await s3.send(
      new UploadPartCommand({ Bucket: "repo", Key: "mp", UploadId, PartNumber: 1, Body: part1 }),
    );

    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: "repo",
        Key: "mp",
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: e1.ETag },
            { PartNumber: 2, ETag: e2.ETag },
          ],
        },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: "repo", Key: "mp" }));

    const md5 = (b: Buffer) => createHash("md5").update(b).digest();
    expect(done.ETag).toBe(
      `"${createHash("md5")
        .update(Buffer.concat([md5(part1), md5(part2)]))
        .digest("hex")}-2"`,
    );
    // Buffer.equals: jest's toEqual walks a 5 MiB buffer byte by byte, for minutes.
    const stored = Buffer.from(await (got.Body?.transformToByteArray() ?? new Uint8Array()));
    expect(stored.equals(Buffer.concat([part1, part2]))).toBe(true);
  });

  it("refuses a non-last part under 5 MiB with EntityTooSmall, and a finished upload with NoSuchUpload (API_CompleteMultipartUpload, API_AbortMultipartUpload)", async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: "repo", Key: "small" }));
    const e1 = await s3.send(
      new UploadPartCommand({ Bucket: "repo", Key: "small", UploadId, PartNumber: 1, Body: "a" }),
    );
    const e2 = await s3.send(
      new UploadPartCommand({ Bucket: "repo", Key: "small", UploadId, PartNumber: 2, Body: "b" }),
    );
    const complete = () =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: "repo",
          Key: "small",
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: e1.ETag },
              { PartNumber: 2, ETag: e2.ETag },
            ],
          },
        }),
      );

    await expect(complete()).rejects.toMatchObject({ name: "EntityTooSmall" });
    await s3.send(new AbortMultipartUploadCommand({ Bucket: "repo", Key: "small", UploadId }));
    await expect(complete()).rejects.toMatchObject({ name: "NoSuchUpload" });
  });
});
