import type { QuotaStats } from "../local/aws/quotas";
import { MAX_HISTORY_EVENTS } from "../local/runner";

/**
 * Figures of the bench report computed from what the emulator and the runner count, kept pure so
 * they can be tested without a fleet.
 */

/**
 * EC2 calls the emulator refused between two `quotaStats()` snapshots: by a token bucket
 * (RequestLimitExceeded) or by an EBS limit (ConcurrentSnapshotLimitExceeded, ResourceLimitExceeded,
 * ...), whether the caller retried them or not. CloudWatch's and SNS's throttling are not counted.
 */
export function rejectedEc2Calls(before: QuotaStats, after: QuotaStats): number {
  const count = (s: QuotaStats) => (s.byService.ec2?.throttled ?? 0) + (s.byService.ec2?.limitErrors ?? 0);
  return count(after) - count(before);
}

/** Refused EC2 calls as a percentage of every EC2 call made (the refused ones included). */
export function rejectedPercent(rejected: number, ec2Calls: number): number {
  return ec2Calls === 0 ? 0 : (rejected / ec2Calls) * 100;
}

/**
 * Executions over Step Functions' 25,000-event history limit, judged on the largest history of any
 * execution of the run (the parent or any Distributed Map child): 1 if it is over, else 0.
 */
export function historyLimitViolations(largestHistoryEvents: number): number {
  return largestHistoryEvents > MAX_HISTORY_EVENTS ? 1 : 0;
}
