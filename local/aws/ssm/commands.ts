import { randomUUID } from "node:crypto";
import type { Instance } from "../ec2/model";
import { AwsError } from "../errors";
import { bool, type Input, num, obj, objList, str, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { invocationState, planCourse } from "./agent";
import { findDocument } from "./document-operations";
import { prepareStep, resolveParameters } from "./documents";
import type { Command, CommandParameters, Invocation, SsmContext } from "./model";
import { platformOf } from "./model";
import { page } from "./paging";
import { readScript } from "./script";

const DEFAULT_DELIVERY_TIMEOUT = 3600;

function invalidInstance(id: string, why: string): AwsError {
  return new AwsError("InvalidInstanceId", `Instance ${id} ${why}`);
}

/** The instance SendCommand may address: in this region, running, with a registered agent. */
function managedInstance(ctx: SsmContext, id: string): Instance {
  const instance = ctx.ec2.instances.get(id);
  if (!instance) throw invalidInstance(id, `does not exist in ${ctx.region.region}.`);
  if (instance.state !== "running")
    throw invalidInstance(id, `is ${instance.state}: commands go to running instances only.`);
  if (ctx.agents.behaviourOf(id, instance.tags).mode === "unmanaged")
    throw invalidInstance(
      id,
      "is not a managed instance: its SSM Agent is not registered with Systems Manager.",
    );
  return instance;
}

/** Targets: `InstanceIds` and `tag:<key>` (running instances of this region carrying the tag). */
function targetIds(ctx: SsmContext, input: Input): string[] {
  return objList(input, "Targets").flatMap((t) => {
    const key = str(t, "Key") ?? "";
    const values = strList(t, "Values");
    if (key === "InstanceIds") return values;
    if (key.startsWith("tag:")) {
      const tag = key.slice(4);
      return [...ctx.ec2.instances.values()]
        .filter((i) => i.state === "running" && values.includes(i.tags.get(tag) ?? "\u0000"))
        .map((i) => i.instanceId);
    }
    throw new AwsError(
      "InvalidParameters",
      `Target key '${key}' is not supported: use InstanceIds or tag:<key>.`,
    );
  });
}

function readParameters(input: Input): CommandParameters {
  const raw = obj(input, "Parameters") ?? {};
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : [String(v)]]),
  );
}

/** https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html */
export function sendCommand(ctx: SsmContext, input: Input): Output {
  const requested = [...strList(input, "InstanceIds"), ...targetIds(ctx, input)];
  if (strList(input, "InstanceIds").length === 0 && objList(input, "Targets").length === 0)
    throw new AwsError("ValidationException", "SendCommand needs InstanceIds or Targets.");
  const seen = new Set<string>();
  for (const id of requested) {
    if (seen.has(id)) throw new AwsError("DuplicateInstanceId", `Instance ${id} is listed more than once.`);
    seen.add(id);
  }
  const doc = findDocument(ctx, str(input, "DocumentName") ?? "", str(input, "DocumentVersion"));
  const given = readParameters(input);
  const values = resolveParameters(doc, given);
  const instances = requested.map((id) => managedInstance(ctx, id));
  for (const i of instances) {
    const platform = platformOf(i);
    if (!doc.platformTypes.includes(platform))
      throw new AwsError(
        "UnsupportedPlatformType",
        `Document ${doc.name} supports ${doc.platformTypes.join(", ")}; instance ${i.instanceId} is ${platform}.`,
      );
  }
  const now = ctx.clock.nowMs();
  const timeoutSeconds = num(input, "TimeoutSeconds") ?? DEFAULT_DELIVERY_TIMEOUT;
  const command: Command = {
    commandId: randomUUID(),
    documentName: doc.name,
    documentVersion: str(input, "DocumentVersion") ?? "$DEFAULT",
    comment: str(input, "Comment") ?? "",
    parameters: given,
    instanceIds: requested,
    targets: objList(input, "Targets"),
    requestedMs: now,
    timeoutSeconds,
    maxConcurrency: str(input, "MaxConcurrency") ?? "50",
    maxErrors: str(input, "MaxErrors") ?? "0",
    invocations: [],
  };
  for (const instance of instances) {
    const platform = platformOf(instance);
    const steps = doc.steps
      .filter((s) => s.platform === undefined || s.platform === platform)
      .map((s) => prepareStep(s, values));
    const readings = steps.map((s) => readScript(s.script));
    const behaviour = ctx.agents.behaviourOf(instance.instanceId, instance.tags);
    const course = planCourse(
      behaviour,
      now,
      timeoutSeconds,
      steps.reduce((sum, s) => sum + s.timeoutSeconds, 0) || 3600,
      readings.map((r) => r.stdout).join(""),
    );
    const invocation: Invocation = {
      commandId: command.commandId,
      instanceId: instance.instanceId,
      instanceName: instance.tags.get("Name"),
      documentName: doc.name,
      documentVersion: command.documentVersion,
      comment: command.comment,
      parameters: given,
      plugins: steps.map((s) => ({ name: s.name, action: s.action, script: s.script })),
      requestedMs: now,
      visibleMs: now + (behaviour.invocationDelaySeconds ?? 0.5) * 1000,
      ...course,
      effects: readings.flatMap((r) => r.effects),
    };
    command.invocations.push(invocation);
    ctx.agents.receive(invocation);
  }
  ctx.region.commands.set(command.commandId, command);
  return { Command: renderCommand(ctx, command) };
}

const TERMINAL = new Set(["Success", "Failed", "TimedOut", "Cancelled"]);

/** The command's status over its invocations: Failed or TimedOut as soon as one ends so (MaxErrors 0). */
function commandStatus(
  ctx: SsmContext,
  command: Command,
): { status: string; details: string; counts: Output } {
  const now = ctx.clock.nowMs();
  const states = command.invocations.map((i) => invocationState(i, now));
  const count = (f: (s: (typeof states)[number]) => boolean) => states.filter(f).length;
  const done = count((s) => s !== undefined && TERMINAL.has(s.status));
  const counts = {
    TargetCount: command.invocations.length,
    CompletedCount: done,
    ErrorCount: count((s) => s?.status === "Failed" || s?.details === "ExecutionTimedOut"),
    DeliveryTimedOutCount: count((s) => s?.details === "DeliveryTimedOut"),
  };
  const failed = states.find((s) => s?.status === "Failed" || s?.status === "TimedOut");
  if (done < states.length) {
    const started = states.some((s) => s !== undefined && s.status !== "Pending");
    return started || done > 0
      ? { status: "InProgress", details: "InProgress", counts }
      : { status: "Pending", details: "Pending", counts };
  }
  if (!failed) return { status: "Success", details: "Success", counts };
  return { status: failed.status, details: failed.details, counts };
}

function renderCommand(ctx: SsmContext, c: Command): Output {
  const { status, details, counts } = commandStatus(ctx, c);
  return {
    CommandId: c.commandId,
    DocumentName: c.documentName,
    DocumentVersion: c.documentVersion,
    Comment: c.comment,
    ExpiresAfter: new Date(c.requestedMs + c.timeoutSeconds * 1000),
    Parameters: c.parameters,
    InstanceIds: c.instanceIds,
    Targets: c.targets as Output,
    RequestedDateTime: new Date(c.requestedMs),
    Status: status,
    StatusDetails: details,
    MaxConcurrency: c.maxConcurrency,
    MaxErrors: c.maxErrors,
    TimeoutSeconds: c.timeoutSeconds,
    ...(counts as Record<string, Output>),
  };
}

function getCommand(ctx: SsmContext, id: string | undefined): Command | undefined {
  if (id === undefined) return undefined;
  const command = ctx.region.commands.get(id);
  if (!command)
    throw new AwsError("InvalidCommandId", `Command ${id} does not exist in ${ctx.region.region}.`);
  return command;
}

const iso = (ms: number | undefined) => (ms === undefined ? "" : new Date(ms).toISOString());

/** https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetCommandInvocation.html */
export function getCommandInvocation(ctx: SsmContext, input: Input): Output {
  const command = getCommand(ctx, str(input, "CommandId")) as Command;
  const instanceId = str(input, "InstanceId") ?? "";
  const inv = command.invocations.find((i) => i.instanceId === instanceId);
  const state = inv && invocationState(inv, ctx.clock.nowMs());
  if (!inv || !state)
    throw new AwsError(
      "InvocationDoesNotExist",
      `Command ${command.commandId} has no invocation for instance ${instanceId} (yet).`,
    );
  const pluginName = str(input, "PluginName");
  const plugin =
    pluginName === undefined
      ? inv.plugins.length <= 1
        ? inv.plugins[0]
        : undefined
      : inv.plugins.find((p) => p.name === pluginName);
  if (!plugin && (pluginName !== undefined || inv.plugins.length > 1))
    throw new AwsError(
      "InvalidPluginName",
      `Command ${command.commandId} has the steps ${inv.plugins.map((p) => p.name).join(", ")}: give one of them as PluginName.`,
    );
  const elapsed =
    state.startMs === undefined ? undefined : (state.endMs ?? ctx.clock.nowMs()) - state.startMs;
  return {
    CommandId: inv.commandId,
    InstanceId: inv.instanceId,
    Comment: inv.comment,
    DocumentName: inv.documentName,
    DocumentVersion: inv.documentVersion,
    PluginName: plugin?.name,
    ResponseCode: state.responseCode,
    ExecutionStartDateTime: iso(state.startMs),
    ExecutionElapsedTime: elapsed === undefined ? "" : `PT${elapsed / 1000}S`,
    ExecutionEndDateTime: iso(state.endMs),
    Status: state.status,
    StatusDetails: state.details,
    StandardOutputContent: state.stdout.slice(0, 24000),
    StandardOutputUrl: "",
    StandardErrorContent: state.stderr.slice(0, 8000),
    StandardErrorUrl: "",
    CloudWatchOutputConfig: { CloudWatchLogGroupName: "", CloudWatchOutputEnabled: false },
  };
}

function filterInvocations(input: Input, list: Invocation[], nowMs: number): Invocation[] {
  const filters = objList(input, "Filters").map((f) => ({
    key: str(f, "key") ?? "",
    value: str(f, "value") ?? "",
  }));
  return list.filter((inv) => {
    const state = invocationState(inv, nowMs);
    if (!state) return false;
    return filters.every(({ key, value }) => {
      if (key === "InvokedAfter") return inv.requestedMs >= Date.parse(value);
      if (key === "InvokedBefore") return inv.requestedMs <= Date.parse(value);
      if (key === "Status") return state.status === value;
      if (key === "DocumentName") return inv.documentName === value;
      if (key === "ExecutionStage") return value === (TERMINAL.has(state.status) ? "Complete" : "Executing");
      throw new AwsError("InvalidFilterKey", `Filter key '${key}' is not valid.`);
    });
  });
}

function renderInvocation(inv: Invocation, nowMs: number, details: boolean): Output {
  const state = invocationState(inv, nowMs);
  if (!state) return undefined;
  return {
    CommandId: inv.commandId,
    InstanceId: inv.instanceId,
    InstanceName: inv.instanceName ?? "",
    Comment: inv.comment,
    DocumentName: inv.documentName,
    DocumentVersion: inv.documentVersion,
    RequestedDateTime: new Date(inv.requestedMs),
    Status: state.status,
    StatusDetails: state.details,
    TraceOutput: "",
    StandardOutputUrl: "",
    StandardErrorUrl: "",
    CommandPlugins: details
      ? inv.plugins.map((p) => ({
          Name: p.name,
          Status: state.status,
          StatusDetails: state.details,
          ResponseCode: state.responseCode,
          ...(state.startMs !== undefined ? { ResponseStartDateTime: new Date(state.startMs) } : {}),
          ...(state.endMs !== undefined ? { ResponseFinishDateTime: new Date(state.endMs) } : {}),
          Output: (state.stdout + state.stderr).slice(0, 2500),
          StandardOutputUrl: "",
          StandardErrorUrl: "",
        }))
      : [],
  };
}

function commandsOf(ctx: SsmContext, input: Input): Command[] {
  const one = getCommand(ctx, str(input, "CommandId"));
  return (one ? [one] : [...ctx.region.commands.values()])
    .slice()
    .sort((a, b) => b.requestedMs - a.requestedMs);
}

/** https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListCommandInvocations.html */
export function listCommandInvocations(ctx: SsmContext, input: Input): Output {
  const now = ctx.clock.nowMs();
  const instanceId = str(input, "InstanceId");
  const all = commandsOf(ctx, input)
    .flatMap((c) => c.invocations)
    .filter((i) => instanceId === undefined || i.instanceId === instanceId);
  const matching = filterInvocations(input, all, now);
  const { items, nextToken } = page(matching, input, 50);
  return {
    CommandInvocations: items.map((i) => renderInvocation(i, now, bool(input, "Details") === true)),
    NextToken: nextToken,
  };
}

/** https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListCommands.html */
export function listCommands(ctx: SsmContext, input: Input): Output {
  const instanceId = str(input, "InstanceId");
  const now = ctx.clock.nowMs();
  const matching = commandsOf(ctx, input).filter(
    (c) =>
      (instanceId === undefined || c.instanceIds.includes(instanceId)) &&
      filterInvocations(input, c.invocations, now).length > 0,
  );
  const { items, nextToken } = page(matching, input, 50);
  return { Commands: items.map((c) => renderCommand(ctx, c)), NextToken: nextToken };
}
