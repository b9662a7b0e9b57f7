import { restoreCommand } from "../../lib/restore/incomplete";
import type { RestorePlan, RestoreRequest } from "../../lib/restore/plan";
import { planRequest } from "../../lib/restore/request";
import { executePlan } from "../../lib/restore/run";
import { ISO_TIME_EXAMPLE, parseIsoTime } from "../../lib/restore/time";
import { type CliContext, defaultContext } from "../context";
import { EXIT, reportError, UsageError } from "../errors";
import { formatOutcome, formatPlan, stepText } from "../format";
import { requireRegion, requireSelector } from "../options";

export interface RestoreOptions {
  host?: string;
  instance?: string;
  device: string;
  at?: string;
  region?: string;
  az?: string;
  size?: string;
  type?: string;
  dryRun?: boolean;
  attach?: boolean;
  stop?: boolean;
  start?: boolean;
  rollback?: boolean;
  volume?: string;
  json?: boolean;
}

/**
 * `snapfleet restore`: plan (and print) a restore, check it, and unless --dry-run carry it out.
 * The plan goes to stdout first; progress to stderr; the result to stdout.
 */
export default async function restore(
  options: RestoreOptions,
  context: CliContext = defaultContext(),
): Promise<number> {
  const json = Boolean(options.json);
  try {
    const request = toRequest(options, context);
    const deps = context.deps();
    const plan = await planRequest(request, deps);
    if (!json) context.stdout.write(`${formatPlan(plan)}\n`);
    if (plan.attach && plan.steps.length === 0) {
      const message = `${plan.volume.volumeId} is already attached to ${plan.instance.instanceId} at ${plan.device}: nothing to do, nothing was changed.`;
      if (json) context.stdout.write(`${JSON.stringify({ plan, result: null, changed: false }, null, 2)}\n`);
      else context.stdout.write(`${message}\n`);
      return EXIT.ok;
    }
    if (plan.dryRun) {
      if (json) context.stdout.write(`${JSON.stringify({ plan, dryRun: true }, null, 2)}\n`);
      else context.stdout.write("Dry run: nothing was changed.\n");
      return EXIT.ok;
    }
    const result = await executePlan(plan, deps, {
      onStep(step, phase, progress) {
        if (phase === "start") context.stderr.write(`snapfleet: ${stepText(step)}...\n`);
        else if (step === "create-volume") context.stderr.write(`snapfleet: created ${progress.volumeId}\n`);
      },
    });
    const rollback =
      plan.mode === "restore" && plan.attach && plan.currentVolumeId ? rollbackCommand(plan) : null;
    if (json) context.stdout.write(`${JSON.stringify({ plan, result }, null, 2)}\n`);
    else context.stdout.write(`${formatOutcome(result, rollback)}\n`);
    return EXIT.ok;
  } catch (error) {
    return reportError(error, context, json);
  }
}

function rollbackCommand(plan: RestorePlan): string {
  const flags = ["--rollback"];
  if (plan.stopInstance && !plan.isRootDevice) flags.push("--stop");
  return restoreCommand(plan, flags);
}

function toRequest(options: RestoreOptions, context: CliContext): RestoreRequest {
  const selector = requireSelector(options);
  const region = requireRegion(options, context);
  if (options.rollback) {
    for (const flag of ["at", "az", "size", "type", "volume"] as const) {
      if (options[flag] !== undefined)
        throw new UsageError(`--rollback swaps back the previous volume; --${flag} does not apply`);
    }
  }
  if (options.volume !== undefined && options.at !== undefined)
    throw new UsageError("--volume continues with an existing volume; --at does not apply");
  const at = options.at === undefined ? undefined : parseIsoTime(options.at);
  if (options.at !== undefined && at === undefined)
    throw new UsageError(
      `--at ${options.at} is not an ISO 8601 time on a real calendar day: give date, time and zone, e.g. ${ISO_TIME_EXAMPLE} or 2026-11-30T01:00:00+01:00`,
    );
  const size = options.size === undefined ? undefined : Number(options.size);
  if (size !== undefined && (!Number.isInteger(size) || size < 1))
    throw new UsageError(`--size ${options.size} is not a whole number of GiB`);
  return {
    region,
    ...selector,
    device: options.device,
    at: at?.toISOString(),
    az: options.az,
    sizeGiB: size,
    volumeType: options.type,
    attach: Boolean(options.attach) || Boolean(options.rollback),
    stop: Boolean(options.stop),
    start: Boolean(options.start),
    rollback: Boolean(options.rollback),
    volumeId: options.volume,
    dryRun: Boolean(options.dryRun),
  };
}
