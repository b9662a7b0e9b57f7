import type { HandlerContext } from "../functions/common";
import { logger } from "../functions/common";
import * as plan from "../functions/plan";
import * as report from "../functions/report";
import * as restoreCheck from "../functions/restore-check";
import * as restorePlan from "../functions/restore-plan";
import * as restoreStep from "../functions/restore-step";
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

/** The modules behind the template's `Handler` properties (`functions/plan.handler`). */
const BY_HANDLER: Record<string, { make: (get: () => HandlerContext) => unknown }> = {
  "functions/plan.handler": plan,
  "functions/step.handler": step,
  "functions/set.handler": set,
  "functions/report.handler": report,
  "functions/summarize.handler": summarize,
  "functions/restore-plan.handler": restorePlan,
  "functions/restore-step.handler": restoreStep,
  "functions/restore-check.handler": restoreCheck,
};

/** The real handler a packaged AWS::Lambda::Function names, wired to `config`; undefined if unknown. */
export function handlerOf(handlerProperty: string, config: Config, clock: Clock): LocalHandler | undefined {
  const mod = BY_HANDLER[handlerProperty];
  if (!mod) return undefined;
  const context: HandlerContext = { config, deps: awsDeps(config, clock, logger) };
  return mod.make(() => context) as unknown as LocalHandler;
}
