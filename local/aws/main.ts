import { Command } from "commander";
import { startEmulator } from "./server";

/** `npm run local:aws -- --port 4566`: the emulator alone, in real time, until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const program = new Command()
    .name("local:aws")
    .description("Embedded AWS emulator (EC2, CloudWatch, SNS) on 127.0.0.1")
    .option("--port <port>", "port to listen on", "4566")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--account-id <id>", "AWS account id", "000000000000")
    .option(
      "--snapshot-seconds <n>",
      "how long every snapshot and copy stays pending (default: 60 s + 5 s per GiB)",
    )
    .parse();
  const opts = program.opts<{ port: string; host: string; accountId: string; snapshotSeconds?: string }>();
  const fixed = opts.snapshotSeconds === undefined ? undefined : Number(opts.snapshotSeconds);
  if (fixed !== undefined && !(fixed >= 0))
    throw new Error(`--snapshot-seconds must be a number >= 0, got ${opts.snapshotSeconds}`);
  const emulator = await startEmulator({
    port: Number(opts.port),
    host: opts.host,
    accountId: opts.accountId,
    ...(fixed === undefined
      ? {}
      : { snapshotDurationSeconds: () => fixed, copyDurationSeconds: () => fixed }),
  });
  process.stdout.write(`AWS emulator listening on ${emulator.endpoint}\n`);
  process.stdout.write(
    `Try: AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --endpoint-url ${emulator.endpoint} ec2 describe-snapshots --region us-east-1\n`,
  );
  const shutdown = () => {
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`local:aws failed: ${(err as Error).message}\n`);
  process.exit(1);
});
