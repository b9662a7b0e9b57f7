import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { VirtualClock } from "../clock";
import type { LocalHandler } from "../runner";
import { type EmulatorClock, RealClock } from "./clock";
import { CLOUDWATCH_XMLNS, CloudWatchService } from "./cloudwatch";
import { Ec2Service } from "./ec2";
import { defaultSnapshotDurationSeconds } from "./ec2/model";
import { AwsError } from "./errors";
import { EventsService, type RuleDefinition } from "./events";
import type { FaultStats } from "./faults/injector";
import type { FaultPlan } from "./faults/plan";
import { IamAuthorizer, type IamOptions } from "./iam";
import { validationError } from "./models/validate";
import { RequestPolicy } from "./policy";
import { QUERY_BODY_LIMIT, readBody, S3_BODY_LIMIT } from "./protocol/body";
import { bool } from "./protocol/input";
import { ec2Reply, jsonReply, queryReply, type Reply } from "./protocol/wire";
import type { QuotaOptions, QuotaStats } from "./quotas";
import { asAwsError, errorReply, unknownServiceError } from "./replies";
import { envelope, type Route, route } from "./routing";
import { isS3Request, type S3Reply, S3Service, s3ErrorReply } from "./s3";
import { SNS_XMLNS, type SnsMessage, SnsService } from "./sns";
import { type AgentBehaviour, type AgentInvocationRecord, type AgentLogEvent, SsmService } from "./ssm";
import { StepFunctionsService } from "./stepfunctions";

export interface EmulatorOptions<C extends EmulatorClock = EmulatorClock> {
  port?: number;
  host?: string;
  /** Simulated time (a `VirtualClock`); real time when absent. */
  clock?: C;
  accountId?: string;
  snapshotDurationSeconds?: (sizeGiB: number) => number;
  copyDurationSeconds?: (sizeGiB: number) => number;
  /** AWS's API throttling and EBS limits (`quotas/config.ts`): on by default, `false` turns them off. */
  quotas?: boolean | QuotaOptions;
  /** Faults to inject during the run (`faults/plan.ts`); none by default. */
  faults?: FaultPlan;
  /** KMS keys per region (ids, aliases or ARNs); a region not listed accepts any key. */
  kmsKeys?: Record<string, string[]>;
  /** IAM enforcement for the listed access keys (`iam/index.ts`); other keys are unrestricted. */
  iam?: IamOptions;
  /** Image ids whose instances are Windows (besides registered images named `Windows*`). */
  windowsImageIds?: string[];
  /** The simulated SSM agents' initial behaviour (`ssm/agent.ts`): `default` for every instance, else per instance id. */
  ssmAgents?: { default?: AgentBehaviour; instances?: Record<string, AgentBehaviour> };
  /**
   * In real time, Step Functions' Wait states last this many seconds instead of their own duration,
   * so runs whose waits are planned for AWS's snapshot times can be tried by hand (`npm run local:aws`).
   */
  waitSeconds?: number;
}

/** A message SNS received, as `Emulator.published()` returns it. */
export type PublishedMessage = SnsMessage;

export interface ReceivedMetric {
  region: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  timestamp: Date;
  value: number;
  unit?: string;
}

/** `clock` is the clock given in the options (a `VirtualClock` in tests), else a `RealClock`. */
export interface Emulator<C extends EmulatorClock = VirtualClock> {
  endpoint: string;
  port: number;
  clock: C;
  published(): PublishedMessage[];
  metrics(): ReceivedMetric[];
  requests(): { region: string; service: string; action: string }[];
  /** Calls refused by a token bucket or an EBS limit, by region and action. */
  quotaStats(): QuotaStats;
  /** Faults injected by the fault plan. */
  faultStats(): FaultStats;
  /** Replaces the fault plan (once the run's resources exist), with fresh counters; `undefined` for none. */
  setFaults(plan: FaultPlan | undefined): void;
  /** Evaluates the metric alarms for every whole minute of `clock` time since the last evaluation. */
  evaluateAlarms(): void;
  /** Replaces the IAM enforcement (e.g. once the stack's topic and bucket exist); `undefined` for none. */
  setIam(iam: IamOptions | undefined): void;
  /** Sets how the SSM agent of one instance treats the commands sent from now on (`ssm/agent.ts`). */
  ssmAgent(instanceId: string, behaviour: AgentBehaviour): void;
  /** Sets the behaviour of every instance's agent that has none of its own. */
  ssmAgentDefault(behaviour: AgentBehaviour): void;
  /** The freezes and thaws of the instance's file systems up to the clock's now, oldest first. */
  ssmAgentLog(instanceId: string): AgentLogEvent[];
  /** The commands the agents received (of one instance, or all), with their parameters and state now. */
  ssmInvocations(instanceId?: string): AgentInvocationRecord[];
  /**
   * The code behind a Lambda function's ARN: Step Functions' Task states that name the ARN call it
   * (the emulator holds no function code; the stack layer registers the handlers).
   */
  registerFunction(arn: string, invoke: LocalHandler): void;
  /** Creates (or replaces) an EventBridge scheduled rule and its targets, as CloudFormation would. */
  putRule(rule: RuleDefinition): string;
  /** Resolves once no Step Functions execution is running. */
  executionsIdle(): Promise<void>;
  stop(): Promise<void>;
}

interface Services {
  ec2: Ec2Service;
  cloudwatch: CloudWatchService;
  sns: SnsService;
  ssm: SsmService;
  stepfunctions: StepFunctionsService;
  events: EventsService;
}

/** `refused`: the error the region check, quotas or the fault plan answer instead of the service. */
function dispatch(services: Services, r: Route, requestId: string, refused?: AwsError): Reply {
  try {
    if (refused) throw refused;
    if (r.unknownService !== undefined) throw unknownServiceError(r);
    if (r.service === undefined) {
      throw new AwsError("InvalidAction", `Could not determine the service for action '${r.action}'`);
    }
    if (r.action === "") throw new AwsError("MissingAction", "The request must contain the parameter Action");
    if (r.service === "ec2")
      return ec2Reply(r.action, services.ec2.handle(r.region, r.action, r.input), requestId);
    if (r.service === "ssm") {
      return jsonReply(
        services.ssm.handle(r.region, r.action, r.input),
        requestId,
        "application/x-amz-json-1.1",
      );
    }
    if (r.service === "sns") {
      return queryReply(r.action, SNS_XMLNS, services.sns.handle(r.region, r.action, r.input), requestId);
    }
    if (r.service === "stepfunctions")
      return jsonReply(services.stepfunctions.handle(r.region, r.action, r.input), requestId);
    if (r.service === "events") {
      const reply = jsonReply(services.events.handle(r.region, r.action, r.input), requestId);
      return { ...reply, headers: { ...reply.headers, "content-type": "application/x-amz-json-1.1" } };
    }
    const output = services.cloudwatch.handle(r.region, r.action, r.input);
    return r.protocol === "json"
      ? jsonReply(output, requestId)
      : queryReply(r.action, CLOUDWATCH_XMLNS, output, requestId);
  } catch (err) {
    return errorReply(r, asAwsError(err, r.protocol), requestId);
  }
}

/**
 * EC2's `DryRun=true`: the permission check alone. After IAM allowed the call, it is answered with
 * `DryRunOperation` (HTTP 412) and nothing runs: no operation, no quota token, no fault.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (DryRunOperation)
 */
function isDryRun(r: Route): boolean {
  return r.service === "ec2" && Ec2Service.handles(r.action) && bool(r.input, "DryRun") === true;
}

function dryRunOperation(): AwsError {
  return new AwsError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412);
}

/**
 * Answers a request refused before its body was read whole, then closes the connection: the rest of
 * the body is discarded as it arrives (never stored), and the socket is dropped after a grace period
 * that lets the client read the answer.
 */
function refuseEarly(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  const socket = req.socket;
  res.writeHead(reply.status, {
    ...reply.headers,
    "content-length": Buffer.byteLength(reply.body),
    connection: "close",
  });
  res.end(reply.body);
  req.on("data", () => {});
  req.resume();
  const timer = setTimeout(() => socket.destroy(), 1000);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
}

function toReceivedMetrics(services: Services): ReceivedMetric[] {
  return services.cloudwatch.received.flatMap((d) =>
    d.values.map((value) => ({
      region: d.region,
      namespace: d.namespace,
      metricName: d.metricName,
      dimensions: Object.fromEntries(d.dimensions.map((x) => [x.Name, x.Value])),
      timestamp: d.timestamp,
      value,
      ...(d.unit !== undefined ? { unit: d.unit } : {}),
    })),
  );
}

/** Starts the emulator on 127.0.0.1 (an ephemeral port unless `port` is given). */
export async function startEmulator<C extends EmulatorClock = RealClock>(
  options: EmulatorOptions<C> = {},
): Promise<Emulator<C>> {
  const clock = options.clock ?? (new RealClock() as EmulatorClock as C);
  const accountId = options.accountId ?? "000000000000";
  const snapshotDurationSeconds = options.snapshotDurationSeconds ?? defaultSnapshotDurationSeconds;
  const policy = new RequestPolicy({
    quotas: options.quotas,
    faults: options.faults,
    kmsKeys: options.kmsKeys,
    clock,
    accountId,
    ec2: () => services.ec2,
  });
  const services: Services = {
    ec2: new Ec2Service({
      clock,
      accountId,
      snapshotDurationSeconds,
      copyDurationSeconds: options.copyDurationSeconds ?? snapshotDurationSeconds,
      policy: policy.ec2Policy,
      ...(options.windowsImageIds ? { windowsImageIds: options.windowsImageIds } : {}),
    }),
    cloudwatch: new CloudWatchService(clock, accountId, (region, input) => {
      services.sns.handle(region, "Publish", input);
    }),
    sns: new SnsService(clock, accountId),
    ssm: new SsmService({ clock, accountId, ec2: (r) => services.ec2.regionState(r) }),
    stepfunctions: new StepFunctionsService({
      clock,
      accountId,
      endpoint: () => endpoint,
      waitSeconds: options.waitSeconds,
    }),
    events: new EventsService(
      clock,
      accountId,
      (target, payload) => {
        if (!target.Arn.includes(":states:")) return;
        services.stepfunctions.startExecution({ stateMachineArn: target.Arn, input: payload });
      },
      !(clock instanceof VirtualClock),
    ),
  };
  if (options.ssmAgents?.default) services.ssm.agents.setDefault(options.ssmAgents.default);
  for (const [id, b] of Object.entries(options.ssmAgents?.instances ?? {})) services.ssm.agents.set(id, b);
  let endpoint = "";
  // On simulated time, a schedule's runs happen as the clock reaches them.
  const unsubscribe =
    clock instanceof VirtualClock ? clock.onTimeChange(() => services.events.tick()) : () => {};
  const log: { region: string; service: string; action: string }[] = [];
  const iam = new IamAuthorizer(options.iam, {
    accountId,
    clock,
    ec2State: (r) => services.ec2.regionState(r),
    ssmDocumentTags: (r, name) => services.ssm.regionState(r).documents.get(name)?.tags,
  });
  const s3 = new S3Service(clock);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const env = envelope(req.headers);
    const s3Request = isS3Request(req.headers);
    readBody(req, s3Request ? S3_BODY_LIMIT : QUERY_BODY_LIMIT, s3Request)
      .then((raw) => {
        const body = raw.toString("utf8");
        const requestId = randomUUID();
        services.cloudwatch.evaluateAlarms();
        if (s3Request) {
          let s3Reply: Omit<S3Reply, "action"> & { action: string };
          try {
            s3Reply = iam.handleS3(req.method ?? "GET", req.url ?? "/", req.headers, requestId, () =>
              s3.handle(req.method ?? "GET", req.url ?? "/", req.headers, raw, requestId),
            );
          } catch (err) {
            // A percent-encoding that does not decode: S3's InvalidURI (400), not a 500.
            const error =
              err instanceof URIError
                ? new AwsError("InvalidURI", "Couldn't parse the specified URI.")
                : asAwsError(err, "query");
            s3Reply = { ...s3ErrorReply(error, requestId), action: "Unknown" };
          }
          log.push({ region: "global", service: "s3", action: s3Reply.action });
          res.writeHead(s3Reply.status, {
            ...s3Reply.headers,
            "content-length": s3Reply.headers["content-length"] ?? Buffer.byteLength(s3Reply.body),
          });
          res.end(s3Reply.body);
          return;
        }
        let reply: Reply;
        try {
          const r = route(env, req.headers, req.url ?? "/", body);
          log.push({ region: r.region, service: r.service ?? "unknown", action: r.action });
          if (r.refusal || r.unknownService !== undefined) {
            reply = dispatch(services, r, requestId, r.refusal);
          } else {
            const invalid = r.service && validationError(r.service, r.protocol, r.action, r.input);
            const denied = invalid ?? iam.authorize(r, req.headers);
            const dryRun = isDryRun(r);
            const admission = denied
              ? ({ kind: "fail", error: denied } as const)
              : dryRun
                ? ({ kind: "fail", error: dryRunOperation() } as const)
                : policy.admit(r);
            if (admission.kind === "timeout") {
              policy.stall(r, admission.fault, req, res, () => dispatch(services, r, requestId));
              return;
            }
            reply = dispatch(services, r, requestId, admission.kind === "fail" ? admission.error : undefined);
            if (!dryRun) policy.handled(r);
          }
        } catch (err) {
          reply = errorReply(env, asAwsError(err, env.protocol), requestId);
        }
        res.writeHead(reply.status, { ...reply.headers, "content-length": Buffer.byteLength(reply.body) });
        res.end(reply.body);
      })
      .catch((err: unknown) => {
        const requestId = randomUUID();
        const error = asAwsError(err, env.protocol);
        if (s3Request) {
          refuseEarly(req, res, s3ErrorReply(error, requestId));
          return;
        }
        refuseEarly(req, res, errorReply(env, error, requestId));
      });
  });

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://${host}:${port}`;

  return {
    endpoint,
    port,
    clock,
    published: () => services.sns.published.map((m) => ({ ...m })),
    metrics: () => toReceivedMetrics(services),
    requests: () => log.map((r) => ({ ...r })),
    quotaStats: () => policy.quotaStats(),
    faultStats: () => policy.faultStats(),
    setFaults: (plan) => policy.setFaults(plan),
    evaluateAlarms: () => services.cloudwatch.evaluateAlarms(),
    setIam: (options) => iam.setOptions(options),
    ssmAgent: (instanceId, behaviour) => services.ssm.agents.set(instanceId, behaviour),
    ssmAgentDefault: (behaviour) => services.ssm.agents.setDefault(behaviour),
    ssmAgentLog: (instanceId) => services.ssm.agents.log(instanceId),
    ssmInvocations: (instanceId) => services.ssm.agents.invocations(instanceId),
    registerFunction: (arn, invoke) => services.stepfunctions.registerFunction(arn, invoke),
    putRule: (rule) => services.events.putRule(rule),
    executionsIdle: () => services.stepfunctions.idle(),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        unsubscribe();
        services.events.stop();
        services.stepfunctions.stopAll();
        policy.close();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
