import { RunInstancesCommand } from "@aws-sdk/client-ec2";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { EmulatorOptions } from "../../../local/aws/server";
import { credentials, type Harness, startHarness } from "./harness";

export const SSM_API = "https://docs.aws.amazon.com/systems-manager/latest/APIReference";

/** The emulator harness plus an SSM client (awsJson1_1) on the same endpoint. */
export interface SsmHarness extends Harness {
  ssm(region?: string, keys?: { accessKeyId: string; secretAccessKey: string }): SSMClient;
}

export async function startSsmHarness(options: Omit<EmulatorOptions, "clock"> = {}): Promise<SsmHarness> {
  const h = await startHarness({ quotas: false, ...options });
  return {
    ...h,
    ssm: (region = "us-east-1", keys = credentials) =>
      new SSMClient({ endpoint: h.emulator.endpoint, region, credentials: keys, maxAttempts: 1 }),
  };
}

/** A running instance (Linux unless its image is a Windows one), with tags. */
export async function launch(
  h: Harness,
  tags: Record<string, string> = {},
  imageId = "ami-12345678",
): Promise<string> {
  const out = await h.ec2().send(
    new RunInstancesCommand({
      ImageId: imageId,
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [
        { ResourceType: "instance", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      ],
    }),
  );
  return out.Instances?.[0]?.InstanceId ?? "";
}
