import type { RunnerEvent } from "../../runner";

/**
 * An execution's history as GetExecutionHistory returns it: numbered events, each with the
 * details member its type names. https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

export type ItemStatus = "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

/** A Distributed Map's run, as DescribeMapRun and ListMapRuns show it. */
export interface MapRun {
  mapRunArn: string;
  executionArn: string;
  /** The child state machine: `<state machine ARN>/<label>`. */
  stateMachineArn: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";
  startDate: Date;
  stopDate?: Date;
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
  total: number;
  children: Map<number, MapRunChild>;
}

/** A child execution of a Map Run (DescribeExecution and ListExecutions with `mapRunArn` show it). */
export interface MapRunChild {
  name: string;
  status: ItemStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

const text = (value: unknown) => JSON.stringify(value ?? null);
const included = { truncated: false };

/** A state's type as the history spells it: `TaskStateEntered`, `MapStateExited`, ... */
const typeName = (stateType: string) => stateType.charAt(0).toUpperCase() + stateType.slice(1);

/** The history of one execution, appended to as the runner reports it. */
export class History {
  readonly events: HistoryEvent[] = [];
  /** States entered and not yet exited. */
  private readonly open = new Set<string>();
  /**
   * A task's events that arrived before its state's StateEntered: the runner reports the handler's
   * call at once, the library's state events a little later. Recorded once the state is entered.
   */
  private readonly early = new Map<string, RunnerEvent[]>();

  constructor(private readonly now: () => Date) {}

  add(type: string, details?: Record<string, unknown>): void {
    const id = this.events.length + 1;
    const detailsKey = `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
    this.events.push({
      id,
      previousEventId: id - 1,
      timestamp: this.now(),
      type,
      ...(details ? { [detailsKey]: details } : {}),
    });
  }

  /** The runner's events (states, Lambda tasks, Map Runs), as AWS records them, in order. */
  record(event: RunnerEvent): void {
    const state = "state" in event ? event.state : undefined;
    if (state !== undefined && event.type !== "StateEntered" && !this.open.has(state)) {
      this.early.set(state, [...(this.early.get(state) ?? []), event]);
      return;
    }
    this.append(event);
    if (event.type === "StateEntered") {
      this.open.add(event.state);
      const waiting = this.early.get(event.state) ?? [];
      this.early.delete(event.state);
      for (const e of waiting) this.record(e);
    }
    if (event.type === "StateExited") this.open.delete(event.state);
  }

  private append(event: RunnerEvent): void {
    switch (event.type) {
      case "StateEntered":
        this.events.push(
          this.detailed(`${typeName(event.stateType)}StateEntered`, "stateEnteredEventDetails", {
            name: event.state,
            input: text(event.input),
            inputDetails: included,
          }),
        );
        return;
      case "StateExited":
        this.events.push(
          this.detailed(`${typeName(event.stateType)}StateExited`, "stateExitedEventDetails", {
            name: event.state,
            output: text(event.output),
            outputDetails: included,
          }),
        );
        return;
      case "TaskScheduled":
        this.add("LambdaFunctionScheduled", {
          resource: event.resource,
          input: text(event.input),
          inputDetails: included,
        });
        this.add("LambdaFunctionStarted");
        return;
      case "TaskSucceeded":
        this.add("LambdaFunctionSucceeded", { output: text(event.output), outputDetails: included });
        return;
      case "TaskFailed":
        this.add("LambdaFunctionFailed", { error: event.error, cause: event.cause });
        return;
      case "MapRunStarted":
        this.add("MapRunStarted", { mapRunArn: event.mapRunArn });
        return;
      case "MapRunEnded":
        if (event.status === "SUCCEEDED") this.add("MapRunSucceeded");
        else this.add("MapRunFailed", { error: event.error ?? "", cause: event.cause ?? "" });
        return;
      default:
        return;
    }
  }

  private detailed(type: string, key: string, details: Record<string, unknown>): HistoryEvent {
    const id = this.events.length + 1;
    return { id, previousEventId: id - 1, timestamp: this.now(), type, [key]: details };
  }
}

/** DescribeMapRun's `itemCounts` / `executionCounts` (one child per item: the same figures). */
export function mapRunCounts(run: MapRun): Record<string, number> {
  const counts = { pending: 0, running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0 };
  for (const child of run.children.values()) {
    if (child.status === "RUNNING") counts.running += 1;
    else if (child.status === "SUCCEEDED") counts.succeeded += 1;
    else if (child.status === "FAILED") counts.failed += 1;
    else if (child.status === "TIMED_OUT") counts.timedOut += 1;
    else if (child.status === "ABORTED") counts.aborted += 1;
  }
  counts.pending = Math.max(0, run.total - run.children.size);
  const finished = counts.succeeded + counts.failed + counts.timedOut + counts.aborted;
  return {
    ...counts,
    total: run.total,
    resultsWritten: run.status === "RUNNING" ? 0 : finished,
    failuresNotRedrivable: 0,
    pendingRedrive: 0,
  };
}
