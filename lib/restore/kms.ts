import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import type { KeyDescription } from "./deps";

/**
 * KMS DescribeKey, one client per region. The endpoint comes from the environment
 * (AWS_ENDPOINT_URL), like every other client.
 */
export function kmsDescribeKey(
  options: { endpoint?: string | undefined } = {},
): (keyId: string, region: string) => Promise<KeyDescription> {
  const clients = new Map<string, KMSClient>();
  return async (keyId, region) => {
    let client = clients.get(region);
    if (!client) {
      client = new KMSClient({ region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
      clients.set(region, client);
    }
    const result = await client.send(new DescribeKeyCommand({ KeyId: keyId }));
    return { keyId: result.KeyMetadata?.Arn ?? keyId, state: result.KeyMetadata?.KeyState ?? "Unknown" };
  };
}
