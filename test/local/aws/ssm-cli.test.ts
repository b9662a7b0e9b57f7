import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { RunInstancesCommand } from "@aws-sdk/client-ec2";
import { launch, SSM_API, type SsmHarness, startSsmHarness } from "./ssm-harness";

const AWS_CLI = "/usr/bin/aws";
const run = promisify(execFile);
const cliPresent = existsSync(AWS_CLI);
if (!cliPresent)
  console.warn(
    `Skipping the AWS CLI tests of SSM and CreateSnapshots: ${AWS_CLI} is not installed (apt-get install awscli).`,
  );
const itWithCli = cliPresent ? it : it.skip;

let h: SsmHarness;
beforeEach(async () => {
  h = await startSsmHarness();
});
afterEach(() => h.emulator.stop());

/** Runs the CLI asynchronously: the emulator serves it from this very process. */
async function aws(...args: string[]): Promise<unknown> {
  const { stdout } = await run(
    AWS_CLI,
    ["--endpoint-url", h.emulator.endpoint, "--region", "us-east-1", "--output", "json", ...args],
    {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_PAGER: "",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    },
  );
  return JSON.parse(stdout);
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
