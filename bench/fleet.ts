import { EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { startEmulator } from "../local/aws/server";
import { VirtualClock } from "../local/clock";
import { defaultPhysicalIds, installStackDocuments, loadPackagedTemplate } from "../local/stack";
import { copySeconds, snapshotSeconds } from "./model";

/**
 * A benchmark fleet: `volumes` EBS volumes on `volumes / 2` instances (a root volume and a data
 * volume each), all tagged Backup=true with Retention=1 and a BackupConsistency, sizes from a fixed pseudo-random
 * sequence so every run measures the same fleet. Launched 10 instances per RunInstances call;
 * when the emulator throttles, simulated time moves on (the fleet exists before the run starts).
 */
export interface BenchFleet {
  volumes: number;
  instances: number;
  sizes: number[];
}

const INSTANCES_PER_CALL = 10;

/** A seeded pseudo-random sequence in [0, 1), so every benchmark and soak sees the same fleet and faults. */
export function seededRandom(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

export function volumeSizes(count: number, seed = 42): number[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? 8 : 20 + Math.floor(next() * 480)));
}

/**
 * `modes`: the servers' BackupConsistency, taken in turn per RunInstances call (10 servers each), so
 * a mix gives each mode about the same share of the fleet.
 */
export async function buildFleet(
  endpoint: string,
  region: string,
  volumes: number,
  clock: VirtualClock,
  modes: readonly ("volume" | "instance" | "application")[] = ["volume"],
): Promise<BenchFleet> {
  const ec2 = new EC2Client({
    region,
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: "bench-admin", secretAccessKey: "bench" },
  });
  const instances = Math.ceil(volumes / 2);
  const sizes = volumeSizes(instances * 2);
  for (let first = 0; first < instances; first += INSTANCES_PER_CALL) {
    const count = Math.min(INSTANCES_PER_CALL, instances - first);
    const dataSize = sizes[first * 2 + 1] ?? 100;
    for (;;) {
      try {
        await ec2.send(
          new RunInstancesCommand({
            ImageId: "ami-bench",
            InstanceType: "m6i.large",
            MinCount: count,
            MaxCount: count,
            Placement: { AvailabilityZone: `${region}a` },
            BlockDeviceMappings: [
              { DeviceName: "/dev/xvda", Ebs: { VolumeSize: 8, VolumeType: "gp3" } },
              { DeviceName: "/dev/sdf", Ebs: { VolumeSize: dataSize, VolumeType: "gp3" } },
            ],
            TagSpecifications: [
              {
                ResourceType: "instance",
                Tags: [
                  { Key: "Name", Value: `bench-${first}` },
                  { Key: "Backup", Value: "true" },
                  { Key: "Retention", Value: "1" },
                  {
                    Key: "BackupConsistency",
                    Value: modes[(first / INSTANCES_PER_CALL) % modes.length] ?? "volume",
                  },
                ],
              },
              { ResourceType: "volume", Tags: [{ Key: "Fleet", Value: "bench" }] },
            ],
          }),
        );
        break;
      } catch (error) {
        if ((error as { name?: string }).name !== "RequestLimitExceeded") throw error;
        clock.advance(1000);
      }
    }
  }
  // Sizes per call are uniform for the data volume; report what was launched.
  const launched: number[] = [];
  for (let first = 0; first < instances; first += INSTANCES_PER_CALL) {
    const count = Math.min(INSTANCES_PER_CALL, instances - first);
    for (let i = 0; i < count; i += 1) launched.push(8, sizes[first * 2 + 1] ?? 100);
  }
  return { volumes: instances * 2, instances, sizes: launched };
}

/** The three consistency modes, taken in turn by groups of 10 servers: the benchmark's and the soak's mix. */
export const MODE_MIX = ["volume", "instance", "application"] as const;

/**
 * The embedded AWS as the benchmark, the soak and the scale test use it: quotas on, simulated
 * time from 2026-01-01, the benchmark's snapshot and copy durations.
 */
export async function startBenchAws() {
  process.env.AWS_ACCESS_KEY_ID ??= "bench";
  process.env.AWS_SECRET_ACCESS_KEY ??= "bench";
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 0), 0);
  const emulator = await startEmulator({
    clock,
    snapshotDurationSeconds: snapshotSeconds,
    copyDurationSeconds: copySeconds,
  });
  // The stack's SSM documents (the fsfreeze pre/post script of application consistency).
  const template = await loadPackagedTemplate();
  await installStackDocuments(template, defaultPhysicalIds(template), emulator.endpoint, {
    credentials: { accessKeyId: "bench-admin", secretAccessKey: "bench" },
  });
  return { clock, emulator };
}
