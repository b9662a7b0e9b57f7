import { RegisterImageCommand } from "@aws-sdk/client-ec2";
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  type SendCommandCommandInput,
} from "@aws-sdk/client-ssm";
import { launch, SSM_API, type SsmHarness, startSsmHarness } from "./ssm-harness";

/**
 * The simulated SSM Agent (local/aws/ssm/agent.ts): each mode against the statuses of
 * "Understanding command statuses" and GetCommandInvocation's StatusDetails.
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/monitor-commands.html
 */
const STATUSES = `${SSM_API}/API_GetCommandInvocation.html#systemsmanager-GetCommandInvocation-response-StatusDetails`;
const T0 = Date.UTC(2026, 0, 1);

let h: SsmHarness;
beforeEach(async () => {
  h = await startSsmHarness();
});
afterEach(() => h.emulator.stop());

async function send(instanceId: string, commands: string[], extra: Partial<SendCommandCommandInput> = {}) {
  const out = await h.ssm().send(
    new SendCommandCommand({
      DocumentName: "AWS-RunShellScript",
      InstanceIds: [instanceId],
      Parameters: { commands },
      ...extra,
    }),
  );
  return out.Command?.CommandId ?? "";
}

async function status(commandId: string, instanceId: string) {
  const out = await h
    .ssm()
    .send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  return [out.Status, out.StatusDetails, out.ResponseCode];
}

/** The log as [event, by, seconds after T0]. */
const log = (instanceId: string) =>
  h.emulator.ssmAgentLog(instanceId).map((e) => [e.event, e.by, (e.at.getTime() - T0) / 1000]);

const PRE = ["fsfreeze -f /data", "(sleep 10; fsfreeze -u /data) >/dev/null 2>&1 &"];
const POST = ["fsfreeze -u /data"];

describe(`agent modes (${STATUSES})`, () => {
  it("succeeds: InProgress while the command runs (1 s), then Success with ResponseCode 0", async () => {
    const id = await launch(h);
    const cmd = await send(id, ["true"]);

    h.clock.advance(600);
    const running = await status(cmd, id);
    h.clock.advance(400);
    const done = await status(cmd, id);

    expect(running).toEqual(["InProgress", "InProgress", -1]);
    expect(done).toEqual(["Success", "Success", 0]);
  });

  it("slow: succeeds after delaySeconds", async () => {
    const id = await launch(h);
    h.emulator.ssmAgent(id, { mode: "slow", delaySeconds: 45 });
    const cmd = await send(id, ["true"]);

    h.clock.advance(44_000);
    const running = await status(cmd, id);
    h.clock.advance(1_000);

    expect(running[0]).toBe("InProgress");
    expect(await status(cmd, id)).toEqual(["Success", "Success", 0]);
  });

  it("fails: Failed with ResponseCode 1 and the error on standard error", async () => {
    const id = await launch(h);
    h.emulator.ssmAgent(id, { mode: "fails", stderr: "fsfreeze: /data: Device or resource busy\n" });
    const cmd = await send(id, PRE);
    h.clock.advance(2_000);

    const out = await h.ssm().send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: id }));

    expect([out.Status, out.StatusDetails, out.ResponseCode]).toEqual(["Failed", "Failed", 1]);
    expect(out.StandardErrorContent).toContain("Device or resource busy");
    expect(log(id)).toEqual([]);
  });

  it("hangs: InProgress until the executionTimeout parameter expires, then TimedOut / ExecutionTimedOut", async () => {
    const id = await launch(h);
    h.emulator.ssmAgent(id, { mode: "hangs" });
    const cmd = await send(id, ["sleep infinity"], {
      Parameters: { commands: ["sleep infinity"], executionTimeout: ["120"] },
    });

    h.clock.advance(119_000);
    const running = await status(cmd, id);
    h.clock.advance(1_000);

    expect(running[0]).toBe("InProgress");
    expect(await status(cmd, id)).toEqual(["TimedOut", "ExecutionTimedOut", -1]);
  });

  it("hangs with the default execution timeout of 3600 s", async () => {
    const id = await launch(h);
    h.emulator.ssmAgent(id, { mode: "hangs" });
    const cmd = await send(id, ["true"]);

    h.clock.advance(3_599_000);
    const running = await status(cmd, id);
    h.clock.advance(1_000);

    expect(running[0]).toBe("InProgress");
    expect((await status(cmd, id))[1]).toBe("ExecutionTimedOut");
  });

  it("offline: ConnectionLost; the command stays Pending and ends TimedOut / DeliveryTimedOut after TimeoutSeconds", async () => {
    const id = await launch(h);
    h.emulator.ssmAgent(id, { mode: "offline" });
    const cmd = await send(id, PRE, { TimeoutSeconds: 30 });

    const info = await h.ssm().send(new DescribeInstanceInformationCommand({}));
    h.clock.advance(29_000);
    const pending = await status(cmd, id);
    h.clock.advance(1_000);

    expect(info.InstanceInformationList?.[0]?.PingStatus).toBe("ConnectionLost");
    expect(pending).toEqual(["Pending", "Pending", -1]);
    expect(await status(cmd, id)).toEqual(["TimedOut", "DeliveryTimedOut", -1]);
    expect(h.emulator.ssmInvocations(id)).toEqual([expect.objectContaining({ started: false })]);
    expect(log(id)).toEqual([]);
  });

  it("takes its default from ssmAgentDefault and from EmulatorOptions.ssmAgents", async () => {
    h.emulator.ssmAgentDefault({ mode: "fails" });
    const a = await launch(h);
    const cmdA = await send(a, ["true"]);
    h.clock.advance(2_000);
    const first = await status(cmdA, a);
    await h.emulator.stop();
    h = await startSsmHarness({ ssmAgents: { default: { mode: "offline" } } });
    const b = await launch(h);
    const cmdB = await send(b, ["true"], { TimeoutSeconds: 30 });
    h.clock.advance(30_000);

    expect(first[0]).toBe("Failed");
    expect((await status(cmdB, b))[1]).toBe("DeliveryTimedOut");
  });

  it("moves with the emulator's clock, not with wall time", async () => {
    const id = await launch(h);
    h.emulator.ssmAgent(id, { mode: "slow", delaySeconds: 1 });
    const cmd = await send(id, ["true"]);
    h.clock.advance(600);

    await new Promise((resolve) => setTimeout(resolve, 1_100));

    expect((await status(cmd, id))[0]).toBe("InProgress");
  });
});

describe("the file-system freeze model", () => {
  it("runs only the case branch its substituted word selects (one document for pre and post, as DLM calls it)", async () => {
    const id = await launch(h);
    const script = (command: string) => [
      `case "${command}" in`,
      "  pre-script)",
      '    nohup sh -c "sleep 10; fsfreeze --unfreeze /data" >/dev/null 2>&1 &',
      "    fsfreeze --freeze /data || exit 1",
      "    ;;",
      "  post-script|thaw)",
      "    fsfreeze --unfreeze /data",
      "    ;;",
      "  *) echo nothing ;;",
      "esac",
    ];
    await send(id, script("dry-run"));
    h.clock.advance(2_000);
    await send(id, script("pre-script"));
    h.clock.advance(3_000);
    await send(id, script("post-script"));
    h.clock.advance(60_000);

    expect(log(id)).toEqual([
      ["freeze", "command", 3],
      ["thaw", "command", 6],
    ]);
  });

  it("takes an instance's mode from its emulator:ssm-agent tag when none was set", async () => {
    const id = await launch(h, { "emulator:ssm-agent": "offline" });
    const info = await h.ssm().send(new DescribeInstanceInformationCommand({}));
    expect(info.InstanceInformationList?.find((i) => i.InstanceId === id)?.PingStatus).toBe("ConnectionLost");
  });

  it("the watchdog thaws a freeze whose thaw never arrives, N seconds after the freeze", async () => {
    const id = await launch(h);
    await send(id, PRE);

    h.clock.advance(5_000);
    const during = log(id);
    h.clock.advance(60_000);

    expect(during).toEqual([["freeze", "command", 1]]);
    expect(log(id)).toEqual([
      ["freeze", "command", 1],
      ["thaw", "watchdog", 11],
    ]);
  });

  it("a thaw before the watchdog ends the freeze at the thaw; the watchdog then changes nothing", async () => {
    const id = await launch(h);
    await send(id, PRE);
    h.clock.advance(3_000);

    await send(id, POST);
    h.clock.advance(60_000);

    expect(log(id)).toEqual([
      ["freeze", "command", 1],
      ["thaw", "command", 4],
    ]);
  });

  it("recognises the nohup form of the watchdog", async () => {
    const id = await launch(h);

    await send(id, [
      "nohup sh -c 'sleep 7; fsfreeze --unfreeze /data' > /dev/null 2>&1 &",
      "fsfreeze --freeze /data",
    ]);
    h.clock.advance(60_000);

    expect(log(id)).toEqual([
      ["freeze", "command", 1],
      ["thaw", "watchdog", 8],
    ]);
  });

  it("a watchdog that is not in the background is not a watchdog: the foreground sleep and unfreeze thaw at once", async () => {
    const id = await launch(h);

    await send(id, ["fsfreeze -f /data", "(sleep 10; fsfreeze -u /data)"]);
    h.clock.advance(60_000);

    expect(log(id)).toEqual([
      ["freeze", "command", 1],
      ["thaw", "command", 1],
    ]);
  });

  it("a pre script that hangs has frozen: only the watchdog thaws", async () => {
    const id = await launch(h);
    h.emulator.ssmAgent(id, { mode: "hangs" });

    await send(id, PRE);
    h.clock.advance(60_000);

    expect(log(id)).toEqual([
      ["freeze", "command", 0],
      ["thaw", "watchdog", 10],
    ]);
  });

  it("records which commands each agent received, with their parameters, so a test can see the post step never ran", async () => {
    const id = await launch(h);
    h.emulator.ssmAgent(id, { mode: "fails" });
    const pre = await send(id, PRE);
    h.clock.advance(2_000);

    const received = h.emulator.ssmInvocations(id);

    expect(received).toEqual([
      expect.objectContaining({
        commandId: pre,
        documentName: "AWS-RunShellScript",
        parameters: { commands: PRE },
        started: true,
        status: "Failed",
      }),
    ]);
  });

  it("AWSEC2-ManageVssIO: Freeze on Windows freezes; VSS thaws by itself after 10 s when no Thaw comes", async () => {
    const { ImageId } = await h
      .ec2()
      .send(new RegisterImageCommand({ Name: "Windows_Server-2022-English-Full-Base" }));
    const win = await launch(h, {}, ImageId);
    const vss = (action: string) =>
      h.ssm().send(
        new SendCommandCommand({
          DocumentName: "AWSEC2-ManageVssIO",
          InstanceIds: [win],
          Parameters: { Action: [action] },
        }),
      );

    await vss("Freeze");
    h.clock.advance(30_000);
    await vss("Freeze");
    h.clock.advance(3_000);
    await vss("Thaw");
    h.clock.advance(30_000);

    expect(log(win)).toEqual([
      ["freeze", "command", 1],
      ["thaw", "vss-timeout", 11],
      ["freeze", "command", 31],
      ["thaw", "command", 34],
    ]);
  });
});
