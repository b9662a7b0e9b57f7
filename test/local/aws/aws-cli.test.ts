import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { CreateSnapshotCommand, CreateVolumeCommand } from "@aws-sdk/client-ec2";
import { type Harness, startHarness } from "./harness";

const AWS_CLI = "/usr/bin/aws";
const run = promisify(execFile);
const cliPresent = existsSync(AWS_CLI);
if (!cliPresent)
  console.warn(`Skipping AWS CLI tests: ${AWS_CLI} is not installed (apt-get install awscli).`);
const itWithCli = cliPresent ? it : it.skip;

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.emulator.stop());

/** Runs the CLI asynchronously: the emulator serves it from this very process. */
async function aws(...args: string[]): Promise<string> {
  const { stdout } = await run(
    AWS_CLI,
    ["--endpoint-url", h.emulator.endpoint, "--output", "json", ...args],
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
  return stdout;
}

describe("the AWS CLI with --endpoint-url", () => {
  itWithCli(
    "reads the emulator's snapshots with `aws ec2 describe-snapshots --region us-east-1`",
    async () => {
      const ec2 = h.ec2();
      const { VolumeId } = await ec2.send(
        new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 4 }),
      );
      const { SnapshotId } = await ec2.send(
        new CreateSnapshotCommand({ VolumeId, Description: "from the SDK" }),
      );

      const out = JSON.parse(await aws("ec2", "describe-snapshots", "--region", "us-east-1")) as {
        Snapshots: { SnapshotId: string; State: string; VolumeSize: number; Description: string }[];
      };

      expect(out.Snapshots).toEqual([
        expect.objectContaining({ SnapshotId, State: "pending", VolumeSize: 4, Description: "from the SDK" }),
      ]);
    },
  );

  itWithCli("sends `aws cloudwatch put-metric-data` (awsQuery in the CLI) into the emulator", async () => {
    await aws(
      "cloudwatch",
      "put-metric-data",
      "--region",
      "us-west-2",
      "--namespace",
      "Snapfleet",
      "--metric-name",
      "Runs",
      "--dimensions",
      "Fleet=demo",
      "--value",
      "3",
    );

    expect(h.emulator.metrics()).toEqual([
      expect.objectContaining({
        region: "us-west-2",
        namespace: "Snapfleet",
        metricName: "Runs",
        dimensions: { Fleet: "demo" },
        value: 3,
      }),
    ]);
  });
});
