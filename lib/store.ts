import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Deps } from "./deps";
import type { OrphanGroup, Plan } from "./plan";
import { withRetry } from "./retry";

/**
 * A run's files live in S3 because a fleet outgrows Step Functions' 256 KiB payload:
 * `runs/<runId>/manifest.json` (the Fleet map's items: one per instance, its volumes and their
 * slots), `runs/<runId>/meta.json` (what the digest needs besides the drives), `runs/<runId>/fleet/`
 * (ResultWriter's output: every server's drive records) and `runs/<runId>/results.json` (every
 * drive's record, in one file). Only their keys travel through the state machine.
 */
export const manifestKey = (runId: string) => `runs/${runId}/manifest.json`;
export const metaKey = (runId: string) => `runs/${runId}/meta.json`;
export const resultsPrefix = (runId: string) => `runs/${runId}/fleet`;

/** What Plan found besides the drives: the digest's other sections. */
export interface RunMeta {
  runId: string;
  startedAt: string;
  region: string;
  drRegion: string;
  drives: number;
  skipped: Plan["skipped"];
  orphans: OrphanGroup[];
  tagProblems: Plan["tagProblems"];
  notOurs: Plan["notOurs"];
  held: Plan["held"];
}

export async function putJson(bucket: string, key: string, value: unknown, deps: Deps): Promise<number> {
  const body = JSON.stringify(value);
  await withRetry(
    () =>
      deps.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json" }),
      ),
    deps,
    `PutObject s3://${bucket}/${key}`,
  );
  return Buffer.byteLength(body);
}

export async function getJson<T>(bucket: string, key: string, deps: Deps): Promise<T | undefined> {
  try {
    const result = await withRetry(
      () => deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
      deps,
      `GetObject s3://${bucket}/${key}`,
    );
    const text = (await result.Body?.transformToString()) ?? "";
    return JSON.parse(text) as T;
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return undefined;
    throw error;
  }
}
