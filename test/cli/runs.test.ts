import { S3Client } from "@aws-sdk/client-s3";
import { CreateStateMachineCommand, SFNClient } from "@aws-sdk/client-sfn";
import type { CliContext } from "../../cli/context";
import { EXIT } from "../../cli/errors";
import { run } from "../../cli/program";
import { localConfig } from "../../local/cycle";
import { applyStack } from "../../local/stack-on-emulator";
import { launchInstance, startTestAws, type TestAws } from "../helpers/aws";

/**
 * `snapfleet run --wait`, `runs` and `status` against the embedded AWS with the stack applied: the
 * real backup state machine, started and followed over the Step Functions API.
 */
let aws: TestAws;
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

async function snapfleet(args: string[]) {
  let stdout = "";
  let stderr = "";
  const context: CliContext = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { AWS_REGION: "us-east-1" },
    deps: () => {
      throw new Error("these commands use Step Functions and S3 only");
    },
    runsAws: (region) => ({
      sfn: new SFNClient({ endpoint: aws.emulator.endpoint, region, credentials }),
      s3: new S3Client({ endpoint: aws.emulator.endpoint, region, credentials, forcePathStyle: true }),
    }),
    sleep: () => new Promise((resolve) => setTimeout(resolve, 20)),
  };
  const code = await run(args, context);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  aws = await startTestAws(Date.UTC(2026, 0, 1, 3));
  await applyStack(aws.emulator, localConfig({ topicArn: aws.topicArn, endpoint: aws.emulator.endpoint }), {
    iam: true,
    stateMachines: true,
  });
  // Two selected servers, three drives; one server not selected.
  await launchInstance(aws, { tags: { Name: "web", Backup: "true" } });
  await launchInstance(aws, {
    tags: { Name: "db", Backup: "true" },
    volumes: [{ device: "/dev/xvdf", size: 8 }],
  });
  await launchInstance(aws, { tags: { Name: "scratch" } });
}, 120_000);

afterAll(() => aws.stop());

describe("snapfleet run --wait", () => {
  it("starts the backup machine, follows it and prints every drive's record; exit 0", async () => {
    const { code, stdout, stderr } = await snapfleet(["run", "--wait", "--name", "first"]);

    expect(code).toBe(0);
    expect(stderr).toContain(
      "started arn:aws:states:us-east-1:000000000000:execution:snapfleet-dev-backup:first",
    );
    // The final progress line: both servers and all three drives done.
    expect(stdout).toContain(
      "SUCCEEDED · servers 2/2 (0 failed, 0 in flight) · drives 3/3 (0 failed, 0 in flight)",
    );
    const rows = stdout.split("\n").filter((line) => /^i-/.test(line));
    expect(rows).toHaveLength(3);
    expect(stdout).toMatch(/^INSTANCE\s+HOST\s+DEVICE\s+VOLUME/m);
    expect(stdout).toContain("snapfleet us-east-1: OK, 3/3 drives backed up");
  });

  it("--json: one document with the execution, Summarize's figures and the drive records", async () => {
    const { code, stdout } = await snapfleet(["run", "--wait", "--json", "--name", "second"]);

    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(Object.keys(doc)).toEqual(["stateMachineArn", "execution", "summary", "drives"]);
    expect(doc.execution).toEqual({
      executionArn: "arn:aws:states:us-east-1:000000000000:execution:snapfleet-dev-backup:second",
      name: "second",
      status: "SUCCEEDED",
      startDate: expect.any(String),
      stopDate: expect.any(String),
      durationSeconds: expect.any(Number),
    });
    expect(doc.summary).toMatchObject({ runId: "second", volumesBackedUp: 3, volumesFailed: 0 });
    expect(doc.summary).not.toHaveProperty("failed");
    expect(doc.drives).toHaveLength(3);
    expect(Object.keys(doc.drives[0])).toEqual(
      expect.arrayContaining(["instanceId", "host", "device", "volumeId", "status"]),
    );
  });

  it("exits 6 when the execution fails, naming the error", async () => {
    // A machine whose only task calls a function nobody registered: Lambda's ResourceNotFound.
    const sfn = new SFNClient({ endpoint: aws.emulator.endpoint, region: "us-east-1", credentials });
    await sfn.send(
      new CreateStateMachineCommand({
        name: "broken-backup-test",
        roleArn: "arn:aws:iam::000000000000:role/test",
        definition: JSON.stringify({
          StartAt: "Plan",
          States: {
            Plan: {
              Type: "Task",
              Resource: "arn:aws:lambda:us-east-1:000000000000:function:missing",
              End: true,
            },
          },
        }),
      }),
    );

    const { code, stderr } = await snapfleet(["run", "--wait", "--state-machine", "broken-backup-test"]);

    expect(code).toBe(EXIT.runFailed);
    expect(stderr).toContain("the execution FAILED: Lambda.ResourceNotFoundException");
  });

  it("refuses (exit 3) when no state machine has the given name, listing those there are", async () => {
    const { code, stderr } = await snapfleet(["run", "--state-machine", "nope"]);

    expect(code).toBe(3);
    expect(stderr).toContain("No state machine named nope in us-east-1");
    expect(stderr).toContain("snapfleet-dev-backup");
  });
});

describe("snapfleet runs and status", () => {
  it("runs --json: the recent runs of the backup machine, newest first, with drive counts", async () => {
    const { code, stdout } = await snapfleet(["runs", "--json", "--state-machine", "snapfleet-dev-backup"]);

    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(Object.keys(doc)).toEqual(["stateMachineArn", "runs"]);
    expect(doc.runs.map((r: { name: string }) => r.name)).toEqual(["second", "first"]);
    expect(doc.runs[0]).toEqual({
      executionArn: "arn:aws:states:us-east-1:000000000000:execution:snapfleet-dev-backup:second",
      name: "second",
      status: "SUCCEEDED",
      startDate: expect.any(String),
      stopDate: expect.any(String),
      durationSeconds: expect.any(Number),
      drives: { ok: 3, failed: 0 },
    });
  });

  it("runs: a table with start, duration, status and drive counts", async () => {
    const { code, stdout } = await snapfleet(["runs", "--state-machine", "snapfleet-dev-backup"]);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^RUN\s+STARTED\s+DURATION\s+STATUS\s+DRIVES OK\s+FAILED$/m);
    expect(stdout).toMatch(/^second\s+2026-\S+\s+\S+\s+SUCCEEDED\s+3\s+0$/m);
  });

  it("status --json: the newest run's drive records by default; a named run's on request", async () => {
    const newest = JSON.parse(
      (await snapfleet(["status", "--json", "--state-machine", "snapfleet-dev-backup"])).stdout,
    );
    const named = await snapfleet(["status", "first", "--json", "--state-machine", "snapfleet-dev-backup"]);

    expect(Object.keys(newest)).toEqual(["stateMachineArn", "execution", "summary", "drives"]);
    expect(newest.execution.name).toBe("second");
    expect(newest.drives).toHaveLength(3);
    expect(named.code).toBe(0);
    const first = JSON.parse(named.stdout);
    expect(first.execution.name).toBe("first");
    expect(first.drives.map((d: { status: string }) => d.status)).toEqual(["ok", "ok", "ok"]);
  });

  it("status RUN of a run that does not exist: Step Functions' ExecutionDoesNotExist, exit 1", async () => {
    const { code, stderr } = await snapfleet(["status", "never", "--state-machine", "snapfleet-dev-backup"]);

    expect(code).toBe(1);
    expect(stderr).toContain("ExecutionDoesNotExist");
  });
});

describe("snapfleet run without --wait", () => {
  it("--json: the started execution, at once", async () => {
    const { code, stdout } = await snapfleet(["run", "--json", "--name", "third"]);
    await aws.emulator.executionsIdle();

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:snapfleet-dev-backup",
      executionArn: "arn:aws:states:us-east-1:000000000000:execution:snapfleet-dev-backup:third",
      startDate: expect.stringMatching(/^2026-01-01T/),
    });
  });
});
