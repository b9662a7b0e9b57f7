import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { Config } from "./config";

/** Time as domain code sees it: the wall clock on Lambda, simulated time in local runs. */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

/** The part of Powertools Logger that domain code uses, so tests can pass a plain object. */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Everything domain functions need from the outside world. */
export interface Deps {
  ec2(region: string): EC2Client;
  cloudwatch: CloudWatchClient;
  sns: SNSClient;
  /** Run Command, in the primary region (the instances' region). */
  ssm: SSMClient;
  s3: S3Client;
  clock: Clock;
  log: Log;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * AWS clients, one per region and container. The endpoint comes from the environment
 * (AWS_ENDPOINT_URL), so the same code talks to AWS, the embedded emulator or any compatible
 * endpoint. The SDK makes one attempt per call: snapfleet retries transient errors itself
 * (lib/retry.ts), sleeping on `clock`, so that retry delays are simulated time in local runs.
 */
export function awsDeps(config: Pick<Config, "region" | "endpoint">, clock: Clock, log: Log): Deps {
  const common = { maxAttempts: 1, ...(config.endpoint ? { endpoint: config.endpoint } : {}) };
  const ec2Clients = new Map<string, EC2Client>();
  return {
    ec2(region) {
      let client = ec2Clients.get(region);
      if (!client) {
        client = new EC2Client({ region, ...common });
        ec2Clients.set(region, client);
      }
      return client;
    },
    cloudwatch: new CloudWatchClient({ region: config.region, ...common }),
    sns: new SNSClient({ region: config.region, ...common }),
    ssm: new SSMClient({ region: config.region, ...common }),
    // Path-style addressing only for a custom endpoint (emulators); AWS itself uses virtual hosts.
    s3: new S3Client({ region: config.region, ...common, forcePathStyle: Boolean(config.endpoint) }),
    clock,
    log,
  };
}
