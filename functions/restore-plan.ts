import { planRequest } from "../lib/restore/request";
import { startProgress } from "../lib/restore/steps";
import { defineHandler } from "./common";
import { restoreDeps } from "./restore-context";
import { restoreRequestSchema } from "./restore-schemas";

/** The restore state machine's first step: the checked plan and where execution starts. */
export const { make, handler } = defineHandler(
  "restorePlan",
  restoreRequestSchema,
  async (input, context) => {
    const plan = await planRequest(
      { ...input, region: input.region ?? context.config.region },
      restoreDeps(context),
    );
    return { plan, progress: startProgress(plan) };
  },
);
