import { restoreCommand } from "../../lib/restore/incomplete";
import type { RestorePlan, RestoreRequest } from "../../lib/restore/plan";
import { planRequest } from "../../lib/restore/request";
import { executePlan } from "../../lib/restore/run";
import type { SetRestoreRequest } from "../../lib/restore/set-plan";
import { ISO_TIME_EXAMPLE, parseIsoTime } from "../../lib/restore/time";
import { type CliContext, defaultContext } from "../context";
import { EXIT, reportError, UsageError } from "../errors";
import { formatOutcome, formatPlan, stepText } from "../format";
import { requireRegion, requireSelector } from "../options";
import { restoreAllDrives } from "./restore-set";

export interface RestoreOptions {
  host?: string;
  instance?: string;
  device?: string;
  allDrives?: boolean;
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
    if (options.allDrives) return await restoreAllDrives(toSetRequest(options, context), context, json);
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

/** What one-drive and set requests share: instance, region, time, zone, and the switches. */
function commonRequest(options: RestoreOptions, context: CliContext): SetRestoreRequest {
  const selector = requireSelector(options);
  const region = requireRegion(options, context);
  if (options.rollback) {
    for (const flag of ["at", "az", "size", "type", "volume"] as const) {
      if (options[flag] !== undefined)
        throw new UsageError(`--rollback swaps back the previous volume; --${flag} does not apply`);
    }
  }
  const at = options.at === undefined ? undefined : parseIsoTime(options.at);
  if (options.at !== undefined && at === undefined)
    throw new UsageError(
      `--at ${options.at} is not an ISO 8601 time on a real calendar day: give date, time and zone, e.g. ${ISO_TIME_EXAMPLE} or 2026-11-30T01:00:00+01:00`,
    );
  return {
    region,
    ...selector,
    at: at?.toISOString(),
    az: options.az,
    attach: Boolean(options.attach) || Boolean(options.rollback),
    start: Boolean(options.start),
    rollback: Boolean(options.rollback),
    dryRun: Boolean(options.dryRun),
  };
}

function toRequest(options: RestoreOptions, context: CliContext): RestoreRequest {
  if (options.device === undefined)
    throw new UsageError("required option '--device <dev>' not specified (or --all-drives for every drive)");
  const common = commonRequest(options, context);
  if (options.volume !== undefined && options.at !== undefined)
    throw new UsageError("--volume continues with an existing volume; --at does not apply");
  const size = options.size === undefined ? undefined : Number(options.size);
  if (size !== undefined && (!Number.isInteger(size) || size < 1))
    throw new UsageError(`--size ${options.size} is not a whole number of GiB`);
  return {
    ...common,
    device: options.device,
    sizeGiB: size,
    volumeType: options.type,
    stop: Boolean(options.stop),
    volumeId: options.volume,
  };
}

/** --all-drives: every drive of one set; the per-drive options do not apply. */
function toSetRequest(options: RestoreOptions, context: CliContext): SetRestoreRequest {
  for (const flag of ["device", "volume", "size", "type", "stop"] as const) {
    if (options[flag] !== undefined)
      throw new UsageError(
        `--all-drives restores every drive of one set; --${flag} does not apply ` +
          (flag === "stop"
            ? "(with --attach the instance always stops once for all drives)"
            : "(restore that drive alone with --device)"),
      );
  }
  return commonRequest(options, context);
}
