import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import type { Config } from "../lib/config";
import type { EmulatorClock } from "./aws/clock";
import type { Emulator } from "./aws/server";
import {
  defaultPhysicalIds,
  installStackAlarms,
  installStackDocuments,
  loadPackagedTemplate,
  policyFromTemplate,
  ruleViolations,
} from "./stack";
import { installFunctions, installSchedules, installStateMachines } from "./stack-workflows";

/**
 * What `sls deploy` would set up, applied to the embedded AWS from the packaged template itself:
 * the run-manifest bucket, the functions' IAM policy enforced for the key the local handlers sign
 * with, and the stack's alarms (PutMetricAlarm). Nothing is copied from serverless.yml by hand.
 */
export const LOCAL_SETUP_CREDENTIALS = { accessKeyId: "snapfleet-local-setup", secretAccessKey: "local" };

/** The access key the local handlers sign with (as the Lambda role would). */
export function handlerAccessKey(): string {
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  return process.env.AWS_ACCESS_KEY_ID;
}

export async function createRunBucket(config: Config): Promise<void> {
  const s3 = new S3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
    credentials: LOCAL_SETUP_CREDENTIALS,
  });
  await s3.send(new CreateBucketCommand({ Bucket: config.bucket }));
}

export interface StackOnEmulatorOptions {
  iam?: boolean;
  alarms?: boolean;
  /** The functions (real handlers, configured from the template) and the state machines. */
  stateMachines?: boolean;
  /** The EventBridge schedule too (it starts runs as the emulator's clock reaches its times). */
  schedule?: boolean;
  /** Instead of the template's ScheduleExpression default, e.g. `rate(10 minutes)`. */
  scheduleExpression?: string;
}

export interface AppliedStack {
  alarms: string[];
  /** Logical id -> ARN (BackupStateMachine, RestoreStateMachine). */
  stateMachines: Record<string, string>;
  /** Scheduled rules' ARNs. */
  rules: string[];
}

export async function applyStack<C extends EmulatorClock>(
  emulator: Emulator<C>,
  config: Config,
  options: StackOnEmulatorOptions = { iam: true, alarms: true },
): Promise<AppliedStack> {
  const template = await loadPackagedTemplate();
  const scope = {
    region: config.region,
    parameters: {
      DrRegion: config.drRegion,
      MetricNamespace: config.metricNamespace,
      ...(options.scheduleExpression ? { ScheduleExpression: options.scheduleExpression } : {}),
    },
  };
  // As CloudFormation would, refuse parameters that break the template's Rules before creating anything.
  const violations = ruleViolations(template, scope);
  if (violations.length > 0)
    throw new Error(`the stack's rules refuse these parameters: ${violations.join(" ")}`);
  const ids = {
    ...defaultPhysicalIds(template, scope),
    AlarmTopic: config.topicArn,
    RunBucket: config.bucket,
    "RunBucket.Arn": `arn:aws:s3:::${config.bucket}`,
  };
  await createRunBucket(config);
  await installStackDocuments(template, ids, emulator.endpoint, {
    ...scope,
    credentials: LOCAL_SETUP_CREDENTIALS,
  });
  if (options.iam) {
    emulator.setIam({
      principals: {
        [handlerAccessKey()]: policyFromTemplate(template, "IamRoleLambdaExecution", ids, scope),
      },
    });
  }
  const alarms = options.alarms
    ? await installStackAlarms(template, ids, emulator.endpoint, {
        ...scope,
        credentials: LOCAL_SETUP_CREDENTIALS,
      })
    : [];
  const stateMachines: Record<string, string> = {};
  const rules: string[] = [];
  if (options.stateMachines || options.schedule) {
    handlerAccessKey();
    installFunctions(emulator, template, ids, scope);
    Object.assign(
      stateMachines,
      await installStateMachines(template, ids, scope, emulator.endpoint, LOCAL_SETUP_CREDENTIALS),
    );
  }
  if (options.schedule)
    rules.push(...installSchedules(emulator, template, { ...ids, ...stateMachines }, scope));
  return { alarms, stateMachines, rules };
}
