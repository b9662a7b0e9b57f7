import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { toTagMap } from "../../lib/tags";
import type { FaultPlan } from "../../local/aws/faults/plan";
import { runBackupCycle } from "../../local/cycle";
import { launchInstance, listSnapshots, startTestAws, type TestAws } from "../helpers/aws";

/**
 * The worst day (issue 7): faults injected by the embedded AWS's fault plan. Every error ends
 * either retried until it succeeds, or as one drive's failure with Errors=1 and a clear reason;
 * the run itself always completes and sends exactly one digest.
 */
async function fleet(aws: TestAws) {
  const web = await launchInstance(aws, {
    tags: { Name: "web", Backup: "true", Retention: "1" },
    rootTags: { Name: "web-root" },
    volumes: [{ device: "/dev/sdf", size: 100, tags: { Name: "web-data" } }],
  });
  const db = await launchInstance(aws, {
    tags: { Name: "db", Backup: "true", Retention: "1" },
    rootTags: { Name: "db-root" },
    volumes: [
      { device: "/dev/sdf", size: 50, tags: { Name: "db-data" } },
      { device: "/dev/sdg", size: 20, tags: { Name: "db-secure" }, encrypted: true },
    ],
  });
  return { web, db };
}

async function runWith(plan: FaultPlan, overrides: Parameters<TestAws["config"]>[0] = {}) {
  const aws = await startTestAws(Date.UTC(2026, 0, 1, 3));
  const instances = await fleet(aws);
  aws.emulator.setFaults(plan);
  const { outcome, drives } = await runBackupCycle(aws.config(overrides), aws.clock);
  const digests = aws.emulator.published();
  return { aws, instances, outcome, drives, digests, faults: aws.emulator.faultStats() };
}

const byName = <T extends { host: string; device: string }>(drives: T[], host: string, device: string) =>
  drives.find((d) => d.host === host && d.device === device);

describe("faults on the worst day", () => {
  it("retries throttling and 500 errors on every action until every drive is backed up, and alerts nobody", async () => {
    const { aws, drives, digests, faults } = await runWith({
      seed: 7,
      rules: [
        { service: "ec2", throttle: 0.25, error: 0.1 },
        { service: "cloudwatch", throttle: 0.2, error: 0.1 },
        { service: "sns", error: 0.3 },
      ],
    });
    try {
      expect(faults.injected).toBeGreaterThan(5);
      expect(drives.map((d) => d.status)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
      expect(digests).toHaveLength(1);
      expect(digests[0]?.subject).toMatch(/: OK, 5\/5 drives backed up$/);
      const cw = new CloudWatchClient({
        region: "us-east-1",
        endpoint: aws.emulator.endpoint,
        credentials: { accessKeyId: "t", secretAccessKey: "t" },
      });
      const errors = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: "Organization/Backup",
          MetricName: "VolumesFailed",
          StartTime: new Date(0),
          EndTime: new Date(Date.UTC(2027, 0, 1)),
          Period: 86400,
          Statistics: ["Maximum"],
        }),
      );
      expect(errors.Datapoints?.[0]?.Maximum).toBe(0);
    } finally {
      await aws.stop();
    }
  });

  it("never makes a second snapshot or copy when an answer is lost after AWS did the work", async () => {
    const { aws, outcome, drives, faults } = await runWith({
      rules: [
        { service: "ec2", action: "CreateSnapshot", calls: [1, 2, 3], kind: "timeout" },
        { service: "ec2", action: "CopySnapshot", calls: [1, 2], kind: "timeout" },
      ],
      timeout: { reset: true, applied: true },
    });
    try {
      expect(faults.byKind.timeout).toBe(5);
      expect(drives.filter((d) => d.status !== "ok")).toEqual([]);
      for (const region of ["us-east-1", "us-west-2"]) {
        const ofRun = (await listSnapshots(aws, region)).filter(
          (s) => toTagMap(s.Tags)["snapfleet:run"] === outcome.runId,
        );
        const perVolume = new Map<string, number>();
        for (const s of ofRun) {
          const volume = toTagMap(s.Tags)["snapfleet:volume-id"] ?? "";
          perVolume.set(volume, (perVolume.get(volume) ?? 0) + 1);
        }
        expect([...perVolume.values()]).toEqual([1, 1, 1, 1, 1]);
      }
    } finally {
      await aws.stop();
    }
  });

  it("retries CopySnapshot's ResourceLimitExceeded until the copies go through", async () => {
    const { aws, drives, faults } = await runWith({
      seed: 3,
      rules: [{ service: "ec2", action: "CopySnapshot", resourceLimit: 0.6 }],
    });
    try {
      expect(faults.byKind.resourceLimit).toBeGreaterThan(0);
      expect(drives.every((d) => d.status === "ok" && d.drSnapshotId)).toBe(true);
    } finally {
      await aws.stop();
    }
  });

  it("fails only the drive whose volume is deleted mid-run, naming the volume", async () => {
    const { aws, drives, digests } = await runWith({
      triggers: [
        {
          after: { action: "CreateSnapshot", region: "us-east-1", count: 1 },
          do: { type: "deleteVolume", region: "us-east-1", volumeTag: "Name=db-secure" },
        },
      ],
    });
    try {
      const victim = byName(drives, "db", "/dev/sdg");
      expect(victim?.status).toBe("failed");
      expect(victim?.reason).toMatch(/CreateSnapshot of vol-\w+ failed: InvalidVolume.NotFound/);
      expect(drives.filter((d) => d.status === "ok")).toHaveLength(4);
      expect(digests[0]?.message).toContain(`db (${victim ? drives[2]?.instanceId : ""}`);
    } finally {
      await aws.stop();
    }
  });

  it("still backs up a volume detached mid-run", async () => {
    const { aws, drives } = await runWith({
      triggers: [
        {
          after: { action: "CreateSnapshot", region: "us-east-1", count: 1 },
          do: { type: "detachVolume", region: "us-east-1", volumeTag: "Name=db-secure" },
        },
      ],
    });
    try {
      expect(drives.every((d) => d.status === "ok")).toBe(true);
    } finally {
      await aws.stop();
    }
  });

  it("fails the root drive of an instance terminated mid-run and keeps going", async () => {
    const { aws, drives, outcome } = await runWith({
      triggers: [
        {
          after: { action: "CreateSnapshot", region: "us-east-1", count: 1 },
          do: { type: "terminateInstance", region: "us-east-1", instanceTag: "Name=web" },
        },
      ],
    });
    try {
      const root = byName(drives, "web", "/dev/xvda");
      expect(root?.status).toBe("failed");
      expect(root?.reason).toMatch(/InvalidVolume.NotFound/);
      expect(byName(drives, "db", "/dev/xvda")?.status).toBe("ok");
      expect(outcome.volumesFailed).toBe(1);
    } finally {
      await aws.stop();
    }
  });

  it("fails the encrypted drive when the DR region's KMS key is missing, with the key in the reason", async () => {
    const { aws, drives } = await runWith(
      { kms: { missing: [{ region: "us-west-2", keyIds: ["alias/snapfleet-dr"] }] } },
      { drKmsKeyId: "alias/snapfleet-dr" },
    );
    try {
      const secure = byName(drives, "db", "/dev/sdg");
      expect(secure?.status).toBe("failed");
      expect(secure?.snapshotState).toBe("completed");
      expect(secure?.reason).toMatch(
        /DR copy snap-\w+ in us-west-2 ended in state error: .*alias\/snapfleet-dr/,
      );
      expect(drives.filter((d) => d.status === "ok")).toHaveLength(4);
    } finally {
      await aws.stop();
    }
  });

  it("reports snapshots that end in error as that drive's failure", async () => {
    const { aws, drives } = await runWith({ snapshots: { errorVolumeTags: ["Name=web-data"] } });
    try {
      const data = byName(drives, "web", "/dev/sdf");
      expect(data).toMatchObject({ status: "failed", snapshotState: "error" });
      expect(data?.reason).toMatch(
        /SnapshotFailedError: Snapshot snap-\w+ in us-east-1 ended in state error/,
      );
    } finally {
      await aws.stop();
    }
  });
});

describe("a step task killed after its AWS call answered (Lambda.Unknown)", () => {
  /**
   * Step Functions repeats a crashed task's step; the step must adopt what the killed attempt made
   * (the snapfleet:run tag) rather than make a second one. Unhandled Lambda errors are reported as
   * Lambda.Unknown: https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
   */
  it("leaves exactly one snapshot and one DR copy per volume, after crashes right after CreateSnapshot and CopySnapshot", async () => {
    const aws = await startTestAws(Date.UTC(2026, 0, 1, 3));
    try {
      await fleet(aws);
      const calls = (action: string) => aws.emulator.requests().filter((r) => r.action === action).length;
      const seen = { CreateSnapshot: calls("CreateSnapshot"), CopySnapshot: calls("CopySnapshot") };
      const crashed = { CreateSnapshot: 0, CopySnapshot: 0 };
      const crash = () => {
        for (const action of ["CreateSnapshot", "CopySnapshot"] as const) {
          const now = calls(action);
          if (now > seen[action]) {
            seen[action] = now;
            crashed[action] += 1;
            return true;
          }
        }
        return false;
      };

      const { outcome, drives, stats } = await runBackupCycle(aws.config(), aws.clock, { crash });

      expect(crashed.CreateSnapshot).toBeGreaterThan(0);
      expect(crashed.CopySnapshot).toBeGreaterThan(0);
      expect(stats.crashesInjected).toBe(crashed.CreateSnapshot + crashed.CopySnapshot);
      expect(drives.filter((d) => d.status !== "ok")).toEqual([]);
      for (const region of ["us-east-1", "us-west-2"]) {
        const perVolume = new Map<string, number>();
        for (const s of await listSnapshots(aws, region)) {
          const tags = toTagMap(s.Tags);
          if (tags["snapfleet:run"] !== outcome.runId) continue;
          const v = tags["snapfleet:volume-id"] ?? "";
          perVolume.set(v, (perVolume.get(v) ?? 0) + 1);
        }
        expect([...perVolume.values()]).toEqual(drives.map(() => 1));
      }
    } finally {
      await aws.stop();
    }
  });
});

describe("a server whose child execution fails", () => {
  it("fails that server's drives with the child's error and backs up every other server", async () => {
    const aws = await startTestAws(Date.UTC(2026, 0, 1, 3));
    try {
      const { web, db } = await fleet(aws);
      // Every attempt of the first child's Report dies: Step Functions retries, then the child fails.
      const crash = (task: { fn: string; execution: string }) =>
        task.fn === "report" && task.execution.endsWith(":0");

      const { drives, stats } = await runBackupCycle(aws.config(), aws.clock, { crash });

      const failedServer = drives.filter((d) => d.status === "failed").map((d) => d.instanceId);
      const okServer = drives.filter((d) => d.status === "ok").map((d) => d.instanceId);
      expect(stats.crashesInjected).toBeGreaterThan(1);
      expect(new Set(failedServer).size).toBe(1);
      expect(new Set(okServer).size).toBe(1);
      expect([...new Set([...failedServer, ...okServer])].sort()).toEqual(
        [web.instanceId, db.instanceId].sort(),
      );
      for (const d of drives.filter((x) => x.status === "failed")) {
        expect(d.reason).toContain("the server's execution failed: Lambda.Unknown");
      }
      const digest = aws.emulator.published().at(-1)?.message ?? "";
      expect(digest).toContain("the server's execution failed");
    } finally {
      await aws.stop();
    }
  });
});
