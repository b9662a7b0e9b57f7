import { gzipSync } from "node:zlib";
import { CreateSnapshotCommand, CreateTagsCommand, CreateVolumeCommand } from "@aws-sdk/client-ec2";
import { CreateTopicCommand } from "@aws-sdk/client-sns";
import fc from "fast-check";
import { type Harness, startHarness } from "./harness";
import { cloudWatchJson, FORM, type RawAnswer, raw, signedAs } from "./raw";

/**
 * Malformed requests in every protocol the emulator speaks (ec2Query, awsQuery, awsJson1_0, S3
 * REST): each must get a 4xx in its protocol's error format, the emulator must keep serving, and
 * nothing it holds may change. Error formats:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html#api-error-response
 * https://smithy.io/2.0/aws/protocols/aws-query-protocol.html (ErrorResponse)
 * https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html (`__type`)
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
const RUNS = 60;
let h: Harness;
let volumeId: string;

beforeAll(async () => {
  h = await startHarness({ quotas: false });
  const ec2 = h.ec2();
  volumeId = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1 })))
    .VolumeId as string;
  await ec2.send(new CreateTagsCommand({ Resources: [volumeId], Tags: [{ Key: "Name", Value: "kept" }] }));
  await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
  await h.sns().send(new CreateTopicCommand({ Name: "kept" }));
  await raw(h.emulator.endpoint, { method: "PUT", path: "/kept", headers: signedAs("s3") });
});
afterAll(() => h.emulator.stop());

/** Everything the emulator holds, read over its own APIs. */
async function everything(): Promise<string[]> {
  const reads: [string, string][] = [
    ["ec2", "Action=DescribeVolumes&Version=2016-11-15"],
    ["ec2", "Action=DescribeSnapshots&Version=2016-11-15&Owner.1=self"],
    ["ec2", "Action=DescribeInstances&Version=2016-11-15"],
    ["ec2", "Action=DescribeTags&Version=2016-11-15"],
    ["sns", "Action=ListTopics&Version=2010-03-31"],
    ["sns", "Action=ListSubscriptions&Version=2010-03-31"],
    ["monitoring", "Action=ListMetrics&Version=2010-08-01"],
    ["monitoring", "Action=DescribeAlarms&Version=2010-08-01"],
  ];
  const answers = await Promise.all(
    reads.map(([service, body]) =>
      raw(h.emulator.endpoint, { headers: { ...FORM, ...signedAs(service) }, body }),
    ),
  );
  const bucket = await raw(h.emulator.endpoint, {
    method: "GET",
    path: "/kept?list-type=2",
    headers: signedAs("s3"),
  });
  return [...answers, bucket].map((a) => {
    expect(a.status).toBe(200);
    return a.body
      .replace(/<(requestId|RequestId)>[^<]*<\/\1>/g, "")
      .replace(/<progress>[^<]*<\/progress>/g, "");
  });
}

function clientError(a: RawAnswer): boolean {
  return a.status >= 400 && a.status < 500;
}

const EC2_ACTIONS = [
  "DescribeVolumes",
  "CreateVolume",
  "DeleteVolume",
  "CreateTags",
  "RunInstances",
  "CreateSnapshot",
];
const structural = fc.constantFrom(
  "__proto__.MaxResults=5",
  "constructor.prototype.x=1",
  "a.prototype=1",
  "Filter..1=x",
  "=x",
);
/** EC2 also refuses a parameter its action does not have (UnknownParameter). */
const poison = fc.oneof(
  structural,
  fc.stringMatching(/^[A-Z][a-zA-Z]{2,12}$/).map((k) => `Zz${k}=1`),
);
const noise = fc.array(
  fc.tuple(
    fc.constantFrom("Size", "VolumeId", "Filter.1.Name", "Tag.1.Key", "MaxResults", "DryRun"),
    fc.string(),
  ),
  { maxLength: 4 },
);

describe("the emulator refuses malformed requests, keeps serving and changes nothing", () => {
  it("ec2Query: prototype and unknown keys, empty path segments, wrong types", async () => {
    const before = await everything();

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...EC2_ACTIONS), poison, noise, async (action, bad, pairs) => {
        const params = new URLSearchParams([["Action", action], ["Version", "2016-11-15"], ...pairs]);
        const answer = await raw(h.emulator.endpoint, {
          headers: { ...FORM, ...signedAs("ec2") },
          body: `${params.toString()}&${bad}`,
        });

        expect(clientError(answer)).toBe(true);
        expect(answer.body).toMatch(/^<\?xml[^>]*>\n<Response><Errors><Error><Code>[A-Za-z.]+<\/Code>/);
      }),
      { numRuns: RUNS },
    );

    expect(await everything()).toEqual(before);
  }, 60_000);

  it("ec2Query: out-of-range and over-limit values on existing resources", async () => {
    const before = await everything();
    const bad = fc.oneof(
      fc
        .integer({ min: -1000, max: 0 })
        .map((n) => `Action=CreateVolume&AvailabilityZone=us-east-1a&Size=${n}`),
      fc
        .integer({ min: 65537, max: 1e9 })
        .map((n) => `Action=CreateVolume&AvailabilityZone=us-east-1a&Size=${n}`),
      fc.integer({ min: -5, max: 4 }).map((n) => `Action=DescribeVolumes&MaxResults=${n}`),
      fc
        .string({ minLength: 1 })
        .map((t) => `Action=DescribeVolumes&MaxResults=5&NextToken=${encodeURIComponent(`x${t}`)}`),
      fc
        .integer({ min: 50, max: 80 })
        .map(
          (n) =>
            `Action=CreateTags&ResourceId.1=${volumeId}${Array.from({ length: n }, (_, k) => `&Tag.${k + 1}.Key=k${k}&Tag.${k + 1}.Value=v`).join("")}`,
        ),
      fc
        .string({ minLength: 129, maxLength: 300 })
        .map(
          (k) =>
            `Action=CreateTags&ResourceId.1=${volumeId}&Tag.1.Key=${encodeURIComponent(k)}&Tag.1.Value=v`,
        ),
      fc.stringMatching(/^[a-z]{1,8}-[a-z0-9]{0,20}$/).map((id) => `Action=DeleteVolume&VolumeId=${id}`),
    );

    await fc.assert(
      fc.asyncProperty(bad, async (body) => {
        const answer = await raw(h.emulator.endpoint, {
          headers: { ...FORM, ...signedAs("ec2") },
          body: `${body}&Version=2016-11-15`,
        });

        expect(clientError(answer)).toBe(true);
        expect(answer.body).toContain("<Response><Errors><Error><Code>");
      }),
      { numRuns: RUNS },
    );

    expect(await everything()).toEqual(before);
  }, 60_000);

  it("awsQuery (SNS, CloudWatch): prototype keys, unknown actions, missing and mistyped members", async () => {
    const before = await everything();
    const request = fc.oneof(
      fc
        .tuple(fc.constantFrom("sns", "monitoring"), structural)
        .map(([s, p]) => [s, `Action=${s === "sns" ? "ListTopics" : "ListMetrics"}&${p}`]),
      fc.stringMatching(/^[A-Z][a-zA-Z]{3,15}$/).map((a) => ["sns", `Action=Zz${a}`]),
      fc.string().map((m) => ["sns", `Action=Publish&Subject=${encodeURIComponent(m)}`]),
      fc
        .string()
        .map((n) => [
          "monitoring",
          `Action=PutMetricData&Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.Value=x${encodeURIComponent(n)}`,
        ]),
      fc
        .integer({ min: -100, max: 1000 })
        .filter((p) => ![1, 5, 10, 20, 30].includes(p) && (p <= 0 || p % 60 !== 0))
        .map((p) => [
          "monitoring",
          `Action=GetMetricStatistics&Namespace=N&MetricName=M&StartTime=2026-01-01T00:00:00Z&EndTime=2026-01-01T01:00:00Z&Statistics.member.1=Sum&Period=${p}`,
        ]),
    );

    await fc.assert(
      fc.asyncProperty(request, async ([service, body]) => {
        const version = service === "sns" ? "2010-03-31" : "2010-08-01";
        const answer = await raw(h.emulator.endpoint, {
          headers: { ...FORM, ...signedAs(service as string) },
          body: `${body}&Version=${version}`,
        });

        expect(clientError(answer)).toBe(true);
        expect(answer.body).toMatch(
          /<ErrorResponse xmlns="[^"]+"><Error><Type>Sender<\/Type><Code>[A-Za-z]+<\/Code>/,
        );
      }),
      { numRuns: RUNS },
    );

    expect(await everything()).toEqual(before);
  }, 60_000);

  it("awsJson1_0 (CloudWatch): non-objects, invalid JSON, prototype members, wrong types, bad gzip", async () => {
    const before = await everything();
    const body = fc.oneof(
      fc
        .jsonValue()
        .filter((v) => v === null || typeof v !== "object" || Array.isArray(v))
        .map((v) => ({ text: JSON.stringify(v) })),
      fc.string().map((s) => ({ text: `{${s}` })),
      fc.jsonValue().map((v) => ({ text: `{"__proto__":${JSON.stringify(v)},"Namespace":"N"}` })),
      fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())).map((v) => ({
        text: JSON.stringify({ Namespace: v, MetricData: [{ MetricName: "m", Value: 1 }] }),
      })),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({ bytes: Buffer.from(b), gzip: true })),
    );

    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const answer = await raw(h.emulator.endpoint, {
          headers: {
            ...cloudWatchJson("PutMetricData"),
            ...("gzip" in b ? { "content-encoding": "gzip" } : {}),
          },
          body: "bytes" in b ? b.bytes : b.text,
        });

        expect(clientError(answer)).toBe(true);
        expect(answer.headers["content-type"]).toBe("application/x-amz-json-1.0");
        expect(JSON.parse(answer.body)).toEqual({ __type: expect.any(String), message: expect.any(String) });
      }),
      { numRuns: RUNS },
    );

    expect(await everything()).toEqual(before);
  }, 60_000);

  it("S3 REST: unknown buckets, bad methods, undecodable paths, oversized bodies", async () => {
    const before = await everything();
    const request = fc.oneof(
      fc
        .stringMatching(/^[a-z0-9-]{3,20}$/)
        .filter((b) => b !== "kept")
        .map((b) => ({ method: "GET", path: `/${b}/key` })),
      fc.constantFrom("PATCH", "POST", "OPTIONS").map((method) => ({ method, path: "/kept" })),
      fc.constantFrom("%", "%zz", "%E0%A4%A", "a%").map((bad) => ({ method: "GET", path: `/kept/${bad}` })),
      fc.constant({
        method: "PUT",
        path: "/kept/huge",
        headers: { "content-length": String(200 * 1024 * 1024) },
      }),
    );

    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const answer = await raw(h.emulator.endpoint, {
          method: r.method,
          path: r.path,
          headers: { ...signedAs("s3"), ...("headers" in r ? r.headers : {}) },
        });

        expect(clientError(answer)).toBe(true);
        expect(answer.body).toMatch(/^<\?xml[^>]*>\n<Error><Code>[A-Za-z]+<\/Code>/);
      }),
      { numRuns: 30 },
    );

    expect(await everything()).toEqual(before);
  }, 60_000);

  it("huge bodies in every protocol: refused with 413, and the emulator serves on", async () => {
    const before = await everything();
    const big = "a".repeat(2 * 1024 * 1024);

    const answers = await Promise.all([
      raw(h.emulator.endpoint, {
        headers: { ...FORM, ...signedAs("ec2") },
        body: `Action=DescribeVolumes&x=${big}`,
      }),
      raw(h.emulator.endpoint, {
        headers: { ...FORM, ...signedAs("sns") },
        body: `Action=Publish&Message=${big}`,
      }),
      raw(h.emulator.endpoint, { headers: cloudWatchJson("PutMetricData"), body: `{"Namespace":"${big}"}` }),
      raw(h.emulator.endpoint, {
        headers: { ...cloudWatchJson("PutMetricData"), "content-encoding": "gzip" },
        body: gzipSync(Buffer.from(`{"Namespace":"${big}"}`)),
      }),
    ]);

    expect(answers.map((a) => a.status)).toEqual([413, 413, 413, 413]);
    expect(await everything()).toEqual(before);
  }, 60_000);
});
