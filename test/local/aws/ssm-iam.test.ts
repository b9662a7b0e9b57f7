import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
} from "@aws-sdk/client-ssm";
import type { PolicyStatement } from "../../../local/aws/iam";
import { failure } from "./harness";
import { launch, type SsmHarness, startSsmHarness } from "./ssm-harness";

/**
 * ssm:SendCommand is authorized against the document and every instance, the instance with its
 * tags as ssm:resourceTag/<key> and aws:ResourceTag/<key>.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
 */
const SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html";
const backup = { accessKeyId: "backup", secretAccessKey: "x" };

const policy: PolicyStatement[] = [
  {
    Effect: "Allow",
    Action: "ssm:SendCommand",
    Resource: ["arn:aws:ssm:*::document/AWS-RunShellScript", "arn:aws:ssm:*:*:document/Snapfleet-*"],
  },
  {
    Effect: "Allow",
    Action: "ssm:SendCommand",
    Resource: "arn:aws:ec2:*:*:instance/*",
    Condition: { StringEqualsIgnoreCase: { "ssm:resourceTag/Backup": "true" } },
  },
  {
    Effect: "Allow",
    Action: ["ssm:GetCommandInvocation", "ssm:DescribeInstanceInformation"],
    Resource: "*",
  },
];

let h: SsmHarness;
beforeEach(async () => {
  h = await startSsmHarness({ iam: { principals: { backup: policy } } });
});
afterEach(() => h.emulator.stop());

const send = (instanceId: string, documentName = "AWS-RunShellScript") =>
  h.ssm("us-east-1", backup).send(
    new SendCommandCommand({
      DocumentName: documentName,
      InstanceIds: [instanceId],
      Parameters: { commands: ["true"] },
    }),
  );

describe(`IAM for Systems Manager (${SAR})`, () => {
  it("allows SendCommand of an allowed AWS-owned document (ARN without account) on an instance carrying the tag", async () => {
    const id = await launch(h, { Backup: "true" });

    const out = await send(id);
    h.clock.advance(2_000);
    const inv = await h
      .ssm("us-east-1", backup)
      .send(new GetCommandInvocationCommand({ CommandId: out.Command?.CommandId, InstanceId: id }));

    expect(inv.Status).toBe("Success");
  });

  it("refuses SendCommand on an instance without the tag with AccessDeniedException naming the instance ARN", async () => {
    const id = await launch(h, { Backup: "false" });

    const error = await failure(send(id));

    expect(error).toMatchObject({ name: "AccessDeniedException", status: 400 });
    expect(error.message).toContain(`arn:aws:ec2:us-east-1:000000000000:instance/${id}`);
    expect(error.message).toContain("ssm:SendCommand");
    expect(h.emulator.ssmInvocations()).toEqual([]);
  });

  it("refuses SendCommand of a document the policy does not name", async () => {
    const id = await launch(h, { Backup: "true" });

    const error = await failure(send(id, "AWS-RunPowerShellScript"));

    expect(error).toMatchObject({ name: "AccessDeniedException" });
    expect(error.message).toContain("arn:aws:ssm:us-east-1::document/AWS-RunPowerShellScript");
  });

  it("authorizes DescribeInstanceInformation on * and refuses it to a principal without it", async () => {
    h.emulator.setIam({ principals: { backup: policy, none: [] } });

    const ok = await h.ssm("us-east-1", backup).send(new DescribeInstanceInformationCommand({}));
    const error = await failure(
      h
        .ssm("us-east-1", { accessKeyId: "none", secretAccessKey: "x" })
        .send(new DescribeInstanceInformationCommand({})),
    );

    expect(ok.InstanceInformationList).toEqual([]);
    expect(error).toMatchObject({ name: "AccessDeniedException" });
    expect(error.message).toContain("on resource: *");
  });
});
