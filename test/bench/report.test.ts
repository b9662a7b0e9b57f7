import { historyLimitViolations, rejectedEc2Calls, rejectedPercent } from "../../bench/report";
import type { QuotaStats } from "../../local/aws/quotas";

const stats = (byService: QuotaStats["byService"]): QuotaStats => {
  const throttled = Object.values(byService).reduce((n, s) => n + (s?.throttled ?? 0), 0);
  const limitErrors = Object.values(byService).reduce((n, s) => n + (s?.limitErrors ?? 0), 0);
  return { throttled, limitErrors, byService, byRegion: {} };
};

describe("the bench report's rejectedCalls", () => {
  it("counts the EC2 calls refused by a token bucket or an EBS limit since the first snapshot, not CloudWatch's", () => {
    const before = stats({
      ec2: { throttled: 3, limitErrors: 1 },
      cloudwatch: { throttled: 5, limitErrors: 0 },
    });
    const after = stats({
      ec2: { throttled: 10, limitErrors: 4 },
      cloudwatch: { throttled: 50, limitErrors: 0 },
    });
    // (10 - 3) throttled + (4 - 1) limit errors
    expect(rejectedEc2Calls(before, after)).toBe(10);
  });

  it("is 0 when EC2 refused nothing, and counts from an empty snapshot", () => {
    expect(rejectedEc2Calls(stats({}), stats({ cloudwatch: { throttled: 2, limitErrors: 0 } }))).toBe(0);
    expect(rejectedEc2Calls(stats({}), stats({ ec2: { throttled: 0, limitErrors: 2 } }))).toBe(2);
  });

  it("is a percentage of every EC2 call, the refused ones included", () => {
    expect(rejectedPercent(5, 2_000)).toBe(0.25);
    expect(rejectedPercent(0, 0)).toBe(0);
  });
});

describe("the 25,000-event history limit in the bench report", () => {
  it("is judged on the largest history of any execution", () => {
    expect(historyLimitViolations(25_000)).toBe(0);
    expect(historyLimitViolations(25_001)).toBe(1);
  });
});
