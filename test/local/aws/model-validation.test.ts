import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { SubscribeCommand } from "@aws-sdk/client-sns";
import { failure, type Harness, startHarness } from "./harness";
import { errorCode, FORM, raw, signedAs } from "./raw";

const EC2 = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference";
const CW = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference";
const SNS = "https://docs.aws.amazon.com/sns/latest/api";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ quotas: false });
});
afterEach(() => h.emulator.stop());

async function query(service: string, body: string) {
  const answer = await raw(h.emulator.endpoint, { headers: { ...FORM, ...signedAs(service) }, body });
  return [answer.status, errorCode(answer)];
}

describe(`EC2 requests are checked against the EC2 model (${EC2}/errors-overview.html)`, () => {
  const ec2 = (params: string) => query("ec2", `Version=2016-11-15&${params}`);

  it.each([
    ["an unknown parameter", "Action=DescribeVolumes&Foo=1", "UnknownParameter"],
    ["a missing required member", "Action=CreateVolume&Size=1", "MissingParameter"],
    [
      "a VolumeType outside the enum",
      "Action=CreateVolume&AvailabilityZone=us-east-1a&Size=1&VolumeType=gp9",
      "InvalidParameterValue",
    ],
    [
      "a Size that is not an integer",
      "Action=CreateVolume&AvailabilityZone=us-east-1a&Size=abc",
      "InvalidParameterValue",
    ],
    [
      "a DryRun that is not a boolean",
      "Action=DeleteVolume&VolumeId=vol-12345678&DryRun=maybe",
      "InvalidParameterValue",
    ],
    ["a filter without its Name's structure", "Action=DescribeVolumes&Filter=x", "InvalidParameterValue"],
    [
      "a tag without the required resource id",
      "Action=CreateTags&Tag.1.Key=k&Tag.1.Value=v",
      "MissingParameter",
    ],
  ])("refuses %s", async (_, params, code) => {
    expect(await ec2(params)).toEqual([400, code]);
  });

  it("changes nothing when it refuses", async () => {
    await ec2("Action=CreateVolume&AvailabilityZone=us-east-1a&Size=1&VolumeType=gp9");

    const answer = await raw(h.emulator.endpoint, {
      headers: { ...FORM, ...signedAs("ec2") },
      body: "Action=DescribeVolumes&Version=2016-11-15",
    });

    expect(answer.body).not.toContain("<volumeId>");
  });
});

describe(`CloudWatch requests are checked against its model (${CW}/CommonErrors.html)`, () => {
  const cw = (params: string) => query("monitoring", `Version=2010-08-01&${params}`);
  const stats = "Namespace=N&MetricName=M&StartTime=2026-01-01T00:00:00Z&EndTime=2026-01-01T01:00:00Z";

  it.each([
    [
      "Period=0 (minimum 1)",
      `Action=GetMetricStatistics&${stats}&Period=0&Statistics.member.1=Sum`,
      "InvalidParameterValue",
    ],
    [
      "a statistic outside the enum",
      `Action=GetMetricStatistics&${stats}&Period=60&Statistics.member.1=Median`,
      "InvalidParameterValue",
    ],
    [
      "six statistics (at most 5)",
      `Action=GetMetricStatistics&${stats}&Period=60${[1, 2, 3, 4, 5, 6].map((n) => `&Statistics.member.${n}=Sum`).join("")}`,
      "InvalidParameterValue",
    ],
    [
      "a missing Namespace",
      "Action=GetMetricStatistics&MetricName=M&Period=60&StartTime=2026-01-01T00:00:00Z&EndTime=2026-01-01T01:00:00Z",
      "MissingParameter",
    ],
    [
      "a StartTime that is not a time",
      "Action=GetMetricStatistics&Namespace=N&MetricName=M&Period=60&StartTime=soon&EndTime=2026-01-01T01:00:00Z&Statistics.member.1=Sum",
      "InvalidParameterValue",
    ],
  ])("refuses %s", async (_, params, code) => {
    expect(await cw(params)).toEqual([400, code]);
  });

  it(`refuses a 256-character namespace over JSON as the SDK sees it (${CW}/API_PutMetricData.html)`, async () => {
    const error = await failure(
      h.cloudwatch().send(
        new PutMetricDataCommand({
          Namespace: "n".repeat(256),
          MetricData: [{ MetricName: "m", Value: 1 }],
        }),
      ),
    );

    expect(error).toMatchObject({ name: "InvalidParameterValueException", status: 400 });
    expect(h.emulator.metrics()).toEqual([]);
  });

  it("refuses a dimension value over 1024 characters", async () => {
    const error = await failure(
      h.cloudwatch().send(
        new PutMetricDataCommand({
          Namespace: "N",
          MetricData: [{ MetricName: "m", Value: 1, Dimensions: [{ Name: "d", Value: "v".repeat(1025) }] }],
        }),
      ),
    );

    expect(error.name).toBe("InvalidParameterValueException");
  });
});

describe(`SNS requests are checked against its model (${SNS}/CommonErrors.html)`, () => {
  it("refuses a Publish without Message with ValidationError", async () => {
    expect(
      await query("sns", "Action=Publish&Version=2010-03-31&TopicArn=arn:aws:sns:us-east-1:000000000000:t"),
    ).toEqual([400, "ValidationError"]);
  });

  it("words it as AWS's request validation does", async () => {
    const error = await failure(
      h
        .sns()
        .send(
          new SubscribeCommand({ TopicArn: "arn:aws:sns:us-east-1:000000000000:t", Protocol: undefined }),
        ),
    );

    expect(error.name).toBe("ValidationError");
    expect(error.message).toBe(
      "1 validation error detected: Value null at 'protocol' failed to satisfy constraint: Member must not be null",
    );
  });
});

const BOTOCORE = "/usr/lib/python3/dist-packages/botocore/data";
const itWithBotocore = existsSync(BOTOCORE) ? it : it.skip;
if (!existsSync(BOTOCORE))
  console.warn(
    `Skipping the model freshness check: ${BOTOCORE} is absent (apt-get install python3-botocore).`,
  );

describe("the vendored models", () => {
  itWithBotocore("are what local/aws/models/trim.ts makes of botocore's published models", () => {
    const out = mkdtempSync(join(tmpdir(), "models-"));
    execFileSync("npx", ["tsx", "local/aws/models/trim.ts", BOTOCORE, out]);

    for (const name of ["ec2", "cloudwatch", "sns"]) {
      const fresh = JSON.parse(readFileSync(join(out, `${name}.json`), "utf8"));
      const vendored = JSON.parse(readFileSync(join("local/aws/models", `${name}.json`), "utf8"));
      expect(vendored).toEqual(fresh);
    }
  });
});
