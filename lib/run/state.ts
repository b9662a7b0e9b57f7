import type { DriveItem } from "../drive";
import type { OrphanGroup, Plan } from "../plan";
import type { BucketState } from "./budget";

/** What Plan stores in S3 for the coordinator: every drive of the run, and the orphans. */
export interface RunPlan {
  runId: string;
  startedAt: string;
  region: string;
  drRegion: string;
  drives: DriveItem[];
  skipped: { instanceId: string; volumeId?: string; reason: string }[];
  orphans: OrphanGroup[];
  tagProblems?: Plan["tagProblems"];
  notOurs?: Plan["notOurs"];
  held?: Plan["held"];
  /** KMS key for DR copies of encrypted snapshots ("" = the region's default EBS key). */
  drKmsKeyId?: string;
  /** The API budgets as Plan left them, so the coordinator goes on from there. */
  budgets?: Record<string, BucketState>;
}

export type Phase =
  | "queued"
  | "snapshotting"
  | "pruning"
  | "copy-queued"
  | "copying"
  | "dr-pruning"
  | "done"
  | "failed";

/** How far one drive got. Index-aligned with `RunPlan.drives`. */
export interface DriveProgress {
  phase: Phase;
  snapshotId?: string;
  startTime?: string;
  completionTime?: string;
  sizeGiB?: number;
  copyId?: string;
  copyStartTime?: string;
  copyCompletionTime?: string;
  /** Prune candidates still to delete in this phase's region. */
  left?: string[];
  pruned: string[];
  drPruned: string[];
  /** Error snapshots of earlier runs deleted before this run's snapshot (see DriveItem.cleanup). */
  errorsDeleted?: string[];
  /** How many of the drive's cleanup ids were dealt with. */
  cleanedUp?: number;
  /** Simulated or real epoch ms of the next status check of the snapshot or copy in flight. */
  nextCheckAt?: number;
  /** Backoff after a transient error: nothing is tried for this drive before then. */
  notBefore?: number;
  attempts: number;
  /** The last create or copy request may have been applied although its answer was lost. */
  uncertain?: boolean;
  reason?: string;
  reported?: boolean;
}

export interface RunState {
  runId: string;
  drives: DriveProgress[];
  orphanQueue: { region: string; volumeId: string; keep: string; ids: string[] }[];
  orphanDeleted: string[];
  budgets: Record<string, BucketState>;
  /** Set while an invocation works; found set at the start of the next, it means that one crashed. */
  inProgress: string | null;
  invocations: number;
  /** Average seconds from request to completed, learned during the run, to predict completions. */
  learned: { snapshotSeconds: number[]; copySeconds: number[] };
  /** Simulated or real seconds the coordinator has been running (for the cost model). */
  busySeconds: number;
}

export function initialState(
  plan: RunPlan,
  budgets: Record<string, BucketState> = plan.budgets ?? {},
): RunState {
  return {
    runId: plan.runId,
    drives: plan.drives.map(() => ({ phase: "queued", pruned: [], drPruned: [], attempts: 0 })),
    orphanQueue: plan.orphans
      .filter((o) => o.prune.length > 0)
      .map((o) => ({ region: o.region, volumeId: o.volumeId, keep: o.newestSnapshotId, ids: [...o.prune] })),
    orphanDeleted: [],
    budgets,
    inProgress: null,
    invocations: 0,
    learned: { snapshotSeconds: [], copySeconds: [] },
    busySeconds: 0,
  };
}

export const isFinished = (d: DriveProgress) => d.phase === "done" || d.phase === "failed";
