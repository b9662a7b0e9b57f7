import { NoRecoveryPointError } from "../../lib/restore/errors";
import { findRecoveryPoints } from "../../lib/restore/points";
import { type CliContext, defaultContext } from "../context";
import { EXIT, reportError } from "../errors";
import { formatPoints } from "../format";
import { requireRegion, requireSelector } from "../options";

export interface SnapshotsOptions {
  host?: string;
  instance?: string;
  device?: string;
  region?: string;
  json?: boolean;
}

/** `snapfleet snapshots`: the recovery points of a host or instance, per drive, newest first. */
export default async function snapshots(
  options: SnapshotsOptions,
  context: CliContext = defaultContext(),
): Promise<number> {
  const json = Boolean(options.json);
  try {
    const selector = requireSelector(options);
    const region = requireRegion(options, context);
    const points = await findRecoveryPoints({ region, device: options.device, ...selector }, context.deps());
    if (points.length === 0) {
      const what = selector.host ? `host ${selector.host}` : `instance ${selector.instanceId}`;
      throw new NoRecoveryPointError(
        `No snapshot of ${what}${options.device ? ` ${options.device}` : ""} in ${region}. ` +
          "Check the name or id and the device, or pass --region for the DR region.",
        { region, instanceId: selector.instanceId },
      );
    }
    if (json) {
      context.stdout.write(
        `${JSON.stringify({ region, ...selector, device: options.device ?? null, recoveryPoints: points }, null, 2)}\n`,
      );
    } else {
      context.stdout.write(`${formatPoints(points)}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    return reportError(error, context, json);
  }
}
