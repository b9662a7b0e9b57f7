import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Deps } from "../deps";
import { withRetry } from "../retry";

/**
 * A run's manifests live in S3 because a fleet's plan and progress outgrow Step Functions'
 * 256 KiB payload: `runs/<runId>/plan.json` (what to back up) and `runs/<runId>/state.json`
 * (how far each drive got). Only their keys travel through the state machine.
 */
export const planKey = (runId: string) => `runs/${runId}/plan.json`;
export const stateKey = (runId: string) => `runs/${runId}/state.json`;

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
