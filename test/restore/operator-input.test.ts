import { CreateTagsCommand, type EC2Client, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { runBackupCycle } from "../../local/cycle";
import { DAY_MS, launchInstance, startTestAws, type TestAws } from "../helpers/aws";
import { backUp, ec2State, snapfleet } from "./helpers";

/**
 * What an operator types is taken literally (issue 13): names and devices match exactly, with the
 * `Name` tag's key in any case; a device whose snapshots all failed is told so; a swap that would
 * push the old volume past AWS's 50 tags is refused before anything changes; a restore of the
 * volume already in place changes nothing and says so.
 */
const DAY1 = Date.UTC(2026, 10, 20, 3);
const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

let aws: TestAws;
let ec2: EC2Client;
let xNew: { instanceId: string };
let lower: { instanceId: string; rootVolumeId: string };
let crowded: { instanceId: string; rootVolumeId: string };

beforeAll(async () => {
  aws = await startTestAws(DAY1);
  ec2 = aws.ec2();
  // x-old was backed up and then terminated; x-new runs and has no snapshots of its own.
  const xOld = await launchInstance(aws, { tags: { Name: "x-old", Backup: "true" } });
  lower = await launchInstance(aws, { tags: { name: "lower-1", Backup: "true" } });
  // 45 tags of its own: after the backup it gets 5 more, 50 in all, AWS's limit.
  const many = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`k${i}`, `v${i}`]));
  crowded = await launchInstance(aws, { tags: { Name: "crowded-1", Backup: "true" }, rootTags: many });
  await backUp(aws, 2);
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [xOld.instanceId] }));
  xNew = await launchInstance(aws, { tags: { Name: "x-new" } });
  const more = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`later${i}`, "x"]));
  await ec2.send(new CreateTagsCommand({ Resources: [crowded.rootVolumeId], Tags: tagList(more) }));
}, 120_000);
afterAll(() => aws.stop());

describe("names and devices with wildcard characters", () => {
  it("restore --host 'x-*' finds no instance, instead of planning x-old's snapshot onto x-new", async () => {
    const result = await snapfleet(aws, ["restore", "--host", "x-*", "--device", "/dev/xvda", "--dry-run"]);

    expect(result.code).toBe(3);
    expect(result.stderr).toContain("No instance in us-east-1 is named x-*");
    expect(result.stdout).not.toContain(xNew.instanceId);
  });

  it.each([["*"], ["x-?ld"], ["x-ol\\d"]])("snapshots --host %p lists nothing", async (host) => {
    const result = await snapfleet(aws, ["snapshots", "--host", host]);

    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`No snapshot of host ${host} in us-east-1`);
  });

  it("snapshots --device '/dev/*' lists nothing, --device /dev/xvda lists the drive", async () => {
    const wild = await snapfleet(aws, ["snapshots", "--host", "x-old", "--device", "/dev/*"]);
    const exact = await snapfleet(aws, ["snapshots", "--host", "x-old", "--device", "/dev/xvda", "--json"]);

    expect(wild.code).toBe(3);
    expect(exact.code).toBe(0);
    expect(JSON.parse(exact.stdout).recoveryPoints).toHaveLength(2);
  });
});

describe("an instance tagged name=lower-1 (the key in lower case)", () => {
  it("is listed by snapshots and found by restore alike", async () => {
    const listed = await snapfleet(aws, ["snapshots", "--host", "lower-1", "--json"]);
    const planned = await snapfleet(aws, [
      "restore",
      "--host",
      "lower-1",
      "--device",
      "/dev/xvda",
      "--dry-run",
      "--json",
    ]);

    expect(listed.code).toBe(0);
    expect(planned.code).toBe(0);
    expect(JSON.parse(planned.stdout).plan.instance).toMatchObject({
      instanceId: lower.instanceId,
      host: "lower-1",
    });
  });
});

describe("restore --volume <the volume already attached> --attach", () => {
  it("says nothing changed, with no swap and no rollback hint", async () => {
    const created = await snapfleet(aws, ["restore", "--host", "lower-1", "--device", "/dev/xvda", "--json"]);
    const volumeId = JSON.parse(created.stdout).result.volumeId as string;
    const swapped = await snapfleet(aws, [
      "restore",
      "--host",
      "lower-1",
      "--device",
      "/dev/xvda",
      "--volume",
      volumeId,
      "--attach",
    ]);
    expect(swapped.code).toBe(0);
    const before = await ec2State(aws);

    const again = await snapfleet(aws, [
      "restore",
      "--host",
      "lower-1",
      "--device",
      "/dev/xvda",
      "--volume",
      volumeId,
      "--attach",
    ]);

    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      `${volumeId} is already attached to ${lower.instanceId} at /dev/xvda: nothing to do, nothing was changed.`,
    );
    expect(again.stdout).not.toMatch(/Restored|swap it back|--rollback/);
    expect(await ec2State(aws)).toEqual(before);
  });
});

describe("a swap that would take the replaced volume past 50 tags", () => {
  it("is refused with exit 3 before anything changes, saying how many tags to remove", async () => {
    const before = await ec2State(aws);

    const result = await snapfleet(aws, [
      "restore",
      "--host",
      "crowded-1",
      "--device",
      "/dev/xvda",
      "--attach",
    ]);

    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `volume ${crowded.rootVolumeId} has 50 tags, and the swap adds 5 (snapfleet:replaced-*, how --rollback finds it): AWS allows 50. Remove 5 of its tags first`,
    );
    expect(await ec2State(aws)).toEqual(before);
  });
});

describe("a device whose snapshots all ended in error", () => {
  it("is told they failed, not to wait", async () => {
    const broken = await launchInstance(aws, {
      tags: { Name: "db-1", Backup: "true" },
      volumes: [{ device: "/dev/sdg", size: 10, tags: { "emulator:snapshot-result": "error" } }],
    });
    for (let day = 0; day < 2; day++) {
      await runBackupCycle(aws.config(), aws.clock);
      aws.clock.advance(DAY_MS);
    }

    const result = await snapfleet(aws, ["restore", "--instance", broken.instanceId, "--device", "/dev/sdg"]);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      // Each run deletes snapfleet's error snapshots of earlier runs (issue 11), so the newest is left.
      /Every snapshot of instance i-\w+ \/dev\/sdg in us-east-1 failed: snap-\w+ ended in state error and will never complete/,
    );
    expect(result.stderr).not.toContain("Wait");
  });
});
