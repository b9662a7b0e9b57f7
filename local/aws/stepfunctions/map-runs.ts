import type { MapRunEvent } from "../../distributed-map";
import { AwsError } from "../errors";
import type { Input } from "../protocol/input";
import { type ItemStatus, type MapRun, mapRunCounts } from "./history";
import { page, pageInput, parseArn, required } from "./names";

/** A child execution as ListExecutions lists it. */
export type ExecutionListItem = {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  startDate: Date;
  stopDate?: Date | undefined;
  mapRunArn?: string;
};

/**
 * The Map Runs of Distributed Map states, kept from the runner's events, and their child
 * executions (DescribeExecution, ListExecutions by `mapRunArn`).
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html
 */
export class MapRuns {
  private readonly runs = new Map<string, MapRun>();

  /** Applies a Map Run event of the execution `executionArn`; returns the run it started, if any. */
  record(executionArn: string, event: MapRunEvent, now: Date): MapRun | undefined {
    if (event.type === "MapRunStarted") {
      const run: MapRun = {
        mapRunArn: event.mapRunArn,
        executionArn,
        stateMachineArn: event.mapRunArn.replace(":mapRun:", ":stateMachine:").replace(/:[^:]+$/, ""),
        status: "RUNNING",
        startDate: now,
        maxConcurrency: event.maxConcurrency,
        toleratedFailurePercentage: event.toleratedFailurePercentage,
        toleratedFailureCount: event.toleratedFailureCount,
        total: event.total,
        children: new Map(),
      };
      this.runs.set(run.mapRunArn, run);
      return run;
    }
    const run = this.runs.get(event.mapRunArn);
    if (!run) return undefined;
    if (event.type === "MapRunEnded") {
      run.status = event.status;
      run.stopDate = now;
      return undefined;
    }
    const child = run.children.get(event.index);
    if (event.status === "RUNNING") {
      run.children.set(event.index, {
        name: event.name,
        status: "RUNNING",
        startDate: now,
        input: JSON.stringify(event.input ?? null),
      });
    } else if (child) {
      child.status = event.status as ItemStatus;
      child.stopDate = now;
      if (event.output !== undefined) child.output = JSON.stringify(event.output);
      if (event.error !== undefined) child.error = event.error;
      if (event.cause !== undefined) child.cause = event.cause;
    }
    return undefined;
  }

  /** A Map Run's child execution by its ARN (`...:execution:<machine>/<label>:<name>`). */
  private child(arn: string) {
    const [, base = "", name = ""] = /^(.*):([^:]+)$/.exec(arn) ?? [];
    for (const run of this.runs.values()) {
      if (run.stateMachineArn.replace(":stateMachine:", ":execution:") !== base) continue;
      for (const child of run.children.values()) if (child.name === name) return { run, child };
    }
    return undefined;
  }

  /** DescribeExecution of a child execution, or undefined when `arn` names none. */
  describeChild(arn: string) {
    const found = arn.includes("/") ? this.child(arn) : undefined;
    if (found) {
      const { run, child } = found;
      return {
        executionArn: arn,
        stateMachineArn: run.stateMachineArn,
        name: child.name,
        status: child.status,
        startDate: child.startDate,
        stopDate: child.stopDate,
        input: child.input,
        inputDetails: { included: true },
        output: child.output,
        outputDetails: child.output === undefined ? undefined : { included: true },
        error: child.error,
        cause: child.cause,
        mapRunArn: run.mapRunArn,
        redriveCount: 0,
        redriveStatus: "NOT_REDRIVABLE",
      };
    }
    return undefined;
  }

  /** ListExecutions by `mapRunArn`: the Map Run's children. */
  children(mapRunArn: string): ExecutionListItem[] {
    parseArn(mapRunArn, "mapRun");
    const run = this.runs.get(mapRunArn);
    if (!run) throw new AwsError("ResourceNotFound", `Resource not found: '${mapRunArn}'`);
    const childBase = run.stateMachineArn.replace(":stateMachine:", ":execution:");
    return [...run.children.values()].map((c) => ({
      executionArn: `${childBase}:${c.name}`,
      stateMachineArn: run.stateMachineArn,
      name: c.name,
      status: c.status,
      startDate: c.startDate,
      stopDate: c.stopDate,
      mapRunArn,
    }));
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListMapRuns.html */
  list(executionArn: string, runs: MapRun[], input: Input) {
    const { items, nextToken } = page(runs, pageInput(input), `ListMapRuns/${executionArn}`);
    return {
      mapRuns: items.map((r) => ({
        executionArn: r.executionArn,
        mapRunArn: r.mapRunArn,
        stateMachineArn: r.stateMachineArn,
        startDate: r.startDate,
        stopDate: r.stopDate,
      })),
      nextToken,
    };
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html */
  describe(input: Input) {
    const arn = required(input, "mapRunArn");
    parseArn(arn, "mapRun");
    const run = this.runs.get(arn);
    if (!run) throw new AwsError("ResourceNotFound", `Resource not found: '${arn}'`);
    const counts = mapRunCounts(run);
    return {
      mapRunArn: run.mapRunArn,
      executionArn: run.executionArn,
      status: run.status,
      startDate: run.startDate,
      stopDate: run.stopDate,
      maxConcurrency: run.maxConcurrency,
      toleratedFailurePercentage: run.toleratedFailurePercentage,
      toleratedFailureCount: run.toleratedFailureCount,
      itemCounts: counts,
      executionCounts: counts,
      redriveCount: 0,
    };
  }
}
