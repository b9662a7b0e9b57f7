import "./quiet";
import "../local/polyfills";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Config } from "../lib/config";
import { awsDeps, silentLog } from "../lib/deps";
import type { DriveRecord } from "../lib/drive";
import { getJson, putJson } from "../lib/store";
import type { startEmulator } from "../local/aws/server";
import type { VirtualClock } from "../local/clock";
import { localConfig, runBackupCycle } from "../local/cycle";
import { type ExecutionStats, type LocalHandler, StepFunctionsQuotaError } from "../local/runner";
import { buildFleet, MODE_MIX, startBenchAws } from "./fleet";
import {
  customMetricCostPerMonth,
  DAYS_PER_MONTH,
  LAMBDA_MEMORY_GB,
  lowerBoundSeconds,
  monthlyOrchestrationCost,
} from "./model";
import { historyLimitViolations, rejectedEc2Calls, rejectedPercent } from "./report";

/**
 * `npm run bench [-- --json] [-- --sizes 100,1000] [-- --baseline-up-to 1000]`: backs up fleets of 100, 1,000 and 10,000
 * volumes on the embedded AWS with its quotas on and simulated time, once to make history and
 * once measured (a day later, so every volume also prunes yesterday's snapshot in both regions),
 * then runs the naive Map baseline (the same state machine without the timetable) a day later.
 */
interface Figures {
  volumes: number;
  makespanSeconds: number;
  lowerBoundSeconds: number;
  ratio: number;
  apiCallsPerVolume: Record<string, number>;
  describeCallsPerVolume: number;
  transitionsPerVolume: number;
  /** The history of the run's own (parent) execution. */
  maxHistoryEvents: number;
  /** The largest history of any execution of the run: the parent or any Distributed Map child. */
  largestHistoryEvents: number;
  maxPayloadBytes: number;
  lambdaInvocationsPerVolume: number;
  orchestrationCostPerMonthUsd: number;
  customMetricCostPerMonthUsd: number;
  quotaViolations: number;
  /** EC2 calls refused by a token bucket or an EBS limit, retried or not. */
  rejectedCalls: number;
  /** `rejectedCalls` as a percentage of every EC2 call (the refused ones included). */
  rejectedCallsPercent: number;
  throttleFailures: number;
  failedDrives: number;
  /** The most common reason among the failed drives, for diagnosis. */
  commonFailure: string | null;
  cpuSeconds: number;
  /** Real seconds this measured run took on this machine (simulated time runs far faster). */
  realSeconds: number;
  peakRssMB: number;
}

const _DAY_MS = 86_400_000;
const REGION = "us-east-1";
const DR_REGION = "us-west-2";

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);
sampler.unref();

function perVolume(counts: Record<string, number>, volumes: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, round(v / volumes, 3)]),
  );
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

type Result = Figures & { baseline?: Figures };

async function benchFleet(volumes: number, withBaseline: boolean): Promise<Result> {
  const { clock, emulator } = await startBenchAws();
  try {
    const fleet = await buildFleet(emulator.endpoint, REGION, volumes, clock, MODE_MIX);
    const sns = new SNSClient({ region: REGION, endpoint: emulator.endpoint, maxAttempts: 1 });
    const topic = await sns.send(new CreateTopicCommand({ Name: "snapfleet-bench" }));
    const config = localConfig({
      endpoint: emulator.endpoint,
      region: REGION,
      drRegion: DR_REGION,
      defaultRetention: "1",
      topicArn: topic.TopicArn ?? "",
    });
    const toDay = (day: number) => {
      const target = Date.UTC(2026, 0, 1 + day, 3);
      if (clock.nowMs() < target) clock.advance(target - clock.nowMs());
    };

    toDay(1);
    await runBackupCycle(config, clock);

    toDay(2);
    const ours = await measure(emulator, clock, fleet.volumes, async () => {
      const { stats, drives } = await runBackupCycle(config, clock);
      return measuredRun(stats, drives);
    });

    const lb = lowerBoundSeconds(fleet.sizes, ours.prunedPerRegion);
    if (!withBaseline) return { ...figures(ours, lb, fleet.volumes) };
    toDay(3);
    const baseline = await measure(emulator, clock, fleet.volumes, async () => {
      const { stats, drives } = await runBackupCycle(config, clock, {
        handlers: (real) => ({ ...real, plan: withoutTimetable(real.plan as LocalHandler, config, clock) }),
      });
      return measuredRun(stats, drives);
    });
    const lbBaseline = lowerBoundSeconds(fleet.sizes, baseline.prunedPerRegion);
    return {
      ...figures(ours, lb, fleet.volumes),
      baseline: figures(baseline, lbBaseline, fleet.volumes),
    };
  } finally {
    await emulator.stop();
  }
}

function measuredRun(stats: ExecutionStats, drives: DriveRecord[]): Measured {
  const invocations = Object.values(stats.taskInvocations).reduce((a, b) => a + b, 0);
  const gbSeconds = Object.entries(stats.taskMillis).reduce(
    (sum, [fn, ms]) => sum + (ms / 1000) * (LAMBDA_MEMORY_GB[fn] ?? 0.5),
    0,
  );
  // One PutMetricData per server (Report) and one for the fleet (Summarize).
  const cwRequests = new Set(drives.map((d) => d.instanceId)).size + 1;
  return {
    transitions: stats.stateTransitions,
    historyEvents: stats.historyEvents,
    largestHistoryEvents: stats.largestHistoryEvents,
    payloadBytes: stats.largestPayloadBytes,
    lambdaInvocations: invocations,
    costInputs: {
      transitions: stats.stateTransitions,
      lambdaInvocations: invocations,
      lambdaGbSeconds: gbSeconds,
      cloudWatchRequests: cwRequests,
    },
    failed: drives.filter((d) => d.status === "failed"),
    prunedPerRegion: Math.max(
      drives.reduce((n, d) => n + d.pruned.length, 0),
      drives.reduce((n, d) => n + d.drPruned.length, 0),
    ),
  };
}

/**
 * The naive Map baseline: the same state machine and handlers, but Plan's timetable is taken out
 * of the manifest, so every volume requests its snapshot at once and copies as soon as its
 * snapshot completes. What is left is the steps' own backstop: jittered waits on refusals.
 */
function withoutTimetable(plan: LocalHandler, config: Config, clock: VirtualClock): LocalHandler {
  const deps = awsDeps(config, clock, silentLog);
  return async (event, context) => {
    const out = (await plan(event, context)) as { bucket: string; manifestKey: string; startedAt: string };
    const manifest =
      (await getJson<{ drives: Record<string, unknown>[] }[]>(out.bucket, out.manifestKey, deps)) ?? [];
    for (const instance of manifest) {
      for (const drive of instance.drives) {
        drive.snapshotAt = out.startedAt;
        drive.snapshotDoneAt = out.startedAt;
        delete drive.copyAt;
        delete drive.copyDoneAt;
      }
    }
    await putJson(out.bucket, out.manifestKey, manifest, deps);
    return out;
  };
}

interface Measured {
  transitions: number;
  historyEvents: number;
  largestHistoryEvents: number;
  payloadBytes: number;
  lambdaInvocations: number;
  costInputs: Parameters<typeof monthlyOrchestrationCost>[0];
  failed: { reason: string | null }[];
  throttleFailures?: number;
  prunedPerRegion: number;
}

async function measure(
  emulator: Awaited<ReturnType<typeof startEmulator>>,
  clock: VirtualClock,
  volumes: number,
  work: () => Promise<Measured>,
) {
  const requestsBefore = emulator.requests().length;
  const quotasBefore = emulator.quotaStats();
  const cpuBefore = process.cpuUsage();
  const startMs = clock.nowMs();
  const realStart = performance.now();
  peakRss = process.memoryUsage().rss;
  let measured: Measured;
  let sfnViolations = 0;
  try {
    measured = await work();
  } catch (error) {
    if (!(error instanceof StepFunctionsQuotaError)) throw error;
    throw error;
  }
  // Every execution counts, Distributed Map children included.
  sfnViolations += historyLimitViolations(measured.largestHistoryEvents);
  const makespan = (clock.nowMs() - startMs) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const quotasAfter = emulator.quotaStats();
  const calls: Record<string, number> = {};
  for (const r of emulator.requests().slice(requestsBefore)) {
    if (r.service !== "ec2") continue;
    calls[r.action] = (calls[r.action] ?? 0) + 1;
  }
  return {
    ...measured,
    volumes,
    makespan,
    calls,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    realSeconds: (performance.now() - realStart) / 1000,
    peakRssMB: peakRss / 2 ** 20,
    rejectedCalls: rejectedEc2Calls(quotasBefore, quotasAfter),
    quotaViolations:
      sfnViolations +
      (quotasAfter.throttled - quotasBefore.throttled) +
      (quotasAfter.limitErrors - quotasBefore.limitErrors),
  };
}

function mostCommon(values: string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1])[0];
  return top ? `${top[1]}x ${top[0].slice(0, 200)}` : null;
}

function figures(m: Awaited<ReturnType<typeof measure>>, lb: number, volumes: number): Figures {
  const describes = Object.entries(m.calls)
    .filter(([action]) => action.startsWith("Describe"))
    .reduce((n, [, v]) => n + v, 0);
  const ec2Calls = Object.values(m.calls).reduce((n, v) => n + v, 0);
  const throttleFailures =
    m.throttleFailures ??
    m.failed.filter((d) => /RequestLimitExceeded|Throttl|LimitExceeded/.test(d.reason ?? "")).length;
  return {
    volumes,
    makespanSeconds: round(m.makespan, 0),
    lowerBoundSeconds: round(lb, 0),
    ratio: round(m.makespan / lb, 3),
    apiCallsPerVolume: perVolume(m.calls, volumes),
    describeCallsPerVolume: round(describes / volumes, 3),
    transitionsPerVolume: round(m.transitions / volumes, 3),
    maxHistoryEvents: m.historyEvents,
    largestHistoryEvents: m.largestHistoryEvents,
    maxPayloadBytes: m.payloadBytes,
    lambdaInvocationsPerVolume: round(m.lambdaInvocations / volumes, 3),
    orchestrationCostPerMonthUsd: round(monthlyOrchestrationCost(m.costInputs), 2),
    // Three per-drive metrics per drive, four fleet-level ones, each sent once a run: in one hour a day.
    customMetricCostPerMonthUsd: round(
      customMetricCostPerMonth([{ metrics: volumes * 3 + 4, hoursSentPerMonth: DAYS_PER_MONTH }]),
      2,
    ),
    quotaViolations: m.quotaViolations,
    rejectedCalls: m.rejectedCalls,
    rejectedCallsPercent: round(rejectedPercent(m.rejectedCalls, ec2Calls), 3),
    throttleFailures,
    failedDrives: m.failed.length,
    commonFailure: mostCommon(
      m.failed.map((d) => (d.reason ?? "").replace(/(snap|vol|i)-[0-9a-f]+/g, "$1-…")),
    ),
    cpuSeconds: round(m.cpuSeconds, 1),
    realSeconds: round(m.realSeconds, 1),
    peakRssMB: round(m.peakRssMB, 0),
  };
}

function printTable(results: Result[]): void {
  const rows: [string, (f: Figures) => string][] = [
    ["makespan (simulated)", (f) => `${f.makespanSeconds} s`],
    ["lower bound", (f) => `${f.lowerBoundSeconds} s`],
    ["ratio", (f) => `${f.ratio}`],
    ["EC2 Describe calls / volume", (f) => `${f.describeCallsPerVolume}`],
    [
      "EC2 calls / volume",
      (f) =>
        Object.entries(f.apiCallsPerVolume)
          .map(([k, v]) => `${k} ${v}`)
          .join(", "),
    ],
    ["state transitions / volume", (f) => `${f.transitionsPerVolume}`],
    ["history events (run)", (f) => `${f.maxHistoryEvents}`],
    ["largest history (any exec.)", (f) => `${f.largestHistoryEvents}`],
    ["max payload", (f) => `${f.maxPayloadBytes} B`],
    ["Lambda invocations / volume", (f) => `${f.lambdaInvocationsPerVolume}`],
    ["orchestration $/month", (f) => `${f.orchestrationCostPerMonthUsd}`],
    ["custom metrics $/month", (f) => `${f.customMetricCostPerMonthUsd}`],
    ["quota violations", (f) => `${f.quotaViolations}`],
    ["rejected EC2 calls", (f) => `${f.rejectedCalls} (${f.rejectedCallsPercent}% of EC2 calls)`],
    ["drives failed by throttling", (f) => `${f.throttleFailures} (of ${f.failedDrives} failed)`],
    ["CPU seconds", (f) => `${f.cpuSeconds}`],
    ["real seconds (this run)", (f) => `${f.realSeconds}`],
    ["peak RSS", (f) => `${f.peakRssMB} MB`],
  ];
  for (const r of results) {
    process.stdout.write(`\n== ${r.volumes} volumes\n`);
    process.stdout.write(`${"".padEnd(30)}${"snapfleet (timetable)".padEnd(44)}naive Map (no timetable)\n`);
    for (const [label, value] of rows) {
      process.stdout.write(
        `${label.padEnd(30)}${value(r).padEnd(44)}${r.baseline ? value(r.baseline) : "-"}\n`,
      );
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const sizesArg = args[args.indexOf("--sizes") + 1];
  const sizes = args.includes("--sizes") && sizesArg ? sizesArg.split(",").map(Number) : [100, 1000, 10_000];
  // `--baseline-up-to N`: the naive Map (slow to simulate: it is retried thousands of times) only
  // for fleets of at most N volumes; by default for every fleet.
  const upTo = args.includes("--baseline-up-to")
    ? Number(args[args.indexOf("--baseline-up-to") + 1])
    : Infinity;
  const results: Result[] = [];
  for (const volumes of sizes) {
    const started = Date.now();
    results.push(await benchFleet(volumes, volumes <= upTo));
    process.stderr.write(
      `bench: ${volumes} volumes took ${((Date.now() - started) / 1000).toFixed(1)} s of real time\n`,
    );
  }
  if (json) process.stdout.write(`${JSON.stringify({ results }, null, 2)}\n`);
  else printTable(results);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
