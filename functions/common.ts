import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
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

/** Keys that identify the item a log line is about; reset on every invocation. */
const ITEM_KEYS = ["runId", "instanceId", "volumeId", "device"] as const;

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
    middy(async (event: unknown): Promise<R> => {
      const parsed = schema.safeParse(event);
      if (!parsed.success) {
        const problems = parsed.error.issues
          .map((i) => `${i.path.join(".") || "(input)"}: ${i.message}`)
          .join("; ");
        throw new InvalidInputError(`${name} received invalid input: ${problems}`);
      }
      const keys: Record<string, string> = {};
      const input = parsed.data as Record<string, unknown>;
      for (const key of ITEM_KEYS) if (typeof input[key] === "string") keys[key] = input[key] as string;
      logger.appendKeys(keys);
      return run(parsed.data, getContext());
    }).use(injectLambdaContext(logger, { resetKeys: true }));
  return { make, handler: make() };
}
