import { restoreCommand } from "../../lib/restore/incomplete";
import { planSetRestore, type SetRestoreRequest, setPlanView } from "../../lib/restore/set-plan";
import { planSetRollback } from "../../lib/restore/set-rollback";
import { executeSetPlan } from "../../lib/restore/set-run";
import type { CliContext } from "../context";
import { EXIT } from "../errors";
import { stepText } from "../format";
import { formatSetOutcome, formatSetPlan } from "../format-set";

/**
 * `snapfleet restore --all-drives`: plan every drive of one set (or roll back the last set
 * restore), print the checked plan, and unless --dry-run carry it out with one stop and start.
 * Errors are the caller's to report.
 */
export async function restoreAllDrives(
  request: SetRestoreRequest,
  context: CliContext,
  json: boolean,
): Promise<number> {
  const deps = context.deps();
  const plan = request.rollback ? await planSetRollback(request, deps) : await planSetRestore(request, deps);
  const view = setPlanView(plan);
  if (!json) context.stdout.write(`${formatSetPlan(plan)}\n`);
  if (plan.dryRun) {
    if (json) context.stdout.write(`${JSON.stringify({ plan: view, dryRun: true }, null, 2)}\n`);
    else context.stdout.write("Dry run: nothing was changed.\n");
    return EXIT.ok;
  }
  const result = await executeSetPlan(plan, deps, {
    onStep(device, step, phase, progress) {
      const where = device ? `${device}: ` : "";
      if (phase === "start") context.stderr.write(`snapfleet: ${where}${stepText(step)}...\n`);
      else if (step === "create-volume")
        context.stderr.write(`snapfleet: ${where}created ${progress.volumeId}\n`);
    },
  });
  const rollback = plan.mode === "restore" && plan.attach ? restoreCommand(plan, ["--rollback"]) : null;
  if (json) context.stdout.write(`${JSON.stringify({ plan: view, result }, null, 2)}\n`);
  else context.stdout.write(`${formatSetOutcome(result, rollback)}\n`);
  return EXIT.ok;
}
