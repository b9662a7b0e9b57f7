/**
 * Measures the local runner's Distributed Map at fleet scale: `npx tsx local/distributed-map-perf.ts
 * [instances] [volumesPerInstance]` (default 5,000 × 2). Each instance is a child execution that maps
 * inline over its volumes (Task, Wait 300 s, Task per volume), on the embedded AWS and the virtual
 * clock, with ItemReader and ResultWriter in its S3. Prints real time, peak RSS and the run's stats.
 */
import "./polyfills";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { startEmulator } from "./aws/server";
import { VirtualClock } from "./clock";
import { runStateMachine } from "./runner";

async function main() {
  const instances = Number(process.argv[2] ?? 5000);
  const perInstance = Number(process.argv[3] ?? 2);
  const clock = new VirtualClock(Date.UTC(2026, 10, 20, 3));
  const emulator = await startEmulator({ clock, quotas: false });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  try {
    const credentials = { accessKeyId: "perf", secretAccessKey: "perf" };
    const s3 = new S3Client({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials,
    });
    await s3.send(new CreateBucketCommand({ Bucket: "runs" }));
    const items = Array.from({ length: instances }, (_, i) => ({
      instanceId: `i-${i.toString(16).padStart(17, "0")}`,
      host: `host-${i}`,
      volumes: Array.from({ length: perInstance }, (_, v) => ({
        volumeId: `vol-${i}-${v}`,
        device: `/dev/sd${"fghij"[v]}`,
      })),
    }));
    await s3.send(
      new PutObjectCommand({ Bucket: "runs", Key: "manifest.json", Body: JSON.stringify(items) }),
    );
    const definition = {
      StartAt: "Fleet",
      States: {
        Fleet: {
          Type: "Map",
          ItemReader: {
            Resource: "arn:aws:states:::s3:getObject",
            ReaderConfig: { InputType: "JSON" },
            Parameters: { "Bucket.$": "$.bucket", Key: "manifest.json" },
          },
          ItemSelector: { "instance.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index" },
          ItemProcessor: {
            ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
            StartAt: "Volumes",
            States: {
              Volumes: {
                Type: "Map",
                ItemsPath: "$.instance.volumes",
                ItemProcessor: {
                  StartAt: "Snapshot",
                  States: {
                    Snapshot: { Type: "Task", Resource: { "Fn::GetAtt": ["snapshot", "Arn"] }, Next: "Wait" },
                    Wait: { Type: "Wait", Seconds: 300, Next: "Check" },
                    Check: { Type: "Task", Resource: { "Fn::GetAtt": ["check", "Arn"] }, End: true },
                  },
                },
                End: true,
              },
            },
          },
          ToleratedFailurePercentage: 100,
          ResultWriter: {
            Resource: "arn:aws:states:::s3:putObject",
            Parameters: { Bucket: "runs", Prefix: "results" },
          },
          End: true,
        },
      },
    };
    const started = process.hrtime.bigint();
    const { output, stats } = await runStateMachine(
      { bucket: "runs" },
      {
        definition,
        clock,
        executionName: "perf",
        s3: { endpoint: emulator.endpoint, credentials },
        handlers: {
          snapshot: async (event) => ({
            ...(event as object),
            snapshotId: "snap-1",
            at: clock.now().toISOString(),
          }),
          check: async (event) => ({ ...(event as object), state: "completed" }),
        },
      },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const { taskFailures, ...figures } = stats;
    console.log(
      JSON.stringify(
        {
          instances,
          volumes: instances * perInstance,
          realSeconds: Math.round(seconds * 10) / 10,
          peakRssMiB: Math.round(peakRss / 2 ** 20),
          simulatedSeconds: (clock.nowMs() - Date.UTC(2026, 10, 20, 3)) / 1000,
          output,
          ...figures,
          taskFailures: taskFailures.length,
        },
        null,
        2,
      ),
    );
  } finally {
    clearInterval(sampler);
    await emulator.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
