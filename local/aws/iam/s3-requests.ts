import type { RequestContext } from "./conditions";
import type { AuthorizationCheck } from "./policy";

/**
 * The IAM action and resource of the embedded S3's operations (path-style URLs): HeadObject needs
 * s3:GetObject, HeadBucket and ListObjectsV2 need s3:ListBucket on the bucket (with `s3:prefix`).
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
 */
export function s3Check(
  method: string,
  url: string,
  base: RequestContext,
  partition = "aws",
): AuthorizationCheck {
  const parsed = new URL(url, "http://localhost");
  const [bucketName = "", ...keyParts] = parsed.pathname.replace(/^\//, "").split("/");
  const bucket = decodeURIComponent(bucketName);
  const key = keyParts.map(decodeURIComponent).join("/");
  const context = new Map(base);
  if (key) {
    const action = { PUT: "s3:PutObject", DELETE: "s3:DeleteObject" }[method] ?? "s3:GetObject";
    return { action, resource: `arn:${partition}:s3:::${bucket}/${key}`, context };
  }
  const prefix = parsed.searchParams.get("prefix");
  if (prefix !== null) context.set("s3:prefix", [prefix]);
  const action = { PUT: "s3:CreateBucket", DELETE: "s3:DeleteBucket" }[method] ?? "s3:ListBucket";
  return { action, resource: `arn:${partition}:s3:::${bucket}`, context };
}
