import {
  DescribeVolumesCommand,
  DetachVolumeCommand,
  type EC2Client,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { TAG, toTagMap } from "../../lib/tags";
import { launchInstance, listSnapshots, startTestAws, type TestAws } from "../helpers/aws";
import {
  argsOf,
  attachedAt,
  backUp,
  denying,
  ec2State,
  instance,
  launchIn,
  replaceVolume,
  snapfleet,
  volume,
} from "./helpers";

/**
 * Recovery end to end on the embedded AWS: four daily backups by the real state machine, then
 * `snapfleet restore` run in-process, and the EC2 state read back through the SDK.
 */
const ROOT_TAGS = { Name: "web-1-root", Role: "web", CostCenter: "42" };
const DAY1 = Date.UTC(2026, 10, 20, 3);

let aws: TestAws;
let ec2: EC2Client;
let web: { instanceId: string; rootVolumeId: string; volumes: Record<string, string> };
let app: { instanceId: string; volumes: Record<string, string> };
let old: { instanceId: string };
let replacementId: string;

beforeAll(async () => {
  aws = await startTestAws(DAY1);
  ec2 = aws.ec2();
  web = await launchInstance(aws, {
    tags: { Name: "web-1", Backup: "true" },
    rootTags: ROOT_TAGS,
    volumes: [{ device: "/dev/sdf", size: 20, tags: { Name: "web-1-data", Role: "content" } }],
  });
  app = await launchInstance(aws, {
    tags: { Name: "app-1", Backup: "true" },
    volumes: [{ device: "/dev/sdf", size: 10 }],
  });
  old = await launchInstance(aws, { tags: { Name: "old-1", Backup: "true" } });
  await backUp(aws, 4);
  // After the backups: app-1 loses its data volume, old-1 is terminated, web-1's root disk is replaced.
  await ec2.send(new DetachVolumeCommand({ VolumeId: app.volumes["/dev/sdf"] }));
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [old.instanceId] }));
  replacementId = await replaceVolume(aws, web.instanceId, "/dev/xvda", { Name: "web-1-replacement" });
}, 120_000);
afterAll(() => aws.stop());

/** web-1's completed root snapshots in a region, newest first. */
async function rootSnapshots(region = "us-east-1") {
  return (await listSnapshots(aws, region))
    .filter((s) => {
      const tags = toTagMap(s.Tags);
      return tags[TAG.host] === "web-1" && tags[TAG.device] === "/dev/xvda" && s.State === "completed";
    })
    .sort((a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0));
}

describe("snapfleet snapshots", () => {
  it("lists recovery points per host and drive with time, size, state and region", async () => {
    const result = await snapfleet(aws, ["snapshots", "--host", "web-1"]);

    const rows = result.stdout.trim().split("\n");
    expect(result.code).toBe(0);
    expect(rows[0]).toMatch(/^HOST\s+INSTANCE\s+DEVICE\s+TIME\s+SNAPSHOT\s+SIZE\s+STATE\s+REGION/);
    expect(rows).toHaveLength(1 + 2 * 4);
    expect(rows.filter((r) => r.includes("/dev/xvda") && r.includes("8 GiB"))).toHaveLength(4);
    expect(rows.filter((r) => r.includes("/dev/sdf") && r.includes("20 GiB"))).toHaveLength(4);
    expect(rows.slice(1).every((r) => /completed\s+us-east-1/.test(r))).toBe(true);
  });

  it("lists the DR copies with their source, dated by the source snapshot, as JSON", async () => {
    const result = await snapfleet(aws, [
      "snapshots",
      "--host",
      "web-1",
      "--device",
      "/dev/xvda",
      "--region",
      "us-west-2",
      "--json",
    ]);
    const primary = await rootSnapshots();

    const doc = JSON.parse(result.stdout) as {
      recoveryPoints: { snapshotId: string; takenAt: string; sourceSnapshotId: string; region: string }[];
    };
    expect(result.code).toBe(0);
    expect(doc.recoveryPoints).toHaveLength(4);
    for (const point of doc.recoveryPoints) {
      const source = primary.find((s) => s.SnapshotId === point.sourceSnapshotId);
      expect(point.region).toBe("us-west-2");
      expect(point.takenAt).toBe(source?.StartTime?.toISOString());
    }
  });
});

describe("snapfleet restore, refused requests", () => {
  const cases: [string, string[], RegExp[]][] = [
    [
      "an unknown host",
      ["--host", "nope-9", "--device", "/dev/xvda", "--attach"],
      [/No instance in us-east-1 is named nope-9/, /--instance ID/, /--region/],
    ],
    [
      "no snapshot at or before the time",
      ["--host", "web-1", "--device", "/dev/xvda", "--at", "2026-11-01T00:00:00Z", "--attach"],
      [
        /No completed snapshot of host web-1 \/dev\/xvda in us-east-1 was taken at or before 2026-11-01T00:00:00.000Z/,
        /The oldest is snap-\w+ taken 2026-11-20T03:00:00\.\d{3}Z: pass a later --at/,
      ],
    ],
    [
      "a zone other than the instance's",
      ["--host", "web-1", "--device", "/dev/xvda", "--az", "us-east-1b", "--attach"],
      [/would be in us-east-1b but instance i-\w+ is in us-east-1a/, /Omit --az/, /nothing was changed/],
    ],
    [
      "a zone that does not exist",
      ["--host", "web-1", "--device", "/dev/xvda", "--az", "us-east-1z"],
      [/availability zone us-east-1z does not exist in us-east-1/],
    ],
    [
      "a device with nothing attached",
      ["--host", "app-1", "--device", "/dev/sdf", "--attach"],
      [/has nothing attached at \/dev\/sdf \(attached: \/dev\/xvda \(vol-\w+\)\)/, /check --device/],
    ],
    [
      "a device that was never backed up",
      ["--host", "web-1", "--device", "/dev/sdz", "--attach"],
      [
        /No snapshot of host web-1 \/dev\/sdz in us-east-1. It has snapshots of \/dev\/sdf, \/dev\/xvda: check --device/,
      ],
    ],
    [
      "a terminated instance",
      ["--device", "/dev/xvda", "--attach"],
      [/Instance i-\w+ \(old-1\) in us-east-1 is terminated/, /--host old-1/],
    ],
    [
      "a size below the snapshot's",
      ["--host", "web-1", "--device", "/dev/xvda", "--size", "4"],
      [/size 4 GiB is smaller than the snapshot \(8 GiB\): pass --size 8 or more/],
    ],
    [
      "an HDD type for a root volume",
      ["--host", "web-1", "--device", "/dev/xvda", "--type", "st1", "--size", "200"],
      [/st1 cannot be a boot volume/],
    ],
    [
      "a rollback with nothing to roll back",
      ["--host", "app-1", "--device", "/dev/xvda", "--rollback"],
      [/No earlier volume of i-\w+ \(app-1\) \/dev\/xvda is waiting to be swapped back/],
    ],
  ];

  it.each(cases)(
    "refuses %s with exit code 3, a clear message and no change",
    async (_name, args, messages) => {
      const fullArgs = args[0] === "--device" ? ["--instance", old.instanceId, ...args] : args;
      const before = await ec2State(aws);

      const result = await snapfleet(aws, ["restore", ...fullArgs]);

      expect(result.code).toBe(3);
      for (const message of messages) expect(result.stderr).toMatch(message);
      expect(await ec2State(aws)).toEqual(before);
    },
  );

  it("prints the refusal as JSON on stdout with --json", async () => {
    const result = await snapfleet(aws, ["restore", "--host", "nope-9", "--device", "/dev/xvda", "--json"]);

    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toEqual({
      error: expect.objectContaining({ name: "UnknownHostError", exitCode: 3, region: "us-east-1" }),
    });
  });
});

describe("snapfleet restore --dry-run", () => {
  it("prints the checked plan and changes nothing", async () => {
    const before = await ec2State(aws);
    const newest = (await rootSnapshots())[0];

    const result = await snapfleet(aws, [
      "restore",
      "--host",
      "web-1",
      "--device",
      "/dev/xvda",
      "--attach",
      "--dry-run",
    ]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Restore plan");
    expect(result.stdout).toContain(
      `snapshot    ${newest?.SnapshotId} taken ${newest?.StartTime?.toISOString()} (newest completed)`,
    );
    expect(result.stdout).toMatch(/zone\s+us-east-1a/);
    expect(result.stdout).toMatch(/size, type\s+8 GiB gp3/);
    expect(result.stdout).toMatch(/encryption\s+not encrypted/);
    expect(result.stdout).toMatch(/stop\s+yes: \/dev\/xvda is its root device; started again afterwards/);
    expect(result.stdout).toContain("Dry run: nothing was changed.");
    expect(await ec2State(aws)).toEqual(before);
  });
});

describe("snapfleet restore --attach of the root volume at a point in time, then --rollback", () => {
  const T = "2026-11-22T00:00:00.000Z";
  let restoredId: string;
  let before: { volumes: string[]; snapshots: string[] };
  let window: [string, string];

  beforeAll(async () => {
    before = {
      volumes: (await listVolumes()).map((v) => v.VolumeId ?? ""),
      snapshots: (await listSnapshots(aws)).map((s) => s.SnapshotId ?? ""),
    };
  });

  it("attaches a volume made from the newest completed snapshot at or before T", async () => {
    const startedAt = aws.clock.now().toISOString();
    const result = await snapfleet(aws, [
      "restore",
      "--host",
      "web-1",
      "--device",
      "/dev/xvda",
      "--at",
      T,
      "--attach",
    ]);
    window = [startedAt, aws.clock.now().toISOString()];
    const attached = await attachedAt(ec2, web.instanceId, "/dev/xvda");
    restoredId = attached?.VolumeId ?? "";
    const expected = (await rootSnapshots()).find((s) => (s.StartTime?.getTime() ?? 0) <= Date.parse(T));

    expect(result.code).toBe(0);
    expect(restoredId).not.toBe(replacementId);
    expect(attached?.SnapshotId).toBe(expected?.SnapshotId);
    // The run of 2026-11-21 03:00 (its CreateSnapshot slot in the timetable is within a second of the start).
    expect(expected?.StartTime?.toISOString()).toMatch(/^2026-11-21T03:00:00\.\d{3}Z$/);
    expect(result.stdout).toContain(`Restored ${restoredId} from ${expected?.SnapshotId} and attached it`);
  });

  it("gives the new volume the original volume's tags and the snapshot it came from, nothing else", async () => {
    const restored = await volume(ec2, restoredId);

    expect(toTagMap(restored.Tags)).toEqual({ ...ROOT_TAGS, "snapfleet:restored-from": restored.SnapshotId });
  });

  it("keeps the replaced volume, tagged with when, why and by what it was replaced", async () => {
    const replaced = await volume(ec2, replacementId);
    const tags = toTagMap(replaced.Tags);
    const replacedAt = tags["snapfleet:replaced-at"] ?? "";

    expect(replaced.State).toBe("available");
    expect(replacedAt >= window[0] && replacedAt <= window[1]).toBe(true);
    expect(tags).toEqual({
      Name: "web-1-replacement",
      "snapfleet:replaced-at": expect.any(String),
      "snapfleet:replaced-by": restoredId,
      "snapfleet:replaced-reason": expect.stringMatching(
        /^restore of snap-\w+ \(at 2026-11-22T00:00:00.000Z\)$/,
      ),
      "snapfleet:replaced-instance": web.instanceId,
      "snapfleet:replaced-device": "/dev/xvda",
    });
  });

  it("starts the instance again, and deletes nothing", async () => {
    const after = {
      volumes: new Set((await listVolumes()).map((v) => v.VolumeId)),
      snapshots: new Set((await listSnapshots(aws)).map((s) => s.SnapshotId)),
    };

    expect((await instance(ec2, web.instanceId)).State?.Name).toBe("running");
    for (const id of before.volumes) expect(after.volumes.has(id)).toBe(true);
    for (const id of before.snapshots) expect(after.snapshots.has(id)).toBe(true);
  });

  it("--rollback puts the previous volume back and keeps the restored one", async () => {
    const result = await snapfleet(aws, [
      "restore",
      "--host",
      "web-1",
      "--device",
      "/dev/xvda",
      "--rollback",
    ]);
    const attached = await attachedAt(ec2, web.instanceId, "/dev/xvda");
    const restored = await volume(ec2, restoredId);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Rollback plan");
    expect(attached?.VolumeId).toBe(replacementId);
    expect(restored.State).toBe("available");
    expect(toTagMap(restored.Tags)).toMatchObject({
      "snapfleet:replaced-by": replacementId,
      "snapfleet:replaced-reason": "rollback",
    });
    expect((await instance(ec2, web.instanceId)).State?.Name).toBe("running");
  });
});

describe("snapfleet restore from the DR region", () => {
  it("restores a DR copy into an instance in the DR region, with the original tags", async () => {
    const dr = await launchIn(aws, "us-west-2", { name: "web-1", zone: "us-west-2b" });
    const drEc2 = aws.ec2("us-west-2");

    const result = await snapfleet(aws, [
      "restore",
      "--host",
      "web-1",
      "--device",
      "/dev/xvda",
      "--region",
      "us-west-2",
      "--attach",
    ]);
    const attached = await attachedAt(drEc2, dr.instanceId, "/dev/xvda");
    const copies = await rootSnapshots("us-west-2");

    expect(result.code).toBe(0);
    expect(attached?.AvailabilityZone).toBe("us-west-2b");
    expect(attached?.SnapshotId).toBe(copies[0]?.SnapshotId);
    expect(toTagMap(copies[0]?.Tags)[TAG.sourceRegion]).toBe("us-east-1");
    expect(toTagMap(attached?.Tags)).toEqual({
      ...ROOT_TAGS,
      "snapfleet:restored-from": copies[0]?.SnapshotId,
    });
    expect(toTagMap((await volume(drEc2, dr.rootVolumeId)).Tags)).toMatchObject({
      "snapfleet:replaced-by": attached?.VolumeId,
    });
    expect((await instance(drEc2, dr.instanceId)).State?.Name).toBe("running");
  });
});

describe("snapfleet restore of a data volume without --attach", () => {
  it("creates the volume in the instance's zone and changes nothing else", async () => {
    const current = await attachedAt(ec2, web.instanceId, "/dev/sdf");

    const result = await snapfleet(aws, [
      "restore",
      "--instance",
      web.instanceId,
      "--device",
      "/dev/sdf",
      "--json",
    ]);
    const doc = JSON.parse(result.stdout) as { result: { volumeId: string; attached: boolean } };
    const created = await volume(ec2, doc.result.volumeId);

    expect(result.code).toBe(0);
    expect(doc.result.attached).toBe(false);
    expect(created).toMatchObject({ State: "available", Size: 20, AvailabilityZone: "us-east-1a" });
    expect(toTagMap(created.Tags)).toMatchObject({ Name: "web-1-data", Role: "content" });
    expect((await attachedAt(ec2, web.instanceId, "/dev/sdf"))?.VolumeId).toBe(current?.VolumeId);
  });
});

describe("a restore that fails midway", () => {
  /** EC2 whose AttachVolume fails once, as a missing permission would. */
  const failingAttach = () => denying(aws, "AttachVolumeCommand", (call) => call === 1);

  it("says the instance is stopped with nothing attached, and the printed rollback command puts the old volume back", async () => {
    const current = await attachedAt(ec2, web.instanceId, "/dev/xvda");

    const failed = await snapfleet(aws, ["restore", "--host", "web-1", "--device", "/dev/xvda", "--attach"], {
      ec2: failingAttach(),
    });
    const rollback = /To roll back: (.+)/.exec(failed.stderr)?.[1] ?? "";
    const undone = await snapfleet(aws, argsOf(rollback));

    expect(failed.code).toBe(4);
    expect(failed.stderr).toContain("stopped at step 5/6 (attach-volume): UnauthorizedOperation");
    expect(failed.stderr).toContain(
      `Now: instance ${web.instanceId} is stopped; /dev/xvda has nothing attached.`,
    );
    expect(failed.stderr).toMatch(
      /To continue: npx snapfleet restore --instance i-\w+ --device \/dev\/xvda --region us-east-1 --volume vol-\w+ --attach --start/,
    );
    expect(rollback).toBe(
      `npx snapfleet restore --instance ${web.instanceId} --device /dev/xvda --region us-east-1 --rollback --start`,
    );
    expect(failed.stderr).toContain("Nothing was deleted.");
    expect(undone.code).toBe(0);
    expect((await attachedAt(ec2, web.instanceId, "/dev/xvda"))?.VolumeId).toBe(current?.VolumeId);
    expect((await instance(ec2, web.instanceId)).State?.Name).toBe("running");
  });

  it("continues with the printed command and the volume it had created", async () => {
    const failed = await snapfleet(aws, ["restore", "--host", "web-1", "--device", "/dev/xvda", "--attach"], {
      ec2: failingAttach(),
    });
    const next = /To continue: (.+)/.exec(failed.stderr)?.[1] ?? "";
    const created = /--volume (vol-\w+)/.exec(next)?.[1];

    const continued = await snapfleet(aws, argsOf(next));

    expect(failed.code).toBe(4);
    expect(continued.code).toBe(0);
    expect((await attachedAt(ec2, web.instanceId, "/dev/xvda"))?.VolumeId).toBe(created);
    expect((await instance(ec2, web.instanceId)).State?.Name).toBe("running");
  });
});

async function listVolumes() {
  return (await ec2.send(new DescribeVolumesCommand({}))).Volumes ?? [];
}
