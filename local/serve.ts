import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { type EmulatorCliOptions, emulatorCommand, startFromOptions, stopOnSignal } from "./aws/main";

/**
 * `npm run local:aws`: the embedded AWS in real time with the packaged stack "deployed" on it, as
 * after `sls deploy`: the functions (configured from the template), the run bucket, IAM, alarms, the
 * backup and restore state machines and the schedule. `--demo` adds the demo fleet to back up.
 * Runs until SIGINT/SIGTERM.
 */
interface ServeOptions extends EmulatorCliOptions {
  stack: boolean;
  demo?: boolean;
  region: string;
  drRegion: string;
  schedule?: string;
  logLevel: string;
}

async function main(): Promise<void> {
  const program = emulatorCommand(
    "local:aws",
    "The embedded AWS on 127.0.0.1 with the snapfleet stack applied (functions, state machines, schedule, alarms)",
  )
    .option("--demo", "create the demo fleet (local/demo.ts) so that a run has something to back up")
    .option("--no-stack", "serve the bare emulator, without the snapfleet stack")
    .option("--region <region>", "the stack's region", "us-east-1")
    .option("--dr-region <region>", "the stack's DR region (parameter DrRegion)", "us-west-2")
    .option(
      "--schedule <expression>",
      "the backup schedule instead of the stack's default, e.g. 'rate(10 minutes)'",
    )
    .option("--log-level <level>", "the functions' log level (Powertools), printed on stderr", "WARN")
    .parse();
  const opts = program.opts<ServeOptions>();
  // The handlers' logger reads these when it is created, so before the stack code is loaded.
  process.env.POWERTOOLS_LOG_LEVEL = opts.logLevel;
  process.env.POWERTOOLS_DEV ??= "true";
  console.log = (...args: unknown[]) => console.error(...args);
  // Runs are planned for AWS's snapshot times; with short snapshots, short Waits let them finish soon.
  if (opts.waitSeconds === undefined && opts.snapshotSeconds !== undefined)
    opts.waitSeconds = String(Math.max(1, Number(opts.snapshotSeconds)));
  const { emulator, faults } = await startFromOptions(opts);
  const out = (line = "") => process.stdout.write(`${line}\n`);
  out(`AWS emulator listening on ${emulator.endpoint}`);
  if (faults) out(`Fault plan ${opts.faults} loaded`);
  stopOnSignal(emulator);
  const env = `AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=${opts.region} AWS_DEFAULT_REGION=${opts.region}`;
  if (!opts.stack) {
    out(`Try: ${env} aws --endpoint-url ${emulator.endpoint} ec2 describe-snapshots`);
    return;
  }
  const { localConfig } = await import("./cycle");
  const { applyStack } = await import("./stack-on-emulator");
  const credentials = { accessKeyId: "snapfleet-local-setup", secretAccessKey: "local" };
  let topicArn: string;
  if (opts.demo) {
    const { createDemoFleet } = await import("./demo");
    const fleet = await createDemoFleet({
      endpoint: emulator.endpoint,
      region: opts.region,
      drRegion: opts.drRegion,
    });
    topicArn = fleet.topicArn;
    out(`Demo fleet: ${Object.keys(fleet.instances).length} instances in ${opts.region}`);
  } else {
    const sns = new SNSClient({ endpoint: emulator.endpoint, region: opts.region, credentials });
    topicArn = (await sns.send(new CreateTopicCommand({ Name: "snapfleet-dev-alarms" }))).TopicArn ?? "";
    sns.destroy();
  }
  const config = localConfig({
    region: opts.region,
    drRegion: opts.drRegion,
    topicArn,
    endpoint: emulator.endpoint,
  });
  const stack = await applyStack(emulator, config, {
    iam: true,
    alarms: true,
    stateMachines: true,
    schedule: true,
    ...(opts.schedule ? { scheduleExpression: opts.schedule } : {}),
  });
  const backup = stack.stateMachines.BackupStateMachine ?? "";
  out(
    `Stack applied: ${Object.values(stack.stateMachines).join(", ")}; ${stack.alarms.length} alarms; bucket ${config.bucket}`,
  );
  out(`Schedule: ${stack.rules.join(", ")} (${opts.schedule ?? "the stack's ScheduleExpression"})`);
  out("");
  out("Start a backup run and read its result:");
  out(`  export ${env}`);
  out(
    `  aws --endpoint-url ${emulator.endpoint} stepfunctions start-execution --state-machine-arn ${backup}`,
  );
  out(
    `  aws --endpoint-url ${emulator.endpoint} stepfunctions describe-execution --execution-arn <executionArn>`,
  );
  out("Or follow it with its progress and report:");
  out(`  AWS_ENDPOINT_URL=${emulator.endpoint} npx snapfleet run --wait`);
}

main().catch((err: unknown) => {
  process.stderr.write(`local:aws failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
