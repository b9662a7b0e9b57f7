import { CreateSnapshotCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { TAG, toTagList, toTagMap } from "../../lib/tags";
import { DAY_MS, type LaunchedInstance, launchInstance, startTestAws, type TestAws } from "../helpers/aws";
import { argsOf, attachedAt, denying, ec2State, instance, snapfleet, volume } from "./helpers";

/**
 * `snapfleet restore --all-drives` on the embedded AWS. The recovery points are made here with
 * CreateSnapshot and the tags the backup writes (DESIGN.md, "Tags on a snapshot"; a set adds
 * `snapfleet:set` and `snapfleet:consistency`): the snapshots of one set share one StartTime
 * because they are created at one instant of the virtual clock, as one CreateSnapshots call makes them.
 */
const DAY1 = Date.UTC(2026, 10, 20, 3);
const iso = (ms: number) => new Date(ms).toISOString();

let aws: TestAws;
let ec2: EC2Client;
let db: LaunchedInstance;
/** Per set: device -> snapshot id. */
const sets: Record<"A" | "B" | "C", Record<string, string>> = { A: {}, B: {}, C: {} };

/** The snapshots one backup of `server` makes now: a set (one instant) unless `perVolume`. */
async function backUpNow(
  server: LaunchedInstance,
  host: string,
  run: string,
  devices: string[],
  options: { perVolume?: boolean; consistency?: string } = {},
): Promise<Record<string, string>> {
  const made: Record<string, string> = {};
  for (const device of devices) {
    const volumeId = server.volumes[device] as string;
    const own = toTagMap((await volume(ec2, volumeId)).Tags);
    const tags: Record<string, string> = {
      ...own,
      [TAG.managed]: "true",
      [TAG.instanceId]: server.instanceId,
      [TAG.host]: host,
      [TAG.device]: device,
      [TAG.volumeId]: volumeId,
      [TAG.run]: run,
      [TAG.retention]: "7",
      ...(options.perVolume
        ? {}
        : { [TAG.set]: `${run}/${server.instanceId}`, [TAG.consistency]: options.consistency ?? "instance" }),
    };
    const created = await ec2.send(
      new CreateSnapshotCommand({
        VolumeId: volumeId,
        TagSpecifications: [{ ResourceType: "snapshot", Tags: toTagList(tags) }],
      }),
    );
    made[device] = created.SnapshotId ?? "";
    if (options.perVolume) aws.clock.advance(60_000); // per volume: each drive at its own moment
  }
  return made;
}

const stops = () => aws.emulator.requests().filter((r) => r.action === "StopInstances").length;
const starts = () => aws.emulator.requests().filter((r) => r.action === "StartInstances").length;

beforeAll(async () => {
  aws = await startTestAws(DAY1);
  ec2 = aws.ec2();
  db = await launchInstance(aws, {
    tags: { Name: "db-1" },
    rootTags: { Name: "db-1-root", Role: "db" },
    volumes: [
      // 500 GiB: its snapshot is pending for 2,560 s on the emulator (60 s + 5 s per GiB).
      { device: "/dev/sdf", size: 500, tags: { Name: "db-1-data", Role: "db" } },
      { device: "/dev/sdg", size: 10, tags: { Name: "db-1-scratch", Backup: "false" } },
    ],
  });
  const drives = ["/dev/sdf", "/dev/xvda"];
  sets.A = await backUpNow(db, "db-1", "run-a", drives, { consistency: "application" });
  aws.clock.advance(DAY_MS);
  sets.B = await backUpNow(db, "db-1", "run-b", drives);
  aws.clock.advance(DAY_MS);
  sets.C = await backUpNow(db, "db-1", "run-c", drives);
  aws.clock.advance(300_000); // set C: the root snapshot has completed, /dev/sdf's is pending
}, 60_000);
afterAll(() => aws.stop());

describe("snapfleet restore --all-drives --dry-run", () => {
  it("plans every drive of the newest complete set, says why a newer set was skipped, and changes nothing", async () => {
    const before = await ec2State(aws);

    const result = await snapfleet(aws, [
      "restore",
      "--host",
      "db-1",
      "--all-drives",
      "--attach",
      "--dry-run",
    ]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Restore plan, every drive");
    expect(result.stdout).toMatch(
      new RegExp(
        `recovery point\\s+set run-b/${db.instanceId} taken ${iso(DAY1 + DAY_MS)} \\(newest complete\\); consistency instance, every drive at one instant`,
      ),
    );
    expect(result.stdout).toMatch(/DEVICE\s+NOW\s+SNAPSHOT\s+TAKEN\s+CONSISTENCY\s+NEW VOLUME/);
    for (const [device, snapshotId] of Object.entries(sets.B)) {
      expect(result.stdout).toMatch(
        new RegExp(
          `${device}(?: \\(root\\))?\\s+${db.volumes[device]}\\s+${snapshotId}\\s+${iso(DAY1 + DAY_MS)}\\s+instance\\s+`,
        ),
      );
    }
    expect(result.stdout).toMatch(
      new RegExp(`left alone\\s+/dev/sdg ${db.volumes["/dev/sdg"]}: not in the set: .*Backup=false`),
    );
    expect(result.stdout).toContain(
      `set run-c/${db.instanceId} taken ${iso(DAY1 + 2 * DAY_MS)} is newer but was skipped: /dev/sdf's snapshot ${sets.C["/dev/sdf"]} is pending`,
    );
    expect(result.stdout).toMatch(/stop\s+yes, once for every drive; started again afterwards/);
    expect(result.stdout).toContain("Dry run: nothing was changed.");
    expect(await ec2State(aws)).toEqual(before);
  });

  it("--json prints the plan in a fixed shape", async () => {
    const result = await snapfleet(aws, [
      "restore",
      "--instance",
      db.instanceId,
      "--all-drives",
      "--dry-run",
      "--json",
    ]);
    const drive = (device: string, type: Record<string, unknown>, tags: Record<string, string>) => ({
      device,
      isRootDevice: device === "/dev/xvda",
      currentVolumeId: db.volumes[device],
      snapshotId: sets.B[device],
      takenAt: iso(DAY1 + DAY_MS),
      consistency: "instance",
      volume: {
        volumeId: null,
        availabilityZone: "us-east-1a",
        ...type,
        encrypted: false,
        kmsKeyId: null,
        tags: { ...tags, "snapfleet:restored-from": sets.B[device] },
      },
    });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      dryRun: true,
      plan: {
        mode: "restore",
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        region: "us-east-1",
        at: null,
        instance: {
          instanceId: db.instanceId,
          host: "db-1",
          state: "running",
          availabilityZone: "us-east-1a",
          rootDeviceName: "/dev/xvda",
        },
        recoveryPoint: {
          kind: "set",
          id: `run-b/${db.instanceId}`,
          takenAt: iso(DAY1 + DAY_MS),
          firstTakenAt: iso(DAY1 + DAY_MS),
          consistency: "instance",
          oneInstant: true,
        },
        drives: [
          drive(
            "/dev/sdf",
            { sizeGiB: 500, volumeType: "gp2", iops: null, throughput: null },
            { Name: "db-1-data", Role: "db" },
          ),
          drive(
            "/dev/xvda",
            { sizeGiB: 8, volumeType: "gp3", iops: 3000, throughput: 125 },
            { Name: "db-1-root", Role: "db" },
          ),
        ],
        untouched: [{ device: "/dev/sdg", volumeId: db.volumes["/dev/sdg"], reason: expect.any(String) }],
        attach: false,
        stopInstance: false,
        startAfter: false,
        steps: [
          { device: "/dev/sdf", step: "create-volume" },
          { device: "/dev/xvda", step: "create-volume" },
        ],
        checks: expect.arrayContaining([
          "/dev/sdf: zone us-east-1a exists and is the instance's",
          "/dev/xvda: 8 GiB gp3 is valid (snapshot 8 GiB)",
        ]),
        notes: [
          expect.stringContaining(`set run-c/${db.instanceId}`),
          "without --attach the new volumes are left available, nothing else changes",
        ],
        dryRun: true,
      },
    });
  });

  it("--at picks the set taken at or before it", async () => {
    const between = iso(DAY1 + DAY_MS / 2);

    const result = await snapfleet(aws, [
      "restore",
      "--host",
      "db-1",
      "--all-drives",
      "--at",
      between,
      "--dry-run",
      "--json",
    ]);
    const { plan } = JSON.parse(result.stdout) as {
      plan: {
        recoveryPoint: { id: string; consistency: string };
        drives: { device: string; snapshotId: string; consistency: string }[];
      };
    };

    expect(result.code).toBe(0);
    expect(plan.recoveryPoint).toMatchObject({ id: `run-a/${db.instanceId}`, consistency: "application" });
    expect(Object.fromEntries(plan.drives.map((d) => [d.device, d.snapshotId]))).toEqual(sets.A);
    expect(plan.drives.every((d) => d.consistency === "application")).toBe(true);
  });
});

describe("snapfleet restore --all-drives --attach, then --rollback --all-drives", () => {
  let previous: Record<string, string>;

  it("restores every drive to one instant with one stop and one start of the instance", async () => {
    previous = { ...db.volumes };
    const [stopsBefore, startsBefore] = [stops(), starts()];

    const result = await snapfleet(aws, ["restore", "--host", "db-1", "--all-drives", "--attach"]);
    const now = {
      "/dev/sdf": await attachedAt(ec2, db.instanceId, "/dev/sdf"),
      "/dev/xvda": await attachedAt(ec2, db.instanceId, "/dev/xvda"),
    };

    expect(result.code).toBe(0);
    expect({ "/dev/sdf": now["/dev/sdf"]?.SnapshotId, "/dev/xvda": now["/dev/xvda"]?.SnapshotId }).toEqual(
      sets.B,
    );
    expect(stops() - stopsBefore).toBe(1);
    expect(starts() - startsBefore).toBe(1);
    expect((await instance(ec2, db.instanceId)).State?.Name).toBe("running");
    expect((await attachedAt(ec2, db.instanceId, "/dev/sdg"))?.VolumeId).toBe(previous["/dev/sdg"]);
    expect(toTagMap(now["/dev/xvda"]?.Tags)).toEqual({
      Name: "db-1-root",
      Role: "db",
      "snapfleet:restored-from": sets.B["/dev/xvda"],
    });
    expect(result.stdout).toContain(`Restored every drive of ${db.instanceId} (instance running):`);
    expect(result.stdout).toContain(
      `To swap them back: npx snapfleet restore --instance ${db.instanceId} --all-drives --region us-east-1 --rollback`,
    );
  });

  it("keeps the replaced volumes, tagged with one set restore id", async () => {
    const replaced = [
      toTagMap((await volume(ec2, previous["/dev/sdf"] as string)).Tags),
      toTagMap((await volume(ec2, previous["/dev/xvda"] as string)).Tags),
    ];

    expect(replaced[0]?.["snapfleet:replaced-set"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(replaced[1]?.["snapfleet:replaced-set"]).toBe(replaced[0]?.["snapfleet:replaced-set"]);
    expect(replaced.map((t) => t["snapfleet:replaced-device"])).toEqual(["/dev/sdf", "/dev/xvda"]);
  });

  it("--rollback --all-drives puts every previous volume back with one stop and one start", async () => {
    const [stopsBefore, startsBefore] = [stops(), starts()];

    const result = await snapfleet(aws, ["restore", "--host", "db-1", "--all-drives", "--rollback"]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Rollback plan, every drive");
    for (const device of ["/dev/sdf", "/dev/xvda", "/dev/sdg"])
      expect((await attachedAt(ec2, db.instanceId, device))?.VolumeId).toBe(previous[device]);
    expect(stops() - stopsBefore).toBe(1);
    expect(starts() - startsBefore).toBe(1);
    expect((await instance(ec2, db.instanceId)).State?.Name).toBe("running");
  });
});

describe("a set restore that fails midway", () => {
  /** EC2 whose second AttachVolume fails, as a missing permission would. */
  const failingSecondAttach = () => denying(aws, "AttachVolumeCommand", (call) => call === 2);

  it("says which drives were swapped, and its rollback command puts every previous volume back", async () => {
    const previous = { ...db.volumes };

    const failed = await snapfleet(aws, ["restore", "--host", "db-1", "--all-drives", "--attach"], {
      ec2: failingSecondAttach(),
    });
    const rollback = /To roll back the drives swapped so far: (.+)/.exec(failed.stderr)?.[1] ?? "";
    const undone = await snapfleet(aws, argsOf(rollback));

    expect(failed.code).toBe(4);
    expect(failed.stderr).toContain("stopped at /dev/xvda attach-volume: UnauthorizedOperation");
    expect(failed.stderr).toContain(`Now: instance ${db.instanceId} is stopped.`);
    expect(failed.stderr).toMatch(/\/dev\/sdf: swapped: vol-\w+ attached; restored vol-\w+ is in-use/);
    expect(failed.stderr).toMatch(
      /\/dev\/xvda: swap started: nothing attached; restored vol-\w+ is available/,
    );
    expect(failed.stderr).toMatch(
      /To continue: npx snapfleet restore --instance i-\w+ --device \/dev\/xvda --region us-east-1 --volume vol-\w+ --attach --start/,
    );
    expect(rollback).toBe(
      `npx snapfleet restore --instance ${db.instanceId} --all-drives --region us-east-1 --rollback --start`,
    );
    expect(undone.code).toBe(0);
    for (const device of ["/dev/sdf", "/dev/xvda"])
      expect((await attachedAt(ec2, db.instanceId, device))?.VolumeId).toBe(previous[device]);
    expect((await instance(ec2, db.instanceId)).State?.Name).toBe("running");
  });
});

describe("a server backed up volume by volume", () => {
  let files: LaunchedInstance;
  let runs: Record<string, Record<string, string>>;
  let r1At: number;

  beforeAll(async () => {
    files = await launchInstance(aws, {
      tags: { Name: "files-1" },
      volumes: [{ device: "/dev/sdf", size: 10 }],
    });
    r1At = aws.clock.nowMs();
    runs = { r1: await backUpNow(files, "files-1", "r1", ["/dev/xvda", "/dev/sdf"], { perVolume: true }) };
    aws.clock.advance(DAY_MS);
    // r2's snapshot of /dev/sdf was never made (its CreateSnapshot failed): r2 does not cover every drive.
    runs.r2 = await backUpNow(files, "files-1", "r2", ["/dev/xvda"], { perVolume: true });
    aws.clock.advance(DAY_MS);
  });

  it("falls back to the newest run with a completed snapshot of every drive, and says they are not one instant", async () => {
    const result = await snapfleet(aws, ["restore", "--host", "files-1", "--all-drives", "--dry-run"]);
    const json = await snapfleet(aws, [
      "restore",
      "--host",
      "files-1",
      "--all-drives",
      "--dry-run",
      "--json",
    ]);
    const { plan } = JSON.parse(json.stdout) as {
      plan: {
        recoveryPoint: Record<string, unknown>;
        drives: { device: string; snapshotId: string; consistency: string }[];
      };
    };

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `recovery point\\s+run r1, ${iso(r1At)} to ${iso(r1At + 60_000)} .*consistency volume, NOT one instant`,
      ),
    );
    expect(result.stdout).toContain("run r2 (");
    expect(result.stdout).toContain("is newer but was skipped: it has no snapshot of /dev/sdf");
    expect(result.stdout).toContain("the drives are not one instant");
    expect(plan.recoveryPoint).toMatchObject({
      kind: "run",
      id: "r1",
      consistency: "volume",
      oneInstant: false,
    });
    expect(Object.fromEntries(plan.drives.map((d) => [d.device, d.snapshotId]))).toEqual(runs.r1);
    expect(plan.drives.every((d) => d.consistency === "volume")).toBe(true);
  });

  it("refuses when no run covers every drive, naming the fix, and changes nothing", async () => {
    const logs = await launchInstance(aws, {
      tags: { Name: "logs-1" },
      volumes: [{ device: "/dev/sdf", size: 10 }],
    });
    await backUpNow(logs, "logs-1", "l1", ["/dev/xvda"], { perVolume: true });
    aws.clock.advance(DAY_MS);
    await backUpNow(logs, "logs-1", "l2", ["/dev/sdf"], { perVolume: true });
    aws.clock.advance(DAY_MS);
    const before = await ec2State(aws);

    const result = await snapfleet(aws, ["restore", "--host", "logs-1", "--all-drives", "--attach"]);

    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      "No set or run of host logs-1 in us-east-1 has a completed snapshot of every drive (/dev/sdf, /dev/xvda).",
    );
    expect(result.stderr).toContain("run l2 (");
    expect(result.stderr).toContain("it has no snapshot of /dev/xvda");
    expect(result.stderr).toContain("Restore the drives one by one with --device");
    expect(await ec2State(aws)).toEqual(before);
  });
});

describe("--all-drives usage", () => {
  it.each([
    [["--device", "/dev/xvda"], /--all-drives restores every drive of one set; --device does not apply/],
    [["--size", "20"], /--size does not apply/],
    [["--stop"], /--stop does not apply \(with --attach the instance always stops once for all drives\)/],
  ])("refuses %p with exit code 2", async (args, message) => {
    const result = await snapfleet(aws, ["restore", "--host", "db-1", "--all-drives", ...args]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("still requires --device without --all-drives", async () => {
    const result = await snapfleet(aws, ["restore", "--host", "db-1"]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/required option '--device <dev>' not specified \(or --all-drives/);
  });
});
