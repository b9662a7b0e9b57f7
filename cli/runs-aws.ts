import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  ListStateMachinesCommand,
  SFNClient,
  type StateMachineListItem,
} from "@aws-sdk/client-sfn";
import type { DriveRecord } from "../lib/drive";
import type { ServerReport } from "../lib/report";
import type { RunOutcome } from "../lib/summarize";
import type { CliContext } from "./context";
import { RunNotFoundError } from "./errors";
import type { Counts, RunProgress } from "./progress";

/**
 * What `snapfleet run`, `runs` and `status` read from AWS: the backup state machine's executions
 * (Step Functions), their Map Run, and the run's objects in the run bucket (S3). Region, endpoint
 * and credentials as for any AWS SDK tool; AWS_ENDPOINT_URL points both clients at the embedded AWS.
 */
export interface RunsAws {
  sfn: SFNClient;
  s3: S3Client;
}

/** The clients for `region`: the context's own when it has them (tests), else the SDK's defaults. */
export function runsAws(context: CliContext, region: string): RunsAws {
  const given = context.runsAws?.(region);
  if (given) return given;
  const endpoint = context.env.AWS_ENDPOINT_URL || undefined;
  return {
    sfn: new SFNClient({ region, ...(endpoint ? { endpoint } : {}) }),
    // Custom endpoints (the embedded AWS) serve S3 path-style.
    s3: new S3Client({ region, ...(endpoint ? { endpoint, forcePathStyle: true } : {}) }),
  };
}

/**
 * The backup state machine: `--state-machine` as an ARN or a name, else the one whose name ends in
 * `-backup` (the stack names it `<service>-<stage>-backup`).
 */
export async function findBackupMachine(
  sfn: SFNClient,
  region: string,
  flag: string | undefined,
): Promise<string> {
  if (flag?.startsWith("arn:")) return flag;
  const machines: StateMachineListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ maxResults: 1000, nextToken }));
    machines.push(...(page.stateMachines ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const matching = machines.filter((m) => (flag ? m.name === flag : m.name?.endsWith("-backup")));
  if (matching.length === 1) return matching[0]?.stateMachineArn as string;
  const names = machines.map((m) => m.name).join(", ") || "none";
  if (matching.length === 0) {
    throw new RunNotFoundError(
      flag
        ? `No state machine named ${flag} in ${region} (there are: ${names}). Check --state-machine and --region.`
        : `No state machine whose name ends in -backup in ${region} (there are: ${names}). Deploy the stack, pass --region, or pass --state-machine NAME|ARN.`,
      { region },
    );
  }
  throw new RunNotFoundError(
    `Several backup state machines in ${region}: ${matching.map((m) => m.name).join(", ")}. Pass --state-machine NAME|ARN.`,
    { region },
  );
}

/** An execution named by `run` (its name or ARN), or the newest one. */
export async function findExecution(sfn: SFNClient, machineArn: string, run: string | undefined) {
  if (run?.startsWith("arn:")) return run;
  if (run) return `${machineArn.replace(":stateMachine:", ":execution:")}:${run}`;
  const { executions } = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: 1 }),
  );
  const newest = executions?.[0]?.executionArn;
  if (!newest)
    throw new RunNotFoundError(`${machineArn} has no executions yet: start one with snapfleet run.`);
  return newest;
}

/** Where Plan put the run's objects: the output of the Plan state, from the execution's history. */
export async function runObjects(
  sfn: SFNClient,
  executionArn: string,
): Promise<{ bucket: string; manifestKey?: string } | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    for (const event of page.events ?? []) {
      const exited = event.stateExitedEventDetails;
      if (exited?.name !== "Plan" || !exited.output) continue;
      const output = JSON.parse(exited.output) as { bucket?: string; manifestKey?: string };
      if (output.bucket) {
        return { bucket: output.bucket, ...(output.manifestKey ? { manifestKey: output.manifestKey } : {}) };
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

export async function getJson<T>(s3: S3Client, bucket: string, key: string): Promise<T> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse((await got.Body?.transformToString()) ?? "null") as T;
}

/** The execution as the commands show it (`--json` included). */
export interface ExecutionView {
  executionArn: string;
  name: string;
  status: string;
  startDate: string | null;
  stopDate: string | null;
  durationSeconds: number | null;
  error?: string;
  cause?: string;
}

export function viewOf(e: DescribeExecutionCommandOutput | { [k: string]: unknown }): ExecutionView {
  const x = e as DescribeExecutionCommandOutput;
  const start = x.startDate ?? null;
  const stop = x.stopDate ?? null;
  return {
    executionArn: x.executionArn ?? "",
    name: x.name ?? "",
    status: x.status ?? "",
    startDate: start?.toISOString() ?? null,
    stopDate: stop?.toISOString() ?? null,
    durationSeconds: start && stop ? Math.round((stop.getTime() - start.getTime()) / 1000) : null,
    ...(x.error ? { error: x.error } : {}),
    ...(x.cause ? { cause: x.cause } : {}),
  };
}

/** Summarize's outcome (the execution's output), when the run got that far. */
export function outcomeOf(e: DescribeExecutionCommandOutput): RunOutcome | undefined {
  if (!e.output) return undefined;
  try {
    const output = JSON.parse(e.output) as Partial<RunOutcome>;
    return typeof output.resultsKey === "string" ? (output as RunOutcome) : undefined;
  } catch {
    return undefined;
  }
}

/** Every drive's record of a finished run, from the results object Summarize names. */
export async function driveRecords(aws: RunsAws, e: DescribeExecutionCommandOutput): Promise<DriveRecord[]> {
  const outcome = outcomeOf(e);
  if (!outcome) return [];
  const objects = await runObjects(aws.sfn, e.executionArn as string);
  if (!objects) return [];
  return (await getJson<DriveRecord[]>(aws.s3, objects.bucket, outcome.resultsKey)) ?? [];
}

const zero = (): Counts => ({ total: 0, done: 0, failed: 0, inFlight: 0 });

/**
 * Follows one execution's progress without a call per drive: per poll, the execution, its Map
 * Run's counts and the list of its children; each child is described once when first seen (its
 * input names its drives) and once when it ends (its output holds their records).
 */
export class RunObserver {
  private mapRunArn: string | undefined;
  private readonly children = new Map<
    string,
    { drives: number; ok?: number; failed?: number; status: string }
  >();

  constructor(
    private readonly aws: RunsAws,
    readonly executionArn: string,
  ) {}

  async observe(now: Date): Promise<{ execution: DescribeExecutionCommandOutput; progress: RunProgress }> {
    const { sfn } = this.aws;
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: this.executionArn }));
    const servers = zero();
    const drives = zero();
    if (!this.mapRunArn) {
      const { mapRuns } = await sfn.send(new ListMapRunsCommand({ executionArn: this.executionArn }));
      this.mapRunArn = mapRuns?.[0]?.mapRunArn;
    }
    if (this.mapRunArn) {
      const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn: this.mapRunArn }));
      const c = run.itemCounts;
      servers.total = c?.total ?? 0;
      servers.done = c?.succeeded ?? 0;
      servers.failed = (c?.failed ?? 0) + (c?.timedOut ?? 0) + (c?.aborted ?? 0);
      servers.inFlight = c?.running ?? 0;
      await this.followChildren();
      for (const child of this.children.values()) {
        drives.total += child.drives;
        if (child.status === "RUNNING") drives.inFlight += child.drives;
        else {
          drives.done += child.ok ?? 0;
          drives.failed += child.failed ?? child.drives - (child.ok ?? 0);
        }
      }
    }
    const startedAt = execution.startDate ?? now;
    const progress: RunProgress = {
      servers,
      drives,
      startedAt,
      now: execution.stopDate ?? (now < startedAt ? startedAt : now),
    };
    return { execution, progress };
  }

  private async followChildren(): Promise<void> {
    const { sfn } = this.aws;
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({ mapRunArn: this.mapRunArn, maxResults: 1000, nextToken }),
      );
      for (const item of page.executions ?? []) {
        const arn = item.executionArn as string;
        const known = this.children.get(arn);
        const finished = item.status !== "RUNNING";
        if (known && (known.status !== "RUNNING" || !finished)) continue;
        const child = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
        const input = parse<{ drives?: unknown[] }>(child.input);
        const entry = { drives: input?.drives?.length ?? 0, status: child.status ?? "RUNNING" } as {
          drives: number;
          ok?: number;
          failed?: number;
          status: string;
        };
        if (entry.status !== "RUNNING") {
          const report = parse<ServerReport>(child.output);
          const records = report?.drives ?? [];
          entry.ok = records.filter((d) => d.status === "ok").length;
          entry.failed = entry.drives - entry.ok;
        }
        this.children.set(arn, entry);
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
}

function parse<T>(text: string | undefined): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
