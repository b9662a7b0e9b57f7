import type { Counts, RunProgress } from "../cli/progress";
import type { ProgressEvent } from "./runner";

/**
 * A backup cycle's progress, folded from the local runner's events (RunOptions.onProgress) as
 * statemachine/backup.asl.json shapes them: Plan's output gives the totals; each Fleet child is a
 * server; each iteration of a child's Volumes map is a drive, which ends in DriveDone (failed when
 * its progress carries a reason) or DriveFailed. When a server's child fails, its drives still in
 * flight count as failed: their iterations end with it.
 */
export class CycleProgress {
  private readonly servers: Counts = { total: 0, done: 0, failed: 0, inFlight: 0 };
  private readonly drives: Counts = { total: 0, done: 0, failed: 0, inFlight: 0 };
  private readonly drivesInFlight = new Map<string, number>();

  constructor(
    private readonly startedAt: Date,
    private readonly now: () => Date,
  ) {}

  /** Applies one event; true when the counts changed. */
  apply(event: ProgressEvent): boolean {
    if (event.type === "ChildStarted") {
      this.servers.inFlight += 1;
      return true;
    }
    if (event.type === "ChildFinished") {
      this.servers.inFlight -= 1;
      if (event.status === "SUCCEEDED") this.servers.done += 1;
      else this.servers.failed += 1;
      const orphaned = this.drivesInFlight.get(event.execution) ?? 0;
      this.drivesInFlight.delete(event.execution);
      this.drives.inFlight -= orphaned;
      this.drives.failed += orphaned;
      return true;
    }
    const { type, state, parentState } = event.event;
    if (type === "StateExited" && state?.name === "Plan") {
      const output = (state.output ?? {}) as { instances?: number; drives?: number };
      this.servers.total = output.instances ?? 0;
      this.drives.total = output.drives ?? 0;
      return true;
    }
    if (type === "MapIterationStarted" && parentState?.name === "Volumes") {
      this.drives.inFlight += 1;
      this.drivesInFlight.set(event.execution, (this.drivesInFlight.get(event.execution) ?? 0) + 1);
      return true;
    }
    if (type === "StateExited" && (state?.name === "DriveDone" || state?.name === "DriveFailed")) {
      const progress = (state.output as { progress?: { failed?: string } } | undefined)?.progress;
      const failed = state.name === "DriveFailed" || Boolean(progress?.failed);
      this.drives.inFlight -= 1;
      this.drivesInFlight.set(event.execution, (this.drivesInFlight.get(event.execution) ?? 1) - 1);
      if (failed) this.drives.failed += 1;
      else this.drives.done += 1;
      return true;
    }
    return false;
  }

  current(): RunProgress {
    return {
      servers: { ...this.servers },
      drives: { ...this.drives },
      startedAt: this.startedAt,
      now: this.now(),
    };
  }
}
