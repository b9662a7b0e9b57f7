import { readFileSync } from "node:fs";
import { Command } from "commander";
import type { EmulatorClock } from "./clock";
import { type FaultPlan, loadFaultPlan } from "./faults/plan";
import type { QuotaOptions } from "./quotas";
import { type Emulator, startEmulator } from "./server";

const collect = (value: string, previous: string[]) => [...previous, value];

/** `--kms-key us-west-2=alias/dr` (repeatable) → `{ "us-west-2": ["alias/dr"] }`. */
function kmsKeys(pairs: string[]): Record<string, string[]> | undefined {
  if (pairs.length === 0) return undefined;
  const keys: Record<string, string[]> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at < 1) throw new Error(`--kms-key must look like REGION=KEY, got ${pair}`);
    const region = pair.slice(0, at);
    keys[region] = [...(keys[region] ?? []), pair.slice(at + 1)];
  }
  return keys;
}

function quotas(value: string | boolean | undefined): boolean | QuotaOptions {
  if (typeof value !== "string") return value !== false;
  try {
    return JSON.parse(readFileSync(value, "utf8")) as QuotaOptions;
  } catch (err) {
    throw new Error(`Cannot read the quota overrides ${value}: ${(err as Error).message}`);
  }
}

export interface EmulatorCliOptions {
  port: string;
  host: string;
  accountId: string;
  snapshotSeconds?: string;
  faults?: string;
  quotas?: string | boolean;
  kmsKey: string[];
  waitSeconds?: string;
}

/** The emulator's command-line options (shared with `npm run local:aws`, local/serve.ts). */
export function emulatorCommand(name: string, description: string): Command {
  return new Command()
    .name(name)
    .description(description)
    .option("--port <port>", "port to listen on", "4566")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--account-id <id>", "AWS account id", "000000000000")
    .option(
      "--snapshot-seconds <n>",
      "how long every snapshot and copy stays pending (default: 60 s + 5 s per GiB)",
    )
    .option("--faults <file>", "fault plan (JSON, see local/aws/faults/plan.ts) to inject during the run")
    .option("--quotas <file>", "JSON overrides of AWS's quotas (see local/aws/quotas/config.ts)")
    .option("--no-quotas", "turn AWS's API throttling and EBS limits off")
    .option(
      "--wait-seconds <n>",
      "Step Functions Wait states last n seconds instead of their own duration (runs planned for AWS's snapshot times finish sooner)",
    )
    .option(
      "--kms-key <region=key>",
      "a KMS key the region has (repeatable); other regions accept any key",
      collect,
      [],
    );
}

/** Starts the emulator in real time as the options say. */
export async function startFromOptions(opts: EmulatorCliOptions) {
  const waitSeconds = opts.waitSeconds === undefined ? undefined : Number(opts.waitSeconds);
  if (waitSeconds !== undefined && !(waitSeconds >= 0))
    throw new Error(`--wait-seconds must be a number >= 0, got ${opts.waitSeconds}`);
  const fixed = opts.snapshotSeconds === undefined ? undefined : Number(opts.snapshotSeconds);
  if (fixed !== undefined && !(fixed >= 0))
    throw new Error(`--snapshot-seconds must be a number >= 0, got ${opts.snapshotSeconds}`);
  const faults: FaultPlan | undefined = opts.faults === undefined ? undefined : loadFaultPlan(opts.faults);
  const keys = kmsKeys(opts.kmsKey);
  const emulator = await startEmulator({
    port: Number(opts.port),
    host: opts.host,
    accountId: opts.accountId,
    quotas: quotas(opts.quotas),
    ...(faults ? { faults } : {}),
    ...(keys ? { kmsKeys: keys } : {}),
    ...(waitSeconds === undefined ? {} : { waitSeconds }),
    ...(fixed === undefined
      ? {}
      : { snapshotDurationSeconds: () => fixed, copyDurationSeconds: () => fixed }),
  });
  return { emulator, faults };
}

/** Stops the emulator on SIGINT/SIGTERM, printing what the run met (diagnostics, so on stderr). */
export function stopOnSignal(emulator: Emulator<EmulatorClock>): void {
  const shutdown = () => {
    const { events, ...faultCounts } = emulator.faultStats();
    process.stderr.write(`quotas: ${JSON.stringify(emulator.quotaStats())}\n`);
    process.stderr.write(`faults: ${JSON.stringify({ ...faultCounts, events: events.length })}\n`);
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

/** `tsx local/aws/main.ts --port 4566`: the emulator alone, in real time, until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const program = emulatorCommand(
    "local-aws",
    "Embedded AWS emulator (EC2, CloudWatch, SNS, S3, Step Functions, EventBridge) on 127.0.0.1",
  ).parse();
  const opts = program.opts<EmulatorCliOptions>();
  const { emulator, faults } = await startFromOptions(opts);
  process.stdout.write(`AWS emulator listening on ${emulator.endpoint}\n`);
  if (faults) process.stdout.write(`Fault plan ${opts.faults} loaded\n`);
  process.stdout.write(
    `Try: AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --endpoint-url ${emulator.endpoint} ec2 describe-snapshots --region us-east-1\n`,
  );
  stopOnSignal(emulator);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`local:aws failed: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
