import { DescribeInstancesCommand, RegisterImageCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import {
  CreateDocumentCommand,
  DeleteDocumentCommand,
  DescribeDocumentCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type SendCommandCommandInput,
} from "@aws-sdk/client-ssm";
import { failure } from "./harness";
import { launch, SSM_API, type SsmHarness, startSsmHarness } from "./ssm-harness";

let h: SsmHarness;
afterEach(() => h.emulator.stop());

const shell = (instanceId: string, commands: string[], extra: Partial<SendCommandCommandInput> = {}) =>
  h.ssm().send(
    new SendCommandCommand({
      DocumentName: "AWS-RunShellScript",
      InstanceIds: [instanceId],
      Parameters: { commands },
      ...extra,
    }),
  );

describe(`SendCommand (${SSM_API}/API_SendCommand.html)`, () => {
  beforeEach(async () => {
    h = await startSsmHarness();
  });

  it("accepts AWS-RunShellScript for a running instance and answers the Command, Pending", async () => {
    const id = await launch(h);

    const out = await shell(id, ["echo hello"], { Comment: "pre", TimeoutSeconds: 30 });

    expect(out.Command).toMatchObject({
      DocumentName: "AWS-RunShellScript",
      InstanceIds: [id],
      Parameters: { commands: ["echo hello"] },
      Comment: "pre",
      TimeoutSeconds: 30,
      Status: "Pending",
      TargetCount: 1,
      RequestedDateTime: new Date(Date.UTC(2026, 0, 1)),
    });
    expect(out.Command?.CommandId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reaches instances by Targets (tag:<key>)", async () => {
    const a = await launch(h, { Role: "db" });
    await launch(h, { Role: "web" });

    const out = await h.ssm().send(
      new SendCommandCommand({
        DocumentName: "AWS-RunShellScript",
        Targets: [{ Key: "tag:Role", Values: ["db"] }],
        Parameters: { commands: ["true"] },
      }),
    );

    expect(out.Command?.InstanceIds).toEqual([a]);
  });

  it("refuses a document that does not exist with InvalidDocument, and a bad version with InvalidDocumentVersion", async () => {
    const id = await launch(h);

    const missing = await failure(
      h.ssm().send(new SendCommandCommand({ DocumentName: "NoSuchDoc", InstanceIds: [id] })),
    );
    const version = await failure(shell(id, ["true"], { DocumentVersion: "7" }));

    expect(missing).toMatchObject({ name: "InvalidDocument", status: 400 });
    expect(missing.message).toContain("NoSuchDoc");
    expect(version).toMatchObject({ name: "InvalidDocumentVersion" });
  });

  it("refuses with InvalidInstanceId an unknown, a stopped and an unmanaged instance", async () => {
    const stopped = await launch(h);
    await h.ec2().send(new StopInstancesCommand({ InstanceIds: [stopped] }));
    const unmanaged = await launch(h);
    h.emulator.ssmAgent(unmanaged, { mode: "unmanaged" });

    const errors = await Promise.all(
      ["i-0123456789abcdef0", stopped, unmanaged].map((id) => failure(shell(id, ["true"]))),
    );

    expect(errors.map((e) => e.name)).toEqual([
      "InvalidInstanceId",
      "InvalidInstanceId",
      "InvalidInstanceId",
    ]);
    expect(errors[1]?.message).toContain("stopped");
    expect(errors[2]?.message).toContain("not a managed instance");
  });

  it("refuses parameters the document does not define, a missing required one and a value not allowed (InvalidParameters)", async () => {
    const id = await launch(h);
    const { ImageId } = await h
      .ec2()
      .send(new RegisterImageCommand({ Name: "Windows_Server-2022-English-Full-Base" }));
    const win = await launch(h, {}, ImageId);

    const unknown = await failure(
      shell(id, ["true"], { Parameters: { commands: ["true"], shell: ["zsh"] } }),
    );
    const required = await failure(shell(id, [], { Parameters: {} }));
    const notAllowed = await failure(
      h.ssm().send(
        new SendCommandCommand({
          DocumentName: "AWSEC2-ManageVssIO",
          InstanceIds: [win],
          Parameters: { Action: ["Pause"] },
        }),
      ),
    );

    expect(unknown).toMatchObject({ name: "InvalidParameters" });
    expect(unknown.message).toContain("shell");
    expect(required).toMatchObject({ name: "InvalidParameters" });
    expect(required.message).toContain("commands");
    expect(notAllowed).toMatchObject({ name: "InvalidParameters" });
    expect(notAllowed.message).toContain("Freeze, Thaw");
  });

  it("refuses a Linux document for a Windows instance with UnsupportedPlatformType", async () => {
    const { ImageId } = await h
      .ec2()
      .send(new RegisterImageCommand({ Name: "Windows_Server-2022-English-Full-Base" }));
    const win = await launch(h, {}, ImageId);

    const error = await failure(shell(win, ["fsfreeze -f /"]));
    const described = await h.ec2().send(new DescribeInstancesCommand({ InstanceIds: [win] }));

    expect(error).toMatchObject({ name: "UnsupportedPlatformType" });
    expect(described.Reservations?.[0]?.Instances?.[0]).toMatchObject({
      Platform: "windows",
      PlatformDetails: "Windows",
    });
  });

  it("refuses the same instance twice (DuplicateInstanceId) and a TimeoutSeconds under 30 (ValidationException)", async () => {
    const id = await launch(h);

    const duplicate = await failure(
      h.ssm().send(
        new SendCommandCommand({
          DocumentName: "AWS-RunShellScript",
          InstanceIds: [id, id],
          Parameters: { commands: ["true"] },
        }),
      ),
    );
    const timeout = await failure(shell(id, ["true"], { TimeoutSeconds: 10 }));

    expect(duplicate).toMatchObject({ name: "DuplicateInstanceId" });
    expect(timeout).toMatchObject({ name: "ValidationException", status: 400 });
    expect(timeout.message).toContain("timeoutSeconds");
  });
});

describe(`GetCommandInvocation (${SSM_API}/API_GetCommandInvocation.html)`, () => {
  beforeEach(async () => {
    h = await startSsmHarness();
  });

  it("answers InvocationDoesNotExist right after SendCommand, then InProgress, then Success with the output", async () => {
    const id = await launch(h);
    h.emulator.ssmAgent(id, { mode: "slow", delaySeconds: 20 });
    const { Command } = await shell(id, ["echo 'flushed'", "sync"]);
    const get = () =>
      h.ssm().send(new GetCommandInvocationCommand({ CommandId: Command?.CommandId, InstanceId: id }));

    const early = await failure(get());
    h.clock.advance(1_000);
    const running = await get();
    h.clock.advance(20_000);
    const done = await get();

    expect(early).toMatchObject({ name: "InvocationDoesNotExist", status: 400 });
    expect(running).toMatchObject({ Status: "InProgress", StatusDetails: "InProgress", ResponseCode: -1 });
    expect(done).toMatchObject({
      Status: "Success",
      StatusDetails: "Success",
      ResponseCode: 0,
      PluginName: "runShellScript",
      StandardOutputContent: "flushed\n",
      ExecutionStartDateTime: "2026-01-01T00:00:00.000Z",
      ExecutionEndDateTime: "2026-01-01T00:00:20.000Z",
      ExecutionElapsedTime: "PT20S",
    });
  });

  it("refuses an unknown command (InvalidCommandId), an instance not in it (InvocationDoesNotExist) and a wrong PluginName", async () => {
    const id = await launch(h);
    const other = await launch(h);
    const { Command } = await shell(id, ["true"]);
    h.clock.advance(1_000);

    const unknown = await failure(
      h.ssm().send(
        new GetCommandInvocationCommand({
          CommandId: "00000000-0000-0000-0000-000000000000",
          InstanceId: id,
        }),
      ),
    );
    const notIn = await failure(
      h.ssm().send(new GetCommandInvocationCommand({ CommandId: Command?.CommandId, InstanceId: other })),
    );
    const plugin = await failure(
      h.ssm().send(
        new GetCommandInvocationCommand({
          CommandId: Command?.CommandId,
          InstanceId: id,
          PluginName: "aws:runShellScript",
        }),
      ),
    );

    expect(unknown).toMatchObject({ name: "InvalidCommandId" });
    expect(notIn).toMatchObject({ name: "InvocationDoesNotExist" });
    expect(plugin).toMatchObject({ name: "InvalidPluginName" });
    expect(plugin.message).toContain("runShellScript");
  });
});

describe(`ListCommandInvocations and ListCommands (${SSM_API}/API_ListCommandInvocations.html, API_ListCommands.html)`, () => {
  beforeEach(async () => {
    h = await startSsmHarness();
  });

  it("lists a command's invocations, with CommandPlugins when Details is set", async () => {
    const a = await launch(h);
    const b = await launch(h);
    h.emulator.ssmAgent(b, { mode: "fails" });
    const { Command } = await h.ssm().send(
      new SendCommandCommand({
        DocumentName: "AWS-RunShellScript",
        InstanceIds: [a, b],
        Parameters: { commands: ["true"] },
      }),
    );
    h.clock.advance(5_000);

    const plain = await h.ssm().send(new ListCommandInvocationsCommand({ CommandId: Command?.CommandId }));
    const detailed = await h
      .ssm()
      .send(
        new ListCommandInvocationsCommand({ CommandId: Command?.CommandId, InstanceId: b, Details: true }),
      );
    const failedOnly = await h.ssm().send(
      new ListCommandInvocationsCommand({
        CommandId: Command?.CommandId,
        Filters: [{ key: "Status", value: "Failed" }],
      }),
    );
    const commands = await h.ssm().send(new ListCommandsCommand({ CommandId: Command?.CommandId }));

    expect(plain.CommandInvocations?.map((i) => [i.InstanceId, i.Status, i.CommandPlugins])).toEqual([
      [a, "Success", []],
      [b, "Failed", []],
    ]);
    expect(detailed.CommandInvocations?.[0]?.CommandPlugins).toEqual([
      expect.objectContaining({ Name: "runShellScript", Status: "Failed", ResponseCode: 1 }),
    ]);
    expect(failedOnly.CommandInvocations?.map((i) => i.InstanceId)).toEqual([b]);
    expect(commands.Commands?.[0]).toMatchObject({
      Status: "Failed",
      TargetCount: 2,
      CompletedCount: 2,
      ErrorCount: 1,
    });
  });

  it("pages with MaxResults and NextToken, and refuses a token it did not issue (InvalidNextToken)", async () => {
    const id = await launch(h);
    for (let n = 0; n < 3; n++) {
      await shell(id, [`echo ${n}`]);
      h.clock.advance(1_000);
    }

    const first = await h.ssm().send(new ListCommandInvocationsCommand({ InstanceId: id, MaxResults: 2 }));
    const second = await h
      .ssm()
      .send(new ListCommandInvocationsCommand({ InstanceId: id, MaxResults: 2, NextToken: first.NextToken }));
    const bad = await failure(h.ssm().send(new ListCommandInvocationsCommand({ NextToken: "bm9wZQ==" })));

    expect(first.CommandInvocations).toHaveLength(2);
    expect(second.CommandInvocations).toHaveLength(1);
    expect(second.NextToken).toBeUndefined();
    expect(bad).toMatchObject({ name: "InvalidNextToken" });
  });
});

describe(`DescribeInstanceInformation (${SSM_API}/API_DescribeInstanceInformation.html)`, () => {
  it("lists managed instances: Online, ConnectionLost when the agent is offline, Windows by image, unmanaged left out", async () => {
    h = await startSsmHarness({ windowsImageIds: ["ami-0000000000000000a"] });
    const linux = await launch(h);
    const offline = await launch(h);
    const windows = await launch(h, {}, "ami-0000000000000000a");
    const unmanaged = await launch(h);
    h.emulator.ssmAgent(offline, { mode: "offline" });
    h.emulator.ssmAgent(unmanaged, { mode: "unmanaged" });
    h.clock.advance(60_000);

    const out = await h.ssm().send(new DescribeInstanceInformationCommand({}));

    const rows = Object.fromEntries(
      (out.InstanceInformationList ?? []).map((i) => [
        i.InstanceId,
        [i.PingStatus, i.PlatformType, i.LastPingDateTime],
      ]),
    );
    expect(rows).toEqual({
      [linux]: ["Online", "Linux", new Date(Date.UTC(2026, 0, 1, 0, 1))],
      [offline]: ["ConnectionLost", "Linux", new Date(Date.UTC(2026, 0, 1))],
      [windows]: ["Online", "Windows", new Date(Date.UTC(2026, 0, 1, 0, 1))],
    });
    expect(out.InstanceInformationList?.[0]).toMatchObject({
      ResourceType: "EC2Instance",
      AgentVersion: expect.any(String),
    });
  });

  it("filters by PingStatus and InstanceIds (both filter forms), pages, and refuses an unknown filter key", async () => {
    h = await startSsmHarness();
    const ids = [];
    for (let n = 0; n < 6; n++) ids.push(await launch(h));
    h.emulator.ssmAgent(ids[0] as string, { mode: "offline" });

    const lost = await h.ssm().send(
      new DescribeInstanceInformationCommand({
        Filters: [{ Key: "PingStatus", Values: ["ConnectionLost"] }],
      }),
    );
    const legacy = await h.ssm().send(
      new DescribeInstanceInformationCommand({
        InstanceInformationFilterList: [
          { key: "InstanceIds", valueSet: [ids[1] as string, ids[2] as string] },
        ],
      }),
    );
    const page1 = await h.ssm().send(new DescribeInstanceInformationCommand({ MaxResults: 5 }));
    const page2 = await h
      .ssm()
      .send(new DescribeInstanceInformationCommand({ MaxResults: 5, NextToken: page1.NextToken }));
    const badKey = await failure(
      h.ssm().send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "Colour", Values: ["x"] }] })),
    );
    const badValue = await failure(
      h
        .ssm()
        .send(
          new DescribeInstanceInformationCommand({ Filters: [{ Key: "PingStatus", Values: ["Asleep"] }] }),
        ),
    );

    expect(lost.InstanceInformationList?.map((i) => i.InstanceId)).toEqual([ids[0]]);
    expect(legacy.InstanceInformationList?.map((i) => i.InstanceId)).toEqual([ids[1], ids[2]]);
    expect([page1.InstanceInformationList?.length, page2.InstanceInformationList?.length]).toEqual([5, 1]);
    expect(badKey).toMatchObject({ name: "InvalidFilterKey" });
    expect(badValue).toMatchObject({ name: "InvalidInstanceInformationFilterValue" });
  });
});

describe(`Command documents (${SSM_API}/API_CreateDocument.html, API_DescribeDocument.html, API_DeleteDocument.html)`, () => {
  beforeEach(async () => {
    h = await startSsmHarness();
  });

  const content = JSON.stringify({
    schemaVersion: "2.2",
    description: "Freeze a mount point",
    parameters: {
      mount: { type: "String", default: "/data", allowedValues: ["/data", "/logs"] },
      seconds: { type: "String", default: "10" },
    },
    mainSteps: [
      {
        action: "aws:runShellScript",
        name: "freeze",
        inputs: {
          runCommand: [
            "echo freezing {{ mount }}",
            "fsfreeze -f {{mount}}",
            "(sleep {{ seconds }}; fsfreeze -u {{ mount }}) &",
          ],
        },
      },
    ],
  });

  it("creates a Command document, describes it, runs it with {{ name }} substitution and defaults, deletes it", async () => {
    const id = await launch(h);

    const created = await h.ssm().send(
      new CreateDocumentCommand({
        Name: "Snapfleet-Freeze",
        Content: content,
        DocumentType: "Command",
        Tags: [{ Key: "App", Value: "snapfleet" }],
      }),
    );
    const described = await h.ssm().send(new DescribeDocumentCommand({ Name: "Snapfleet-Freeze" }));
    const { Command } = await h.ssm().send(
      new SendCommandCommand({
        DocumentName: "Snapfleet-Freeze",
        InstanceIds: [id],
        Parameters: { seconds: ["5"] },
      }),
    );
    h.clock.advance(10_000);
    const out = await h
      .ssm()
      .send(new GetCommandInvocationCommand({ CommandId: Command?.CommandId, InstanceId: id }));
    await h.ssm().send(new DeleteDocumentCommand({ Name: "Snapfleet-Freeze" }));
    const gone = await failure(h.ssm().send(new DescribeDocumentCommand({ Name: "Snapfleet-Freeze" })));

    expect(created.DocumentDescription).toMatchObject({
      Name: "Snapfleet-Freeze",
      Status: "Active",
      DocumentType: "Command",
      SchemaVersion: "2.2",
    });
    expect(described.Document?.Parameters).toEqual([
      expect.objectContaining({ Name: "mount", Type: "String", DefaultValue: "/data" }),
      expect.objectContaining({ Name: "seconds", Type: "String", DefaultValue: "10" }),
    ]);
    expect(described.Document?.PlatformTypes).toEqual(["Linux", "MacOS"]);
    expect(out).toMatchObject({
      Status: "Success",
      PluginName: "freeze",
      StandardOutputContent: "freezing /data\n",
    });
    expect(
      h.emulator.ssmAgentLog(id).map((e) => [e.event, e.by, e.at.getTime() - Date.UTC(2026, 0, 1)]),
    ).toEqual([
      ["freeze", "command", 1_000],
      ["thaw", "watchdog", 6_000],
    ]);
    expect(gone).toMatchObject({ name: "InvalidDocument" });
  });

  it("refuses a duplicate name, bad content, an old schema, and deleting an AWS-owned document", async () => {
    await h.ssm().send(new CreateDocumentCommand({ Name: "Mine", Content: content }));

    const duplicate = await failure(
      h.ssm().send(new CreateDocumentCommand({ Name: "Mine", Content: content })),
    );
    const broken = await failure(
      h.ssm().send(new CreateDocumentCommand({ Name: "Broken", Content: "{not json" })),
    );
    const oldSchema = await failure(
      h.ssm().send(
        new CreateDocumentCommand({
          Name: "Old",
          Content: JSON.stringify({ schemaVersion: "1.2", runtimeConfig: {} }),
        }),
      ),
    );
    const owned = await failure(h.ssm().send(new DeleteDocumentCommand({ Name: "AWS-RunShellScript" })));

    expect(duplicate).toMatchObject({ name: "DocumentAlreadyExists" });
    expect(broken).toMatchObject({ name: "InvalidDocumentContent" });
    expect(oldSchema).toMatchObject({ name: "InvalidDocumentSchemaVersion" });
    expect(owned).toMatchObject({ name: "InvalidDocumentOperation" });
  });

  it("has the AWS-owned documents in every region, owned by Amazon", async () => {
    const names = ["AWS-RunShellScript", "AWS-RunPowerShellScript", "AWSEC2-ManageVssIO"];

    const docs = await Promise.all(
      names.map((Name) => h.ssm("eu-west-1").send(new DescribeDocumentCommand({ Name }))),
    );

    expect(docs.map((d) => [d.Document?.Name, d.Document?.Owner])).toEqual(names.map((n) => [n, "Amazon"]));
    expect(docs[2]?.Document?.PlatformTypes).toEqual(["Windows"]);
  });
});
