import { RegisterImageCommand, type Snapshot } from "@aws-sdk/client-ec2";
import type { DriveRecord } from "../../lib/drive";
import { runBackupCycle } from "../../local/cycle";
import {
  enforcePolicyWithout,
  type LaunchedInstance,
  launchInstance,
  listSnapshots,
  runCycle,
  startTestAws,
  type TestAws,
} from "../helpers/aws";
import { attachedAt, snapfleet } from "../restore/helpers";

/**
 * Consistency per server (issue 14), end to end on the embedded AWS: EC2 CreateSnapshots
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSnapshots.html) and SSM Run
 * Command (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html,
 * API_GetCommandInvocation.html, API_DescribeInstanceInformation.html) with the emulator's
 * simulated SSM agent, which records when the file systems were frozen and thawed.
 */
const tagsOf = (s: Snapshot) => Object.fromEntries((s.Tags ?? []).map((t) => [t.Key, t.Value]));

async function runSnapshots(aws: TestAws, runId: string, region = "us-east-1") {
  return (await listSnapshots(aws, region)).filter((s) => tagsOf(s)["snapfleet:run"] === runId);
}

const ofInstance = (drives: DriveRecord[], instance: LaunchedInstance) =>
  drives.filter((d) => d.instanceId === instance.instanceId);

const requests = (aws: TestAws, action: string) =>
  aws.emulator.requests().filter((r) => r.action === action).length;

describe("BackupConsistency=instance: a crash-consistent set", () => {
  let aws: TestAws;
  let server: LaunchedInstance;
  let result: Awaited<ReturnType<typeof runCycle>>;
  let primary: Snapshot[];
  let copies: Snapshot[];

  beforeAll(async () => {
    aws = await startTestAws();
    server = await launchInstance(aws, {
      tags: { Name: "db", Backup: "true", BackupConsistency: "instance" },
      volumes: [
        { device: "/dev/sdf", size: 100, tags: { Name: "db-data" } },
        { device: "/dev/sdg", size: 50, tags: { Name: "db-wal" } },
        { device: "/dev/sdh", size: 10, tags: { Name: "db-scratch", Backup: "false" } },
      ],
    });
    result = await runCycle(aws);
    primary = await runSnapshots(aws, result.runId);
    copies = await runSnapshots(aws, result.runId, "us-west-2");
  }, 120_000);
  afterAll(() => aws.stop());

  it("takes one CreateSnapshots call and no CreateSnapshot", () => {
    expect(requests(aws, "CreateSnapshots")).toBe(1);
    expect(requests(aws, "CreateSnapshot")).toBe(0);
  });

  it("gives every selected drive a snapshot with one start time and one snapfleet:set, and leaves the opted-out volume out", () => {
    expect(primary.map((s) => s.VolumeId).sort()).toEqual(
      [server.rootVolumeId, server.volumes["/dev/sdf"], server.volumes["/dev/sdg"]].sort(),
    );
    expect(new Set(primary.map((s) => s.StartTime?.toISOString())).size).toBe(1);
    expect(new Set(primary.map((s) => tagsOf(s)["snapfleet:set"]))).toEqual(
      new Set([`${result.runId}/${server.instanceId}`]),
    );
    for (const s of primary) {
      expect(tagsOf(s)["snapfleet:consistency"]).toBe("instance");
      expect(tagsOf(s)["snapfleet:volume-id"]).toBe(s.VolumeId);
    }
    // Each drive's own tags, which one CreateSnapshots call cannot give.
    const data = primary.find((s) => s.VolumeId === server.volumes["/dev/sdf"]);
    expect(tagsOf(data as Snapshot)).toMatchObject({ Name: "db-data", "snapfleet:device": "/dev/sdf" });
  });

  it("reports instance consistency per drive, and copies to the DR region with the same tags", () => {
    const drives = ofInstance(result.drives, server);
    expect(drives.map((d) => [d.device, d.status, d.consistency, d.consistencyNote])).toEqual([
      ["/dev/xvda", "ok", "instance", null],
      ["/dev/sdf", "ok", "instance", null],
      ["/dev/sdg", "ok", "instance", null],
    ]);
    expect(copies).toHaveLength(3);
    for (const c of copies) {
      expect(tagsOf(c)["snapfleet:consistency"]).toBe("instance");
      expect(tagsOf(c)["snapfleet:set"]).toBe(`${result.runId}/${server.instanceId}`);
    }
  });
});

describe("BackupConsistency=application", () => {
  let aws: TestAws;
  afterEach(() => aws?.stop());

  it("freezes the file systems before the set starts and thaws them by the post script within the timeout", async () => {
    aws = await startTestAws();
    const server = await launchInstance(aws, {
      tags: { Name: "pg", Backup: "true", BackupConsistency: "application" },
      volumes: [{ device: "/dev/sdf", size: 100 }],
    });

    const result = await runCycle(aws);

    const snapshots = await runSnapshots(aws, result.runId);
    expect(snapshots).toHaveLength(2);
    const started = snapshots[0]?.StartTime?.getTime() ?? 0;
    const log = aws.emulator.ssmAgentLog(server.instanceId);
    expect(log.map((e) => [e.event, e.by])).toEqual([
      ["freeze", "command"],
      ["thaw", "command"],
    ]);
    const [freeze, thaw] = log.map((e) => e.at.getTime());
    expect(freeze).toBeLessThanOrEqual(started);
    expect(thaw).toBeGreaterThanOrEqual(started);
    expect(((thaw ?? 0) - (freeze ?? 0)) / 1000).toBeLessThanOrEqual(10);
    expect(ofInstance(result.drives, server).map((d) => [d.consistency, d.status])).toEqual([
      ["application", "ok"],
      ["application", "ok"],
    ]);
    for (const s of snapshots) expect(tagsOf(s)["snapfleet:consistency"]).toBe("application");
  }, 120_000);

  it("on Windows, freezes and thaws through AWS's VSS document (AWSEC2-ManageVssIO Freeze, Thaw) around the set", async () => {
    aws = await startTestAws();
    const image = await aws
      .ec2()
      .send(new RegisterImageCommand({ Name: "Windows_Server-2022-English-Full-Base" }));
    const server = await launchInstance(aws, {
      tags: { Name: "sql", Backup: "true", BackupConsistency: "application", BackupFreezeTimeout: "30" },
      imageId: image.ImageId ?? "",
      volumes: [{ device: "/dev/sdf", size: 50 }],
    });

    const result = await runCycle(aws);

    const sent = aws.emulator.ssmInvocations().filter((i) => i.instanceId === server.instanceId);
    expect(sent.map((i) => [i.documentName, i.parameters.Action])).toEqual([
      ["AWSEC2-ManageVssIO", ["Freeze"]],
      ["AWSEC2-ManageVssIO", ["Thaw"]],
    ]);
    const log = aws.emulator.ssmAgentLog(server.instanceId);
    expect(log.map((e) => [e.event, e.by])).toEqual([
      ["freeze", "command"],
      ["thaw", "command"],
    ]);
    const started = (await runSnapshots(aws, result.runId))[0]?.StartTime?.getTime() ?? 0;
    expect(log[0]?.at.getTime()).toBeLessThanOrEqual(started);
    expect(log[1]?.at.getTime()).toBeGreaterThanOrEqual(started);
    expect(ofInstance(result.drives, server).map((d) => d.consistency)).toEqual([
      "application",
      "application",
    ]);
  }, 120_000);

  it("a freeze whose post step is lost is thawed by the watchdog at its timeout, and the loss is reported", async () => {
    aws = await startTestAws();
    const server = await launchInstance(aws, {
      tags: { Name: "pg", Backup: "true", BackupConsistency: "application", BackupFreezeTimeout: "8" },
    });
    // Every SendCommand after the first (the pre script) fails: the post step never reaches the server.
    aws.emulator.setFaults({
      rules: [
        {
          action: "SendCommand",
          calls: Array.from({ length: 30 }, (_, i) => i + 2),
          kind: "error",
        },
      ],
    });

    const result = await runCycle(aws);

    const log = aws.emulator.ssmAgentLog(server.instanceId);
    expect(log.map((e) => [e.event, e.by])).toEqual([
      ["freeze", "command"],
      ["thaw", "watchdog"],
    ]);
    const [freeze, thaw] = log.map((e) => e.at.getTime());
    expect(((thaw ?? 0) - (freeze ?? 0)) / 1000).toBe(8);
    const [drive] = ofInstance(result.drives, server);
    expect(drive?.consistency).toBe("application");
    expect(drive?.consistencyNote).toMatch(/post script .* the freeze ended by its timeout/);
  }, 120_000);

  it("an offline SSM agent falls back to a crash-consistent set at once, without sending a command", async () => {
    aws = await startTestAws();
    const server = await launchInstance(aws, {
      tags: { Name: "pg", Backup: "true", BackupConsistency: "application" },
      volumes: [{ device: "/dev/sdf", size: 100 }],
    });
    aws.emulator.ssmAgent(server.instanceId, { mode: "offline" });
    const runStart = aws.clock.nowMs();

    const result = await runCycle(aws);

    const snapshots = await runSnapshots(aws, result.runId);
    expect(snapshots).toHaveLength(2);
    // The set's slot is the run's first; no timeout (10 s freeze, 30 s delivery) was waited out.
    expect(((snapshots[0]?.StartTime?.getTime() ?? 0) - runStart) / 1000).toBeLessThan(5);
    expect(aws.emulator.ssmInvocations().filter((i) => i.instanceId === server.instanceId)).toEqual([]);
    const drives = ofInstance(result.drives, server);
    expect(drives.map((d) => [d.consistency, d.status])).toEqual([
      ["instance", "ok"],
      ["instance", "ok"],
    ]);
    expect(drives[0]?.consistencyNote).toMatch(
      /SSM agent of i-\w+ is not online \(PingStatus ConnectionLost\)/,
    );
    expect(result.digest).toMatch(/Consistency less than asked for/);
    expect(result.subject).toMatch(/2 LESS CONSISTENT/);
    for (const s of snapshots) expect(tagsOf(s)["snapfleet:consistency"]).toBe("instance");
  }, 120_000);

  it("BackupFallback=skip: a pre script that keeps failing is tried 3 times, then nothing is taken, no post step runs, and the drives fail saying why", async () => {
    aws = await startTestAws();
    const server = await launchInstance(aws, {
      tags: { Name: "pg", Backup: "true", BackupConsistency: "application", BackupFallback: "skip" },
    });
    const other = await launchInstance(aws, { tags: { Name: "web", Backup: "true" } });
    aws.emulator.ssmAgent(server.instanceId, { mode: "fails" });

    const result = await runCycle(aws);

    const sent = aws.emulator.ssmInvocations().filter((i) => i.instanceId === server.instanceId);
    expect(sent.map((i) => i.parameters.command)).toEqual([["pre-script"], ["pre-script"], ["pre-script"]]);
    expect((await runSnapshots(aws, result.runId)).map((s) => s.VolumeId)).toEqual([other.rootVolumeId]);
    const [drive] = ofInstance(result.drives, server);
    expect(drive?.status).toBe("failed");
    expect(drive?.consistency).toBe("skipped");
    expect(drive?.reason).toMatch(/Not backed up: .*pre script .* failed 3 time\(s\).*BackupFallback=skip/);
    expect(ofInstance(result.drives, other).map((d) => d.status)).toEqual(["ok"]);
  }, 120_000);

  it("without ssm:SendCommand in the stack's policy, only the application servers fall back, with AccessDenied", async () => {
    aws = await startTestAws(Date.UTC(2026, 0, 1, 3), { iam: false });
    await enforcePolicyWithout(aws, "QuiesceSelectedInstances");
    const app = await launchInstance(aws, {
      tags: { Name: "pg", Backup: "true", BackupConsistency: "application" },
    });
    const plain = await launchInstance(aws, { tags: { Name: "web", Backup: "true" } });

    const { drives } = await runBackupCycle(aws.config(), aws.clock);

    const [appDrive] = ofInstance(drives, app);
    expect(appDrive?.status).toBe("ok");
    expect(appDrive?.consistency).toBe("instance");
    expect(appDrive?.consistencyNote).toMatch(/AccessDenied.*ssm:SendCommand/);
    expect(ofInstance(drives, plain).map((d) => [d.status, d.consistency, d.consistencyNote])).toEqual([
      ["ok", "volume", null],
    ]);
  }, 120_000);
});

describe("a Set step killed after CreateSnapshots answered (Lambda.Unknown)", () => {
  it("adopts the set the killed attempt made: one snapshot per drive, one set, no second freeze", async () => {
    const aws = await startTestAws();
    try {
      const server = await launchInstance(aws, {
        tags: { Name: "pg", Backup: "true", BackupConsistency: "application" },
        volumes: [{ device: "/dev/sdf", size: 100 }],
      });
      let crashed = 0;
      const crash = (task: { fn: string }) => {
        if (task.fn !== "set" || crashed > 0 || requests(aws, "CreateSnapshots") === 0) return false;
        crashed += 1;
        return true;
      };

      const { outcome, drives, stats } = await runBackupCycle(aws.config(), aws.clock, { crash });

      expect(crashed).toBe(1);
      expect(stats.crashesInjected).toBe(1);
      expect(requests(aws, "CreateSnapshots")).toBe(1);
      expect(requests(aws, "CreateSnapshot")).toBe(0);
      const snapshots = await runSnapshots(aws, outcome.runId);
      expect(snapshots.map((s) => s.VolumeId).sort()).toEqual(
        [server.rootVolumeId, server.volumes["/dev/sdf"]].sort(),
      );
      expect(aws.emulator.ssmAgentLog(server.instanceId).filter((e) => e.event === "freeze")).toHaveLength(1);
      expect(drives.map((d) => [d.status, d.consistency])).toEqual([
        ["ok", "application"],
        ["ok", "application"],
      ]);
      expect(drives[0]?.consistencyNote).toMatch(/interrupted after CreateSnapshots; its set was adopted/);
    } finally {
      await aws.stop();
    }
  }, 120_000);
});

describe("restore of a set made by a backup run (snapfleet restore --all-drives)", () => {
  it("restores every drive of the server to its snapshots of one set, with one stop and one start", async () => {
    const aws = await startTestAws();
    try {
      const server = await launchInstance(aws, {
        tags: { Name: "db", Backup: "true", BackupConsistency: "instance" },
        volumes: [{ device: "/dev/sdf", size: 20, tags: { Name: "db-data" } }],
      });
      const first = await runCycle(aws);
      aws.clock.advance(86_400_000);
      await runCycle(aws);
      const set = Object.fromEntries(
        (await runSnapshots(aws, first.runId)).map((s) => [tagsOf(s)["snapfleet:device"], s.SnapshotId]),
      );
      const stops = () => requests(aws, "StopInstances");
      const before = stops();

      const result = await snapfleet(aws, [
        "restore",
        "--host",
        "db",
        "--all-drives",
        "--at",
        new Date(aws.clock.nowMs() - 43_200_000).toISOString(),
        "--attach",
      ]);

      expect(result.code).toBe(0);
      const now = {
        "/dev/xvda": (await attachedAt(aws.ec2(), server.instanceId, "/dev/xvda"))?.SnapshotId,
        "/dev/sdf": (await attachedAt(aws.ec2(), server.instanceId, "/dev/sdf"))?.SnapshotId,
      };
      expect(now).toEqual({ "/dev/xvda": set["/dev/xvda"], "/dev/sdf": set["/dev/sdf"] });
      expect(stops() - before).toBe(1);
    } finally {
      await aws.stop();
    }
  }, 120_000);
});

describe("a CreateSnapshots call whose answer is lost after EC2 made the set", () => {
  it("finds the set by its snapfleet:set tag instead of requesting a second one", async () => {
    const aws = await startTestAws();
    try {
      const server = await launchInstance(aws, {
        tags: { Name: "db", Backup: "true", BackupConsistency: "instance" },
        volumes: [{ device: "/dev/sdf", size: 20 }],
      });
      aws.emulator.setFaults({
        rules: [{ action: "CreateSnapshots", calls: [1], kind: "timeout" }],
        timeout: { reset: true, applied: 1 },
      });

      const result = await runCycle(aws);

      expect(aws.emulator.faultStats().injected).toBe(1);
      expect(requests(aws, "CreateSnapshots")).toBe(1);
      const snapshots = await runSnapshots(aws, result.runId);
      expect(snapshots.map((s) => s.VolumeId).sort()).toEqual(
        [server.rootVolumeId, server.volumes["/dev/sdf"]].sort(),
      );
      expect(ofInstance(result.drives, server).map((d) => [d.status, d.consistency])).toEqual([
        ["ok", "instance"],
        ["ok", "instance"],
      ]);
    } finally {
      await aws.stop();
    }
  }, 120_000);
});
