import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import type { z } from "zod";
import { type Config, loadConfig } from "../lib/config";
import { awsDeps, type Deps, systemClock } from "../lib/deps";
import { SnapfleetError } from "../lib/errors";

export const logger = new Logger({ serviceName: "snapfleet" });

export interface HandlerContext {
  config: Config;
  deps: Deps;
}

let defaults: HandlerContext | undefined;

/** Configuration parsed and clients built once per container, on first use. */
export function defaultContext(): HandlerContext {
  if (!defaults) {
    const config = loadConfig(process.env);
    defaults = { config, deps: awsDeps(config, systemClock, logger) };
  }
  return defaults;
}

export class InvalidInputError extends SnapfleetError {}

/** Keys that identify the item a log line is about. */
const ITEM_KEYS = ["runId", "instanceId", "volumeId", "device"] as const;

function itemKeys(input: unknown): Record<string, string> {
  const keys: Record<string, string> = {};
  const source = (input ?? {}) as Record<string, unknown>;
  const item = (source.item ?? {}) as Record<string, unknown>;
  for (const key of ITEM_KEYS) {
    const value = source[key] ?? item[key];
    if (typeof value === "string") keys[key] = value;
  }
  return keys;
}

/**
 * The shared wiring of every snapfleet Lambda: Powertools logger with per-invocation keys, zod
 * input parsing, one call into lib/. `make` lets the local runner and tests pass their own context.
 */
export function defineHandler<S extends z.ZodType, R>(
  name: string,
  schema: S,
  run: (input: z.output<S>, context: HandlerContext) => Promise<R>,
) {
  const make = (getContext: () => HandlerContext = defaultContext) =>
    middy(async (event: unknown, lambdaContext: Context): Promise<R> => {
      const parsed = schema.safeParse(event);
      if (!parsed.success) {
        const problems = parsed.error.issues
          .map((i) => `${i.path.join(".") || "(input)"}: ${i.message}`)
          .join("; ");
        throw new InvalidInputError(`${name} received invalid input: ${problems}`);
      }
      // A child logger per invocation: the local runner invokes handlers concurrently in one
      // process, so keys appended to the shared logger would leak between items.
      const log = logger.createChild({ persistentKeys: itemKeys(event) });
      log.addContext(lambdaContext);
      const context = getContext();
      return run(parsed.data, { config: context.config, deps: { ...context.deps, log } });
    }).use(injectLambdaContext(logger, { resetKeys: true }));
  return { make, handler: make() };
}
