import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeSnapshotsCommand, EC2Client, type Snapshot } from "@aws-sdk/client-ec2";
import { DEFAULT_NAMESPACE } from "../../lib/metric-names";
import { toTagMap } from "../../lib/tags";
import { type CycleResult, runDemoCycle } from "../../local/cycle";

/**
 * The full backup cycle: statemachine/backup.asl.json run by the local runner with the real
 * handlers against the embedded AWS over HTTP, then the resulting EC2 and CloudWatch state read
 * back through the SDK, the way a user would see it.
 */
describe("a backup cycle of the demo fleet", () => {
  it("raises the stack's failed-drive alarm and no other after the demo's one failed drive", () => {
    const changes = (cycle.emulator?.published() ?? [])
      .map((m) => {
        try {
          return JSON.parse(m.message) as { AlarmName?: string; NewStateValue?: string };
        } catch {
          return {};
        }
      })
      .filter((a) => a.NewStateValue === "ALARM")
      .map((a) => a.AlarmName);
    // The missed-run alarm says nothing before the first run (it starts with no data): the
    // operator's first message is not a false alarm. mq-1's fallback raises its own alarm.
    expect(changes.sort()).toEqual(["snapfleet-dev-consistency-fallback", "snapfleet-dev-volumes-failed"]);
  });

  let cycle: CycleResult;
  let primary: Snapshot[];
  let dr: Snapshot[];

  const client = <T>(Client: new (config: object) => T, region: string) =>
    new Client({
      region,
      endpoint: cycle.emulator?.endpoint,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
  const allSnapshots = async (region: string) =>
    (await client(EC2Client, region).send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }))).Snapshots ??
    [];

  beforeAll(async () => {
    cycle = await runDemoCycle();
    primary = await allSnapshots(cycle.config.region);
    dr = await allSnapshots(cycle.config.drRegion);
  });
  afterAll(async () => {
    await cycle?.emulator?.stop();
  });

  it("reports every selected drive once and skips the untagged instance and the opted-out volume", () => {
    const drives = cycle.drives.map((d) => `${d.host} ${d.device}`).sort();
    expect(drives).toEqual([
      "db-1 /dev/sdf",
      "db-1 /dev/sdg",
      "db-1 /dev/xvda",
      "mq-1 /dev/sdf",
      "mq-1 /dev/xvda",
      "pg-1 /dev/sdf",
      "pg-1 /dev/xvda",
      "web-1 /dev/sdf",
      "web-1 /dev/xvda",
      "web-2 /dev/xvda",
    ]);
    expect(cycle.drives.some((d) => d.instanceId === cycle.fleet.instances["build-1"])).toBe(false);
    expect(cycle.drives.some((d) => d.volumeId === cycle.fleet.optedOutVolumeId)).toBe(false);
  });

  it("contains the failure to the drive whose snapshot ended in error", () => {
    const failed = cycle.drives.filter((d) => d.status === "failed");
    expect(failed.map((d) => d.volumeId)).toEqual([cycle.fleet.failingVolumeId]);
    expect(failed[0]?.reason).toMatch(
      /SnapshotFailedError: Snapshot snap-\w+ in us-east-1 ended in state error/,
    );
    expect(failed[0]?.snapshotState).toBe("error");
    const others = cycle.drives.filter((d) => d.volumeId !== cycle.fleet.failingVolumeId);
    expect(others.every((d) => d.status === "ok" && d.snapshotState === "completed")).toBe(true);
  });

  it("tags each new snapshot with the volume's tags and snapfleet's bookkeeping", () => {
    const webData = cycle.drives.find((d) => d.host === "web-1" && d.device === "/dev/sdf");
    const snapshot = primary.find((s) => s.SnapshotId === webData?.snapshotId);
    const tags = toTagMap(snapshot?.Tags);
    expect(snapshot?.State).toBe("completed");
    expect(tags).toMatchObject({
      Name: "web-1-data",
      CostCenter: "42",
      Role: "content",
      "snapfleet:managed": "true",
      "snapfleet:instance-id": cycle.fleet.instances["web-1"],
      "snapfleet:host": "web-1",
      "snapfleet:device": "/dev/sdf",
      "snapfleet:volume-id": webData?.volumeId,
      "snapfleet:run": cycle.summary.runId,
      "snapfleet:retention": "7",
    });
  });

  it("copies every completed snapshot to the DR region with its source recorded", () => {
    for (const drive of cycle.drives.filter((d) => d.status === "ok")) {
      const copy = dr.find((s) => s.SnapshotId === drive.drSnapshotId);
      expect(copy?.State).toBe("completed");
      expect(toTagMap(copy?.Tags)).toMatchObject({
        "snapfleet:managed": "true",
        "snapfleet:source-snapshot": drive.snapshotId,
        "snapfleet:source-region": "us-east-1",
        "snapfleet:volume-id": drive.volumeId,
      });
    }
  });

  it("prunes web-2's managed snapshots beyond Retention=3 in both regions, keeping the newest ones", () => {
    const web2 = cycle.drives.find((d) => d.host === "web-2");
    const seededPrimary = cycle.fleet.seededManaged
      .filter((s) => s.region === "us-east-1")
      .map((s) => s.snapshotId);
    const seededDr = cycle.fleet.seededManaged
      .filter((s) => s.region === "us-west-2")
      .map((s) => s.snapshotId);
    // Seeded oldest first; Retention=3 keeps this run's snapshot and the two newest days before it.
    expect(web2?.pruned.sort()).toEqual(seededPrimary.slice(0, 4).sort());
    expect(web2?.drPruned.sort()).toEqual(seededDr.slice(0, 4).sort());
    const primaryIds = new Set(primary.map((s) => s.SnapshotId));
    const drIds = new Set(dr.map((s) => s.SnapshotId));
    expect(seededPrimary.filter((id) => primaryIds.has(id))).toEqual(seededPrimary.slice(4));
    expect(seededDr.filter((id) => drIds.has(id))).toEqual(seededDr.slice(4));
  });

  it("never deletes the unmanaged snapshot", () => {
    expect(primary.map((s) => s.SnapshotId)).toContain(cycle.fleet.unmanagedSnapshotId);
  });

  it("publishes ElapsedTime, Size and Errors per server and drive, Errors=1 only for the failed drive", async () => {
    const cw = client(CloudWatchClient, "us-east-1");
    const listed = await cw.send(
      new ListMetricsCommand({ Namespace: DEFAULT_NAMESPACE, MetricName: "Errors" }),
    );
    expect(listed.Metrics?.length).toBe(10);
    const range = { StartTime: new Date(Date.UTC(2026, 0, 1)), EndTime: new Date(Date.UTC(2027, 0, 1)) };
    for (const drive of cycle.drives) {
      const dimensions = [
        { Name: "Server", Value: drive.instanceId },
        { Name: "Drive", Value: drive.device },
      ];
      const stat = (MetricName: string) =>
        cw.send(
          new GetMetricStatisticsCommand({
            Namespace: DEFAULT_NAMESPACE,
            MetricName,
            Dimensions: dimensions,
            Period: 86400,
            Statistics: ["Maximum", "SampleCount"],
            ...range,
          }),
        );
      const errors = await stat("Errors");
      expect(errors.Datapoints?.[0]?.Maximum).toBe(drive.status === "ok" ? 1 - 1 : 1);
      const elapsed = await stat("ElapsedTime");
      const size = await stat("Size");
      if (drive.status === "ok") {
        expect(elapsed.Datapoints?.[0]?.Maximum).toBe(drive.elapsedSeconds);
        expect(size.Datapoints?.[0]?.Maximum).toBe(drive.sizeGiB);
      } else {
        expect(size.Datapoints ?? []).toHaveLength(0);
      }
    }
  });

  it("publishes exactly one digest, naming the failed server and drive", () => {
    const digests = (cycle.emulator?.published() ?? []).filter((m) => m.subject?.startsWith("snapfleet "));
    expect(digests).toHaveLength(1);
    expect(digests[0]?.subject).toBe(
      "snapfleet us-east-1: 1 FAILED, 2 LESS CONSISTENT, 9/10 drives backed up",
    );
    expect(digests[0]?.message).toContain(
      `db-1 (${cycle.fleet.instances["db-1"]}) /dev/sdg ${cycle.fleet.failingVolumeId}`,
    );
  });
});
