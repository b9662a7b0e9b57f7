import { type Harness, startHarness } from "./harness";
import { cloudWatchJson, errorCode, FORM, raw, signedAs } from "./raw";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ quotas: false });
});
afterEach(() => h.emulator.stop());

describe("CloudWatch's JSON protocol answers unreadable bodies with its own 4xx (awsJson1_0)", () => {
  // https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html (error responses: `__type`)
  it.each([
    ["null", "null"],
    ["an array", "[]"],
    ["a string", '"x"'],
    ["invalid JSON", '{"Namespace":'],
  ])("refuses %s as a body with SerializationException", async (_, body) => {
    const answer = await raw(h.emulator.endpoint, { headers: cloudWatchJson("ListMetrics"), body });

    expect(answer.status).toBe(400);
    expect(answer.headers["content-type"]).toBe("application/x-amz-json-1.0");
    expect(errorCode(answer)).toBe("SerializationException");
    expect(answer.headers["x-amzn-query-error"]).toBe("SerializationException;Sender");
  });

  it("keeps serving afterwards", async () => {
    await raw(h.emulator.endpoint, { headers: cloudWatchJson("ListMetrics"), body: "null" });

    const answer = await raw(h.emulator.endpoint, { headers: cloudWatchJson("ListMetrics"), body: "{}" });

    expect([answer.status, JSON.parse(answer.body)]).toEqual([200, { Metrics: [] }]);
  });
});

describe("a service the emulator does not serve is refused in that service's protocol, by name", () => {
  it("answers a JSON request (DynamoDB, awsJson1_0) with a JSON error naming dynamodb", async () => {
    const answer = await raw(h.emulator.endpoint, {
      headers: {
        ...signedAs("dynamodb"),
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.ListTables",
      },
      body: "{}",
    });

    expect(answer.status).toBe(400);
    expect(answer.headers["content-type"]).toBe("application/x-amz-json-1.0");
    expect(errorCode(answer)).toBe("UnknownOperationException");
    expect(JSON.parse(answer.body).message).toContain("'dynamodb'");
  });

  it("answers an awsJson1_1 request (CloudWatch Logs) with content type 1.1", async () => {
    const answer = await raw(h.emulator.endpoint, {
      headers: {
        ...signedAs("logs"),
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "Logs_20140328.DescribeLogGroups",
      },
      body: "{}",
    });

    expect(answer.headers["content-type"]).toBe("application/x-amz-json-1.1");
    expect(JSON.parse(answer.body).message).toContain("'logs'");
  });

  it("answers an awsQuery request (SQS) with an awsQuery ErrorResponse naming sqs", async () => {
    const answer = await raw(h.emulator.endpoint, {
      headers: { ...FORM, ...signedAs("sqs") },
      body: "Action=ListQueues&Version=2012-11-05",
    });

    expect(answer.status).toBe(400);
    expect(answer.body).toContain("<ErrorResponse");
    expect(answer.body).toContain("<Type>Sender</Type>");
    expect(errorCode(answer)).toBe("InvalidAction");
    expect(answer.body).toContain("the service &apos;sqs&apos;");
  });
});

describe("a credential scope naming a region AWS does not have is refused (SigV4)", () => {
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html
  it.each([
    ["ec2", FORM, "Action=DescribeRegions&Version=2016-11-15", 401, "AuthFailure"],
    ["sns", FORM, "Action=ListTopics&Version=2010-03-31", 403, "SignatureDoesNotMatch"],
    ["monitoring", FORM, "Action=ListMetrics&Version=2010-08-01", 403, "SignatureDoesNotMatch"],
  ])("refuses %s in mars-1", async (service, headers, body, status, code) => {
    const answer = await raw(h.emulator.endpoint, {
      headers: { ...headers, ...signedAs(service, "mars-1") },
      body,
    });

    expect([answer.status, errorCode(answer)]).toEqual([status, code]);
    expect(answer.body).toContain("mars-1");
  });

  it("refuses CloudWatch JSON in mars-1 with InvalidSignatureException", async () => {
    const answer = await raw(h.emulator.endpoint, {
      headers: { ...cloudWatchJson("ListMetrics"), ...signedAs("monitoring", "mars-1") },
      body: "{}",
    });

    expect([answer.status, errorCode(answer)]).toEqual([403, "InvalidSignatureException"]);
  });

  it("serves a region EC2's DescribeRegions does not list but AWS has (af-south-1)", async () => {
    const answer = await raw(h.emulator.endpoint, {
      headers: { ...FORM, ...signedAs("ec2", "af-south-1") },
      body: "Action=DescribeVolumes&Version=2016-11-15",
    });

    expect(answer.status).toBe(200);
  });
});
