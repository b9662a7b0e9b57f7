import { guarded } from "../lib/restore/incomplete";
import type { RestorePlan } from "../lib/restore/plan";
import { checkStep } from "../lib/restore/steps";
import { defineHandler } from "./common";
import { restoreDeps } from "./restore-context";
import { restoreStepInputSchema } from "./restore-schemas";

/** One check of the state the current step waits for (the state machine's Wait loop calls it). */
export const { make, handler } = defineHandler("restoreCheck", restoreStepInputSchema, (input, context) => {
  const deps = restoreDeps(context);
  const plan = input.plan as RestorePlan;
  return guarded(plan, input.progress, () => checkStep(plan, input.progress, deps), deps, {
    passTransient: true,
  });
});
