import { gzipSync } from "node:zlib";
import { CreateSnapshotCommand, CreateVolumeCommand, DescribeSnapshotsCommand } from "@aws-sdk/client-ec2";
import { type Harness, startHarness } from "./harness";
import { cloudWatchJson, errorCode, FORM, raw, signedAs, stream } from "./raw";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ quotas: false });
});
afterEach(() => h.emulator.stop());

async function volumeAndSnapshot() {
  const ec2 = h.ec2();
  const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 4 }));
  const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId }));
  return { VolumeId: VolumeId as string, SnapshotId: SnapshotId as string };
}

describe("no request can change state it did not name", () => {
  it("refuses a `__proto__` key path in a query form, and later calls still work", async () => {
    const { SnapshotId } = await volumeAndSnapshot();

    const answer = await raw(h.emulator.endpoint, {
      headers: { ...FORM, ...signedAs("ec2") },
      body: "Action=DescribeRegions&Version=2016-11-15&__proto__.MaxResults=5",
    });

    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe("MalformedQueryString");
    expect(({} as Record<string, unknown>).MaxResults).toBeUndefined();
    const out = await h.ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: [SnapshotId] }));
    expect(out.Snapshots?.map((s) => s.SnapshotId)).toEqual([SnapshotId]);
  });

  it.each(["constructor.prototype.MaxResults=5", "Filter.1.constructor=x", "Tag.prototype.Key=x"])(
    "refuses the key path %s",
    async (pair) => {
      const answer = await raw(h.emulator.endpoint, {
        headers: { ...FORM, ...signedAs("ec2") },
        body: `Action=DescribeVolumes&Version=2016-11-15&${pair}`,
      });

      expect([answer.status, errorCode(answer)]).toEqual([400, "MalformedQueryString"]);
    },
  );

  it("refuses a `__proto__` member in a JSON body with the protocol's SerializationException", async () => {
    const answer = await raw(h.emulator.endpoint, {
      headers: cloudWatchJson("ListMetrics"),
      body: '{"__proto__":{"Namespace":"x"}}',
    });

    expect(answer.status).toBe(400);
    expect(answer.headers["content-type"]).toBe("application/x-amz-json-1.0");
    expect(errorCode(answer)).toBe("SerializationException");
  });
});

describe("request bodies are bounded at AWS's limits", () => {
  // CloudWatch answers 413 RequestEntityTooLarge "Request size N exceeded 1048576 bytes":
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html (1 MB per request)
  it("refuses a declared 100 MB body before reading it, and keeps serving", async () => {
    const { SnapshotId } = await volumeAndSnapshot();
    const before = process.memoryUsage().rss;

    const answer = await stream(h.emulator.endpoint, { ...FORM, ...signedAs("ec2") }, 100 * 1024 * 1024);

    expect(answer.status).toBe(413);
    expect(answer.body).toContain("<Code>RequestEntityTooLarge</Code>");
    expect(answer.sent).toBeLessThan(20 * 1024 * 1024);
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
    const out = await h.ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: [SnapshotId] }));
    expect(out.Snapshots).toHaveLength(1);
  });

  it("refuses a chunked body once it passes 1 MiB", async () => {
    const answer = await stream(
      h.emulator.endpoint,
      cloudWatchJson("PutMetricData"),
      100 * 1024 * 1024,
      true,
    );

    expect(answer.status).toBe(413);
    expect(errorCode({ ...answer, headers: {} })).toBe("RequestEntityTooLarge");
    expect(answer.sent).toBeLessThan(20 * 1024 * 1024);
  });

  it("bounds a gzip body's decompressed size (a 100 MB bomb of a few hundred KB)", async () => {
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024, " "));

    const answer = await raw(h.emulator.endpoint, {
      headers: { ...cloudWatchJson("PutMetricData"), "content-encoding": "gzip" },
      body: bomb,
    });

    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect([answer.status, errorCode(answer)]).toEqual([413, "RequestEntityTooLarge"]);
  });

  it("answers a bad gzip body in the protocol's own format", async () => {
    const answer = await raw(h.emulator.endpoint, {
      headers: { ...cloudWatchJson("PutMetricData"), "content-encoding": "gzip" },
      body: "not gzip at all",
    });

    expect([answer.status, errorCode(answer)]).toEqual([400, "SerializationException"]);
    expect(answer.headers["content-type"]).toBe("application/x-amz-json-1.0");
  });
});
