import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SNSClient } from "@aws-sdk/client-sns";
import type { Config } from "./config";

export interface Clock {
  now(): Date;
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
  clock: Clock;
  log: Log;
}

export const systemClock: Clock = { now: () => new Date() };

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * AWS clients, one per region and container. The endpoint comes from the environment
 * (AWS_ENDPOINT_URL), so the same code talks to AWS, the embedded emulator or any compatible endpoint.
 */
export function awsDeps(config: Pick<Config, "region" | "endpoint">, clock: Clock, log: Log): Deps {
  const endpoint = config.endpoint ? { endpoint: config.endpoint } : {};
  const ec2Clients = new Map<string, EC2Client>();
  return {
    ec2(region) {
      let client = ec2Clients.get(region);
      if (!client) {
        client = new EC2Client({ region, ...endpoint });
        ec2Clients.set(region, client);
      }
      return client;
    },
    cloudwatch: new CloudWatchClient({ region: config.region, ...endpoint }),
    sns: new SNSClient({ region: config.region, ...endpoint }),
    clock,
    log,
  };
}
