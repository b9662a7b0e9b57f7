import type { RestoreDeps } from "../lib/restore/deps";
import { kmsDescribeKey } from "../lib/restore/kms";
import type { HandlerContext } from "./common";

let describeKey: RestoreDeps["describeKey"];

/** The handler's deps plus KMS DescribeKey (one client per region and container). */
export function restoreDeps({ config, deps }: HandlerContext): RestoreDeps {
  describeKey ??= kmsDescribeKey({ endpoint: config.endpoint });
  return { ec2: deps.ec2, clock: deps.clock, log: deps.log, describeKey };
}
