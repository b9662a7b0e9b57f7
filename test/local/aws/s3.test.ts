import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { type Emulator, startEmulator } from "../../../local/aws/server";
import { VirtualClock } from "../../../local/clock";

describe("embedded S3 (path-style REST-XML)", () => {
  let emulator: Emulator<VirtualClock>;
  let s3: S3Client;
  beforeAll(async () => {
    emulator = await startEmulator({ clock: new VirtualClock() });
    s3 = new S3Client({
      region: "us-east-1",
      endpoint: emulator.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    await s3.send(new CreateBucketCommand({ Bucket: "runs" }));
  });
  afterAll(() => emulator.stop());

  it("returns what PutObject stored (API_PutObject, API_GetObject)", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "runs", Key: "run-1/manifest.json", Body: '{"a":1}' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: "runs", Key: "run-1/manifest.json" }));
    expect(await got.Body?.transformToString()).toBe('{"a":1}');
  });

  it("answers NoSuchKey with HTTP 404 for a missing key (ErrorResponses)", async () => {
    await expect(s3.send(new GetObjectCommand({ Bucket: "runs", Key: "nope" }))).rejects.toMatchObject({
      name: "NoSuchKey",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("lists keys under a prefix in pages (API_ListObjectsV2)", async () => {
    for (let i = 0; i < 5; i += 1) {
      await s3.send(new PutObjectCommand({ Bucket: "runs", Key: `run-2/results/${i}.json`, Body: "{}" }));
    }
    const first = await s3.send(new ListObjectsV2Command({ Bucket: "runs", Prefix: "run-2/", MaxKeys: 3 }));
    const second = await s3.send(
      new ListObjectsV2Command({
        Bucket: "runs",
        Prefix: "run-2/",
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect(first.Contents?.map((c) => c.Key)).toEqual([
      "run-2/results/0.json",
      "run-2/results/1.json",
      "run-2/results/2.json",
    ]);
    expect(first.IsTruncated).toBe(true);
    expect(second.Contents?.map((c) => c.Key)).toEqual(["run-2/results/3.json", "run-2/results/4.json"]);
  });
});
