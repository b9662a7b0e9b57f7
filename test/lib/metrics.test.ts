import type { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type { Deps, Log } from "../../lib/deps";
import type { DriveRecord } from "../../lib/drive";
import { driveMetrics, putMetrics, reportRunStarted } from "../../lib/metrics";

/** Pure batching and failure handling, with a fake client (the SDK itself is not mocked elsewhere). */
function fakeDeps(send: (command: PutMetricDataCommand) => Promise<unknown>) {
  const logged: { message: string; extra: Record<string, unknown> }[] = [];
  const log: Log = {
    debug() {},
    info() {},
    warn() {},
    error: (message, extra = {}) => logged.push({ message, extra }),
  };
  const deps = {
    cloudwatch: { send } as unknown as CloudWatchClient,
    clock: { now: () => new Date(0), sleep: async () => {} },
    log,
  } as unknown as Deps;
  return { deps, logged };
}

const record: DriveRecord = {
  instanceId: "i-1",
  host: "web",
  device: "/dev/xvda",
  volumeId: "vol-1",
  sizeGiB: 8,
  snapshotId: "snap-1",
  snapshotState: "completed",
  elapsedSeconds: 90,
  pruned: [],
  drSnapshotId: "snap-2",
  drPruned: [],
  status: "ok",
  reason: null,
};

describe("putMetrics", () => {
  it("sends at most 1,000 metrics per PutMetricData call", async () => {
    const sizes: number[] = [];
    const { deps } = fakeDeps(async (command) => {
      sizes.push(command.input.MetricData?.length ?? 0);
      return {};
    });
    const data = Array.from({ length: 2500 }, () => driveMetrics(record, new Date(0))[0]).filter(
      (d) => d !== undefined,
    );

    await putMetrics("Organization/Backup", data, deps);

    expect(sizes).toEqual([1000, 1000, 500]);
  });

  it("retries a throttled call and logs the data with the error when it keeps failing", async () => {
    let calls = 0;
    const { deps, logged } = fakeDeps(async () => {
      calls += 1;
      throw Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    });

    await expect(putMetrics("Organization/Backup", driveMetrics(record, new Date(0)), deps)).rejects.toThrow(
      "Rate exceeded",
    );

    expect(calls).toBe(8);
    expect(logged[0]?.message).toBe("PutMetricData failed; the metrics are in this log line");
    expect(logged[0]?.extra.metricData).toHaveLength(3);
  });
});

describe("driveMetrics", () => {
  it("sends Errors=0, ElapsedTime and Size for a good drive, with Server and Drive, at the snapshot's time", () => {
    const at = new Date("2026-01-01T03:00:00Z");
    const data = driveMetrics(record, at);
    expect(data.map((d) => [d.MetricName, d.Value, d.Unit])).toEqual([
      ["Errors", 0, "Count"],
      ["ElapsedTime", 90, "Seconds"],
      ["Size", 8, "Gigabytes"],
    ]);
    expect(data.every((d) => d.Timestamp === at)).toBe(true);
    expect(data[0]?.Dimensions).toEqual([
      { Name: "Server", Value: "i-1" },
      { Name: "Drive", Value: "/dev/xvda" },
    ]);
  });

  it("sends only Errors=1 for a drive whose snapshot never completed", () => {
    const data = driveMetrics(
      { ...record, status: "failed", snapshotState: "error", elapsedSeconds: null },
      new Date(0),
    );
    expect(data.map((d) => [d.MetricName, d.Value])).toEqual([["Errors", 1]]);
  });
});

describe("reportRunStarted", () => {
  it("sends RunStarted=1 (Count) stamped now, with no dimensions", async () => {
    const sent: PutMetricDataCommand[] = [];
    const { deps } = fakeDeps(async (command) => sent.push(command));

    await reportRunStarted("Organization/Backup", deps);

    expect(sent.map((c) => c.input)).toEqual([
      {
        Namespace: "Organization/Backup",
        MetricData: [
          { MetricName: "RunStarted", Unit: "Count", Value: 1, Timestamp: new Date(0), Dimensions: [] },
        ],
      },
    ]);
  });

  it("logs and swallows a failure: a lost datapoint must not stop the run", async () => {
    const { deps, logged } = fakeDeps(async () => {
      throw Object.assign(new Error("denied"), { name: "AccessDenied" });
    });

    await expect(reportRunStarted("Organization/Backup", deps)).resolves.toBeUndefined();

    expect(logged.map((l) => l.message)).toEqual(["PutMetricData failed; the metrics are in this log line"]);
  });
});
