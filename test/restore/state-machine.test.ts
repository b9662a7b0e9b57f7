import { join } from "node:path";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { toTagMap } from "../../lib/tags";
import { loadDefinition, runStateMachine } from "../../local/runner";
import { defaultPhysicalIds, loadPackagedTemplate, policyFromTemplate } from "../../local/stack";
import { handlerAccessKey } from "../../local/stack-on-emulator";
import { launchInstance, startTestAws, type TestAws } from "../helpers/aws";
import {
  attachedAt,
  backUp,
  denying,
  ec2State,
  instance,
  replaceVolume,
  restoreHandlers,
  volume,
} from "./helpers";

/**
 * statemachine/restore.asl.json run by the local runner with the real restore handlers against
 * the embedded AWS: Wait states take simulated time, so the Wait + Check loops run as on AWS.
 */
const RESTORE = loadDefinition(join(__dirname, "..", "..", "statemachine", "restore.asl.json"));
const ROOT_TAGS = { Name: "db-1-root", Role: "db" };

let aws: TestAws;
let ec2: EC2Client;
let db: { instanceId: string };
let replacementId: string;
let execution = 0;

const start = (input: Record<string, unknown>, ec2Override?: (region: string) => EC2Client) =>
  runStateMachine(input as never, {
    handlers: restoreHandlers(aws.config(), aws, ec2Override),
    executionName: `restore-${++execution}`,
    clock: aws.clock,
    definition: RESTORE,
  });

beforeAll(async () => {
  aws = await startTestAws(Date.UTC(2026, 10, 20, 3));
  ec2 = aws.ec2();
  db = await launchInstance(aws, { tags: { Name: "db-1", Backup: "true" }, rootTags: ROOT_TAGS });
  await backUp(aws, 3);
  replacementId = await replaceVolume(aws, db.instanceId, "/dev/xvda", { Name: "db-1-replacement" });
  // From here on the handlers' calls are held to the restore functions' own role.
  const template = await loadPackagedTemplate();
  aws.emulator.setIam({
    principals: {
      [handlerAccessKey()]: policyFromTemplate(template, "RestoreFunctionRole", defaultPhysicalIds(template)),
    },
  });
}, 120_000);
afterAll(() => aws.stop());

describe("the restore state machine", () => {
  it("ends after Plan with the checked plan for a dry run, changing nothing", async () => {
    const before = await ec2State(aws);

    const { output, stats } = await start({ host: "db-1", device: "/dev/xvda", attach: true, dryRun: true });

    expect(output).toMatchObject({
      plan: {
        dryRun: true,
        steps: [
          "create-volume",
          "stop-instance",
          "tag-replaced",
          "detach-volume",
          "attach-volume",
          "start-instance",
        ],
      },
    });
    expect(stats.taskInvocations).toEqual({ restorePlan: 1 });
    expect(await ec2State(aws)).toEqual(before);
  });

  it("restores the root volume at a time with the README's input, through Wait + Check loops", async () => {
    const at = "2026-11-21T12:00:00Z";

    const { output, stats } = await start({
      instanceId: db.instanceId,
      device: "/dev/xvda",
      at,
      attach: true,
    });
    const attached = await attachedAt(ec2, db.instanceId, "/dev/xvda");
    const result = output as {
      plan: { snapshot: { snapshotId: string; takenAt: string } };
      progress: { done: boolean; volumeId: string };
    };

    expect(result.progress).toMatchObject({ done: true, volumeId: attached?.VolumeId });
    expect(attached?.SnapshotId).toBe(result.plan.snapshot.snapshotId);
    expect(result.plan.snapshot.takenAt).toBe("2026-11-21T03:00:00.000Z");
    expect(toTagMap(attached?.Tags)).toEqual({
      ...ROOT_TAGS,
      "snapfleet:restored-from": attached?.SnapshotId,
    });
    expect(stats.taskInvocations).toEqual({ restorePlan: 1, restoreStep: 6, restoreCheck: 6 });
    expect((await instance(ec2, db.instanceId)).State?.Name).toBe("running");
  });

  it("rolls back with { rollback: true }", async () => {
    const { output } = await start({ host: "db-1", device: "/dev/xvda", rollback: true });

    expect(output).toMatchObject({
      plan: { mode: "rollback" },
      progress: { done: true, volumeId: replacementId },
    });
    expect((await attachedAt(ec2, db.instanceId, "/dev/xvda"))?.VolumeId).toBe(replacementId);
    expect((await volume(ec2, replacementId)).State).toBe("in-use");
  });

  it("fails the execution with the refusal's name and message, changing nothing", async () => {
    const before = await ec2State(aws);

    const failure = await start({ host: "db-9", device: "/dev/xvda", attach: true }).catch((e: unknown) => e);

    expect(((failure as Error).cause as Error).name).toBe("UnknownHostError");
    expect((failure as Error).message).toMatch(/No instance in us-east-1 is named db-9/);
    expect(await ec2State(aws)).toEqual(before);
  });

  it("fails with RestoreIncompleteError saying the state and the commands when a step fails midway", async () => {
    const denyAttach = denying(aws, "AttachVolumeCommand");

    const failure = await start({ host: "db-1", device: "/dev/xvda", attach: true }, denyAttach).catch(
      (e: unknown) => e,
    );
    const cause = (failure as Error).cause as Error & { continueCommand: string; rollbackCommand: string };

    expect(cause.name).toBe("RestoreIncompleteError");
    expect(cause.message).toContain(
      `Now: instance ${db.instanceId} is stopped; /dev/xvda has nothing attached.`,
    );
    expect(cause.continueCommand).toMatch(/--volume vol-\w+ --attach --start$/);
    expect(cause.rollbackCommand).toMatch(/--rollback --start$/);
  });

  it("rejects input that names both a host and an instance", async () => {
    const failure = await start({ host: "db-1", instanceId: db.instanceId, device: "/dev/xvda" }).catch(
      (e: unknown) => e,
    );

    expect(((failure as Error).cause as Error).name).toBe("InvalidInputError");
    expect((failure as Error).message).toMatch(/exactly one of host and instanceId/);
  });
});
