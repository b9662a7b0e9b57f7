import { RunInstancesCommand } from "@aws-sdk/client-ec2";
import { awsCli, itWithCli as cliHelper } from "../../helpers/aws-cli";
import { launch, SSM_API, type SsmHarness, startSsmHarness } from "./ssm-harness";

const itWithCli = cliHelper("SSM and CreateSnapshots");

let h: SsmHarness;
beforeEach(async () => {
  h = await startSsmHarness();
});
afterEach(() => h.emulator.stop());

/** The AWS CLI against the emulator, in us-east-1, its JSON output parsed. */
async function aws(...args: string[]): Promise<unknown> {
  return JSON.parse(await awsCli(h.emulator.endpoint, ["--region", "us-east-1", ...args]));
}

describe("the AWS CLI with --endpoint-url", () => {
  itWithCli(
    `runs \`aws ssm send-command\` and reads it back with get-command-invocation (${SSM_API}/API_SendCommand.html)`,
    async () => {
      const id = await launch(h);

      const sent = (await aws(
        "ssm",
        "send-command",
        "--document-name",
        "AWS-RunShellScript",
        "--instance-ids",
        id,
        "--parameters",
        "commands=['echo ready']",
      )) as { Command: { CommandId: string; Status: string } };
      h.clock.advance(2_000);
      const inv = (await aws(
        "ssm",
        "get-command-invocation",
        "--command-id",
        sent.Command.CommandId,
        "--instance-id",
        id,
      )) as { Status: string; StandardOutputContent: string };

      expect(sent.Command.Status).toBe("Pending");
      expect(inv).toMatchObject({ Status: "Success", StandardOutputContent: "ready\n" });
    },
  );

  itWithCli(
    "runs `aws ec2 create-snapshots --instance-specification InstanceId=...` (API_CreateSnapshots.html)",
    async () => {
      const out = await h.ec2().send(
        new RunInstancesCommand({
          ImageId: "ami-12345678",
          MinCount: 1,
          MaxCount: 1,
          BlockDeviceMappings: [
            { DeviceName: "/dev/xvda", Ebs: { VolumeSize: 8 } },
            { DeviceName: "/dev/sdf", Ebs: { VolumeSize: 10 } },
          ],
        }),
      );
      const id = out.Instances?.[0]?.InstanceId ?? "";

      const result = (await aws(
        "ec2",
        "create-snapshots",
        "--instance-specification",
        `InstanceId=${id},ExcludeBootVolume=true`,
        "--description",
        "cli set",
      )) as { Snapshots: { VolumeSize: number; State: string; Description: string }[] };

      expect(result.Snapshots).toEqual([
        expect.objectContaining({ VolumeSize: 10, State: "pending", Description: "cli set" }),
      ]);
    },
  );
});
