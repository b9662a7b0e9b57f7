import "./polyfills";
import type { Config } from "../lib/config";
import { awsDeps, silentLog, systemClock } from "../lib/deps";
import type { DriveRecord } from "../lib/drive";
import { DEFAULT_NAMESPACE } from "../lib/metric-names";
import { getJson } from "../lib/store";
import type { RunOutcome } from "../lib/summarize";
import { type Emulator, startEmulator } from "./aws/server";
import { VirtualClock } from "./clock";
import { createDemoFleet, type DemoFleet } from "./demo";
import { localHandlers } from "./handlers";
import { type ExecutionStats, type LocalHandler, type RunOptions, runStateMachine } from "./runner";
import { applyStack, createRunBucket, handlerAccessKey } from "./stack-on-emulator";

/** Where the demo's simulated history starts. */
export const DEMO_START = Date.UTC(2026, 10, 20, 3, 0, 0);

export interface CycleOptions {
  /** An AWS-compatible endpoint to use instead of starting the embedded AWS. */
  endpoint?: string | undefined;
  region?: string;
  drRegion?: string;
  /** Simulated start of the demo history; the run happens six days later. */
  start?: Date;
  /** The simulated clock to run on (instead of one starting at `start`), e.g. to stamp logs with it. */
  clock?: VirtualClock;
  /** Told of the run's events as they happen (a progress display). */
  onProgress?: RunOptions["onProgress"];
}

export interface CycleResult {
  summary: RunOutcome;
  drives: DriveRecord[];
  fleet: DemoFleet;
  stats: ExecutionStats;
  config: Config;
  /** Present when the embedded AWS was started; the caller stops it. */
  emulator: Emulator | undefined;
  clock: VirtualClock | undefined;
}

/**
 * One run of statemachine/backup.asl.json with the real handlers, against `config.endpoint`. With
 * a virtual clock, Wait states take simulated time; the execution is named after the clock's time.
 */
export async function runBackupCycle(
  config: Config,
  clock?: VirtualClock | undefined,
  options: {
    crash?: RunOptions["crash"];
    /** Replaces some of the real handlers (the benchmark's naive baseline wraps Plan). */
    handlers?: (real: Record<string, LocalHandler>) => Record<string, LocalHandler>;
    onProgress?: RunOptions["onProgress"];
  } = {},
): Promise<BackupRun> {
  const now = clock ?? systemClock;
  // Named when it starts (before any await), so two runs started apart never share a name.
  const executionName = `run-${now.now().toISOString().replace(/[:.]/g, "-")}`;
  handlerAccessKey();
  const deps = awsDeps(config, now, silentLog);
  await createRunBucket(config);
  const { output, stats } = await runStateMachine(
    {},
    {
      handlers: options.handlers ? options.handlers(localHandlers(config, now)) : localHandlers(config, now),
      executionName,
      clock,
      // What Step Functions itself reads and writes (a Distributed Map's items and results).
      s3: config.endpoint ? { endpoint: config.endpoint, region: config.region } : undefined,
      ...(options.crash ? { crash: options.crash } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    },
  );
  const outcome = output as RunOutcome;
  const drives = (await getJson<DriveRecord[]>(config.bucket, outcome.resultsKey, deps)) ?? [];
  return { outcome, drives, stats };
}

export interface BackupRun {
  outcome: RunOutcome;
  /** Every drive's status record, read back from the run's results object in S3. */
  drives: DriveRecord[];
  stats: ExecutionStats;
}

/** The configuration the local runs use, as `serverless.yml`'s defaults would give it. */
export function localConfig(overrides: Partial<Config> & { endpoint: string }): Config {
  return {
    region: "us-east-1",
    drRegion: "us-west-2",
    selectionTag: "Backup",
    defaultRetention: "7",
    metricNamespace: DEFAULT_NAMESPACE,
    topicArn: "",
    timeZone: "UTC",
    orphans: "keep",
    bucket: "snapfleet-runs",
    drKmsKeyId: "",
    copyConcurrency: 20,
    apiHeadroom: 0.1,
    freezeDocument: "snapfleet-dev-fsfreeze",
    ...overrides,
  };
}

/**
 * One complete backup cycle of the demo fleet: start the embedded AWS (unless an endpoint is
 * given), create the fleet through the EC2 API, run statemachine/backup.asl.json with the real
 * handlers, and return what Summarize produced.
 */
export async function runDemoCycle(options: CycleOptions = {}): Promise<CycleResult> {
  const region = options.region ?? "us-east-1";
  const drRegion = options.drRegion ?? "us-west-2";
  const clock = options.endpoint
    ? undefined
    : (options.clock ?? new VirtualClock(options.start ?? DEMO_START));
  const emulator = clock ? await startEmulator({ clock }) : undefined;
  const endpoint = emulator?.endpoint ?? (options.endpoint as string);
  try {
    const fleet = await createDemoFleet({ endpoint, region, drRegion, clock });
    const config = localConfig({ region, drRegion, topicArn: fleet.topicArn, endpoint });
    // On the embedded AWS, the stack's own IAM policy and alarms apply, as after `sls deploy`.
    if (emulator) await applyStack(emulator, config);
    const { outcome, drives, stats } = await runBackupCycle(
      config,
      clock,
      options.onProgress ? { onProgress: options.onProgress } : {},
    );
    if (emulator && clock) {
      // CloudWatch evaluates alarms every minute; give it a few simulated minutes after the run.
      clock.advance(5 * 60_000);
      emulator.evaluateAlarms();
    }
    return { summary: outcome, drives, fleet, stats, config, emulator, clock };
  } catch (error) {
    await emulator?.stop();
    throw error;
  }
}
