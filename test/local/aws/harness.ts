import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SNSClient } from "@aws-sdk/client-sns";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../../local/aws/server";
import { VirtualClock } from "../../../local/clock";

export const credentials = { accessKeyId: "test", secretAccessKey: "test" };

/** An emulator on simulated time, plus SDK v3 clients pointed at it over HTTP. */
export interface Harness {
  emulator: Emulator;
  clock: VirtualClock;
  ec2(region?: string): EC2Client;
  cloudwatch(region?: string): CloudWatchClient;
  sns(region?: string): SNSClient;
}

export async function startHarness(options: Omit<EmulatorOptions, "clock"> = {}): Promise<Harness> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const emulator = await startEmulator({ ...options, clock });
  const config = (region: string) => ({ endpoint: emulator.endpoint, region, credentials, maxAttempts: 1 });
  return {
    emulator,
    clock,
    ec2: (region = "us-east-1") => new EC2Client(config(region)),
    cloudwatch: (region = "us-east-1") => new CloudWatchClient(config(region)),
    sns: (region = "us-east-1") => new SNSClient(config(region)),
  };
}

/** The error an SDK call rejects with, for asserting on `name` (the AWS error code). */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return {
      name: e.name,
      message: e.message,
      ...(e.$metadata?.httpStatusCode ? { status: e.$metadata.httpStatusCode } : {}),
    };
  }
  throw new Error("expected the call to fail");
}
