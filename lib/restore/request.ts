import type { RestoreDeps } from "./deps";
import { planRestore, type RestorePlan, type RestoreRequest } from "./plan";
import { planRollback } from "./rollback";

/** The plan for a request: a rollback, or a restore (new, or continued with --volume). */
export function planRequest(request: RestoreRequest, deps: RestoreDeps): Promise<RestorePlan> {
  return request.rollback ? planRollback(request, deps) : planRestore(request, deps);
}
