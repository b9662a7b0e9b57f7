import type { CliContext } from "./context";
import { UsageError } from "./errors";

/** Exactly one of --host and --instance. */
export function requireSelector(options: { host?: string; instance?: string }): {
  host?: string;
  instanceId?: string;
} {
  if (options.host !== undefined && options.instance !== undefined)
    throw new UsageError("pass either --host or --instance, not both");
  if (options.host !== undefined) return { host: options.host };
  if (options.instance !== undefined) return { instanceId: options.instance };
  throw new UsageError("pass --host NAME or --instance ID");
}

/** --region, else AWS_REGION, as the AWS SDK and CLI read it. */
export function requireRegion(options: { region?: string }, context: CliContext): string {
  const region = options.region ?? context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError("no region: pass --region or set AWS_REGION");
  return region;
}
