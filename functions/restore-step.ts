import { guarded } from "../lib/restore/incomplete";
import type { RestorePlan } from "../lib/restore/plan";
import { performStep } from "../lib/restore/steps";
import { defineHandler } from "./common";
import { restoreDeps } from "./restore-context";
import { restoreStepInputSchema } from "./restore-schemas";

/** Performs the plan's current step; throttling is left to the state machine's Retry. */
export const { make, handler } = defineHandler("restoreStep", restoreStepInputSchema, (input, context) => {
  const deps = restoreDeps(context);
  const plan = input.plan as RestorePlan;
  return guarded(plan, input.progress, () => performStep(plan, input.progress, deps), deps, {
    passTransient: true,
  });
});
