import type { HandlerContext } from "../functions/common";
import { logger } from "../functions/common";
import * as plan from "../functions/plan";
import * as report from "../functions/report";
import * as set from "../functions/set";
import * as step from "../functions/step";
import * as summarize from "../functions/summarize";
import type { Config } from "../lib/config";
import { awsDeps, type Clock } from "../lib/deps";
import type { LocalHandler } from "./runner";

/**
 * The real Lambda handlers of functions/, keyed by their serverless.yml function name, wired to
 * the given configuration and clock instead of the Lambda environment.
 */
export function localHandlers(config: Config, clock: Clock): Record<string, LocalHandler> {
  const context: HandlerContext = { config, deps: awsDeps(config, clock, logger) };
  const get = () => context;
  const modules = { plan, set, step, report, summarize };
  return Object.fromEntries(
    Object.entries(modules).map(([name, mod]) => [name, mod.make(get) as unknown as LocalHandler]),
  );
}
