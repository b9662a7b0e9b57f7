import type { RetentionPolicy, RetentionUnit } from "../retention";

const FLAG: Record<RetentionUnit, string> = {
  h: "--keep-hourly",
  d: "--keep-daily",
  w: "--keep-weekly",
  m: "--keep-monthly",
  y: "--keep-yearly",
};

/**
 * restic forget's keep rules for a snapfleet policy. The grammar already has restic's semantics
 * (the newest snapshot in each of the last n hours/days/ISO weeks/months/years that have
 * snapshots, rules combined by union); `--keep-last 1` is "the newest is always kept".
 */
export function keepRules(policy: RetentionPolicy): string[] {
  return ["--keep-last", "1", ...policy.rules.flatMap((rule) => [FLAG[rule.unit], String(rule.count)])];
}
