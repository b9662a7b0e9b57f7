import { createHash, randomBytes } from "node:crypto";
import type { EmulatorClock } from "./clock";
import type { StoredObject } from "./s3";
import { completedParts } from "./s3-wire";

/** An S3 error: its code, HTTP status and message. */
export interface S3Fault {
  status: number;
  code: string;
  message: string;
}

interface Upload {
  bucket: string;
  key: string;
  contentType: string;
  parts: Map<number, { body: Buffer; etag: string }>;
}

/** Every part but the last must be at least 5 MiB (CompleteMultipartUpload, EntityTooSmall). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

const noSuchUpload: S3Fault = {
  status: 404,
  code: "NoSuchUpload",
  message:
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
};

/**
 * Multipart uploads: CreateMultipartUpload, UploadPart (part numbers 1 to 10,000; a part sent again
 * replaces the earlier one), CompleteMultipartUpload (parts in ascending order, each with the ETag
 * UploadPart returned; the object's ETag is the MD5 of the parts' binary MD5s, a dash and the part
 * count) and AbortMultipartUpload.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
 */
export class MultipartUploads {
  private readonly uploads = new Map<string, Upload>();

  constructor(private readonly clock: EmulatorClock) {}

  create(bucket: string, key: string, contentType: string): string {
    const uploadId = randomBytes(24).toString("base64url");
    this.uploads.set(uploadId, { bucket, key, contentType, parts: new Map() });
    return uploadId;
  }

  private upload(bucket: string, key: string, params: URLSearchParams): Upload | undefined {
    const upload = this.uploads.get(params.get("uploadId") ?? "");
    return upload && upload.bucket === bucket && upload.key === key ? upload : undefined;
  }

  putPart(
    bucket: string,
    key: string,
    params: URLSearchParams,
    body: Buffer,
    etag: string,
  ): S3Fault | undefined {
    const upload = this.upload(bucket, key, params);
    if (!upload) return noSuchUpload;
    const partNumber = Number(params.get("partNumber"));
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000)
      return {
        status: 400,
        code: "InvalidArgument",
        message: "Part number must be an integer between 1 and 10000, inclusive",
      };
    upload.parts.set(partNumber, { body, etag });
    return undefined;
  }

  complete(bucket: string, key: string, params: URLSearchParams, xml: string): StoredObject | S3Fault {
    const upload = this.upload(bucket, key, params);
    if (!upload) return noSuchUpload;
    const listed = completedParts(xml);
    if (!listed || listed.length === 0)
      return {
        status: 400,
        code: "MalformedXML",
        message: "The XML you provided was not well-formed or did not validate against our published schema",
      };
    const bodies: Buffer[] = [];
    for (const [i, p] of listed.entries()) {
      if (i > 0 && p.partNumber <= (listed[i - 1]?.partNumber ?? 0))
        return {
          status: 400,
          code: "InvalidPartOrder",
          message: "The list of parts was not in ascending order. Parts must be ordered by part number.",
        };
      const stored = upload.parts.get(p.partNumber);
      if (!stored || stored.etag !== p.etag)
        return {
          status: 400,
          code: "InvalidPart",
          message:
            "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        };
      if (i < listed.length - 1 && stored.body.length < MIN_PART_BYTES)
        return {
          status: 400,
          code: "EntityTooSmall",
          message: "Your proposed upload is smaller than the minimum allowed object size.",
        };
      bodies.push(stored.body);
    }
    const digests = listed.map((p) => Buffer.from(p.etag.replace(/"/g, ""), "hex"));
    const etag = `"${createHash("md5").update(Buffer.concat(digests)).digest("hex")}-${listed.length}"`;
    this.uploads.delete(params.get("uploadId") ?? "");
    return {
      body: Buffer.concat(bodies),
      etag,
      lastModified: this.clock.now(),
      contentType: upload.contentType,
    };
  }

  abort(bucket: string, key: string, params: URLSearchParams): S3Fault | undefined {
    if (!this.upload(bucket, key, params)) return noSuchUpload;
    this.uploads.delete(params.get("uploadId") ?? "");
    return undefined;
  }
}
