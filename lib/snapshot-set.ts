import {
  CreateSnapshotsCommand,
  CreateTagsCommand,
  DescribeSnapshotsCommand,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
} from "@aws-sdk/client-ssm";
import {
  type Consistency,
  type ConsistencyPolicy,
  FALLBACK_TAG,
  type SetOutcome,
  setIdOf,
  VSS_DOCUMENT,
} from "./consistency";
import type { Deps } from "./deps";
import type { DriveItem } from "./drive";
import { deleteSnapshots } from "./prune";
import { backoffMs, createOrAdopt, describeError, isThrottle, mustWaitTurn, withRetry } from "./retry";
import { TAG, type TagMap, toTagList, toTagMap } from "./tags";

/** The pre step is tried this many times before the server falls back (DLM retries it too). */
export const PRE_ATTEMPTS = 3;
/** Beyond the freeze timeout, how long a command may take to reach the agent and report. */
const DELIVERY_ALLOWANCE_SECONDS = 5;
/** How long snapfleet waits for the post step; the watchdog thaws anyway when it does not answer. */
const POST_WAIT_SECONDS = 30;
const POLL_MS = 1000;

export interface SetProps {
  runId: string;
  region: string;
  instanceId: string;
  host: string;
  consistency: ConsistencyPolicy & {
    /** The root volume is not selected (its volume tag opts it out). */
    excludeBoot?: boolean | undefined;
    /** Attached data volumes that are not selected. */
    excludeDataVolumeIds?: string[] | undefined;
  };
  drives: DriveItem[];
  /** The previous attempt ended without an answer: adopt a set it may have created. */
  uncertain: boolean;
  /** The stack's built-in Linux document (fsfreeze with a watchdog). */
  freezeDocument: string;
}

type StepResult = { ok: true; at: Date } | { ok: false; reason: string; final?: boolean };

/**
 * One server's snapshot set: for `application`, the pre script (bounded retries; an agent that is
 * not online falls back at once), then one CreateSnapshots call for every selected drive, then the
 * post script, which never runs after a failed pre step. Each snapshot gets its drive's tags; the
 * drives' steps then follow their snapshot as they follow one of their own.
 */
export async function takeSet(props: SetProps, deps: Deps): Promise<SetOutcome> {
  const { consistency: policy } = props;
  const setId = setIdOf(props.runId, props.instanceId);
  if (props.uncertain) {
    const found = await findSet(props, setId, deps);
    if (found) return found;
  }
  const errorsDeleted: Record<string, string[]> = {};
  for (const drive of props.drives) {
    if (!drive.cleanup?.length) continue;
    const outcome = await deleteSnapshots(drive.region, drive.cleanup, deps, {
      instanceId: drive.instanceId,
      volumeId: drive.volumeId,
    });
    errorsDeleted[drive.volumeId] = outcome.deleted;
  }
  const reasons: string[] = policy.problem ? [policy.problem] : [];
  let mode: Consistency = policy.requested === "volume" ? "instance" : policy.requested;
  let frozen: Extract<StepResult, { ok: true }> | undefined;
  const script = scriptOf(props);
  if (mode === "application") {
    const pre = await runPre(props, script, deps);
    if (pre.ok) frozen = pre;
    else {
      if (policy.fallback === "skip")
        return {
          mode: "skipped",
          requested: policy.requested,
          reason: [...reasons, `${pre.reason}; not backed up (${FALLBACK_TAG}=skip)`].join(" "),
          snapshots: {},
          errorsDeleted,
        };
      mode = "instance";
      reasons.push(`${pre.reason}; a crash-consistent set was taken instead`);
    }
  }
  let created: { startTime: Date; snapshots: Snapshot[]; answeredAt: Date };
  try {
    created = await createSet(props, mode, setId, deps);
  } catch (error) {
    let postProblem: string | undefined;
    if (frozen) postProblem = await runPost(props, script, deps);
    return {
      mode: "volume",
      requested: policy.requested,
      reason: [
        ...reasons,
        `CreateSnapshots for ${props.instanceId} failed (${describeError(error)}); each drive was snapshotted on its own`,
      ].join(" "),
      snapshots: {},
      errorsDeleted,
      ...(postProblem ? { postProblem } : {}),
    };
  }
  let postProblem: string | undefined;
  if (frozen) {
    postProblem = await runPost(props, script, deps);
    const heldSeconds = (created.answeredAt.getTime() - frozen.at.getTime()) / 1000;
    if (heldSeconds > policy.timeoutSeconds) {
      mode = "instance";
      reasons.push(
        `the set started ${heldSeconds.toFixed(1)} s after the freeze, past its ${policy.timeoutSeconds} s timeout (BackupFreezeTimeout): the file systems may have been thawed, so it counts as crash-consistent`,
      );
    }
  }
  const snapshots = await tagExtras(props, created.snapshots, setId, deps);
  return {
    mode,
    requested: policy.requested,
    ...(reasons.length > 0 ? { reason: reasons.join(" ") } : {}),
    setId,
    startTime: created.startTime.toISOString(),
    snapshots,
    errorsDeleted,
    ...(postProblem ? { postProblem } : {}),
  };
}

interface Script {
  document: string;
  pre: Record<string, string[]>;
  post: Record<string, string[]>;
}

/**
 * The operator's document is called as DLM calls one (parameter `command` = pre-script or
 * post-script); Windows uses AWS's VSS document; Linux the stack's fsfreeze document.
 */
function scriptOf(props: SetProps): Script {
  const { consistency: policy } = props;
  if (policy.document)
    return {
      document: policy.document,
      pre: { command: ["pre-script"] },
      post: { command: ["post-script"] },
    };
  if (policy.platform === "windows")
    return { document: VSS_DOCUMENT, pre: { Action: ["Freeze"] }, post: { Action: ["Thaw"] } };
  const timeout = [String(policy.timeoutSeconds)];
  return {
    document: props.freezeDocument,
    pre: { command: ["pre-script"], timeoutSeconds: timeout },
    post: { command: ["post-script"], timeoutSeconds: timeout },
  };
}

async function runPre(props: SetProps, script: Script, deps: Deps): Promise<StepResult> {
  const online = await agentOnline(props, deps);
  if (online !== true) return { ok: false, reason: online };
  const failures: string[] = [];
  for (let attempt = 1; attempt <= PRE_ATTEMPTS; attempt += 1) {
    const result = await runCommand(
      props,
      script.document,
      script.pre,
      props.consistency.timeoutSeconds + DELIVERY_ALLOWANCE_SECONDS,
      deps,
    );
    if (result.ok) return result;
    failures.push(result.reason);
    if (result.final) break;
  }
  return {
    ok: false,
    reason: `the pre script (${script.document}) failed ${failures.length} time(s): ${[...new Set(failures)].join("; ")}`,
  };
}

/** The post step's problem, if any. The watchdog (or VSS's own limit) thaws when this fails. */
async function runPost(props: SetProps, script: Script, deps: Deps): Promise<string | undefined> {
  const result = await runCommand(props, script.document, script.post, POST_WAIT_SECONDS, deps);
  if (result.ok) return undefined;
  deps.log.warn("post script failed", { instanceId: props.instanceId, reason: result.reason });
  return `the post script (${script.document}) ${result.reason}; the freeze ended by its timeout`;
}

/** `true`, or why Run Command cannot reach the server now (not managed, or not online). */
async function agentOnline(props: SetProps, deps: Deps): Promise<true | string> {
  try {
    const answer = await withRetry(
      () =>
        deps.ssm.send(
          new DescribeInstanceInformationCommand({
            Filters: [{ Key: "InstanceIds", Values: [props.instanceId] }],
          }),
        ),
      deps,
      "DescribeInstanceInformation",
    );
    const info = answer.InstanceInformationList?.[0];
    if (!info) return `${props.instanceId} is not a managed instance (no SSM agent registered)`;
    if (info.PingStatus !== "Online")
      return `the SSM agent of ${props.instanceId} is not online (PingStatus ${info.PingStatus})`;
    return true;
  } catch (error) {
    return `cannot ask SSM about ${props.instanceId}: ${describeError(error)}`;
  }
}

const TERMINAL = new Set(["Success", "Failed", "Cancelled", "TimedOut"]);

/** Sends one command to the server and follows it until it ends or `waitSeconds` pass. */
async function runCommand(
  props: SetProps,
  document: string,
  parameters: Record<string, string[]>,
  waitSeconds: number,
  deps: Deps,
): Promise<StepResult> {
  let commandId: string;
  try {
    const sent = await withRetry(
      () =>
        deps.ssm.send(
          new SendCommandCommand({
            DocumentName: document,
            InstanceIds: [props.instanceId],
            Parameters: parameters,
            TimeoutSeconds: 30,
            Comment: `snapfleet ${props.runId}`.slice(0, 100),
          }),
        ),
      deps,
      "SendCommand",
    );
    commandId = sent.Command?.CommandId ?? "";
  } catch (error) {
    // A refused request (no permission, unknown document, unmanaged instance) will not change on retry.
    return { ok: false, reason: `SendCommand refused: ${describeError(error)}`, final: !isThrottle(error) };
  }
  const deadline = deps.clock.now().getTime() + waitSeconds * 1000;
  while (deps.clock.now().getTime() < deadline) {
    await deps.clock.sleep(POLL_MS);
    try {
      const invocation = await deps.ssm.send(
        new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: props.instanceId }),
      );
      const status = invocation.Status ?? "";
      if (status === "Success") return { ok: true, at: deps.clock.now() };
      if (TERMINAL.has(status))
        return {
          ok: false,
          reason: `ended ${status}${invocation.StatusDetails && invocation.StatusDetails !== status ? ` (${invocation.StatusDetails})` : ""}${invocation.ResponseCode !== undefined && invocation.ResponseCode >= 0 ? ` with exit code ${invocation.ResponseCode}` : ""}`,
        };
    } catch (error) {
      // Asked before the invocation exists (InvocationDoesNotExist), or throttled: ask again.
      if ((error as { name?: string }).name !== "InvocationDoesNotExist" && !isThrottle(error))
        return { ok: false, reason: `GetCommandInvocation failed: ${describeError(error)}` };
    }
  }
  return { ok: false, reason: `did not finish within ${waitSeconds} s` };
}

async function createSet(
  props: SetProps,
  mode: Consistency,
  setId: string,
  deps: Deps,
): Promise<{ startTime: Date; snapshots: Snapshot[]; answeredAt: Date }> {
  const common: TagMap = {
    [TAG.managed]: "true",
    [TAG.run]: props.runId,
    [TAG.instanceId]: props.instanceId,
    [TAG.host]: props.host,
    [TAG.consistency]: mode,
    [TAG.set]: setId,
  };
  const excluded = props.consistency.excludeDataVolumeIds ?? [];
  const request = () =>
    deps.ec2(props.region).send(
      new CreateSnapshotsCommand({
        InstanceSpecification: {
          InstanceId: props.instanceId,
          ExcludeBootVolume: props.consistency.excludeBoot ?? false,
          ...(excluded.length > 0 ? { ExcludeDataVolumeIds: excluded } : {}),
        },
        Description: `snapfleet ${props.runId} ${props.host} (${mode} set)`,
        TagSpecifications: [{ ResourceType: "snapshot", Tags: toTagList(common) }],
      }),
    );
  // Throttled, or a volume at its pending-snapshot limit or 15 s rate (an overlapping run): the
  // call did nothing, so it is repeated a while. An answer lost in flight may hide a set that was
  // made: it is looked for by its snapfleet:set tag before another is requested.
  const create = async () => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return (await request()).Snapshots ?? [];
      } catch (error) {
        // All or nothing: a refused call made no snapshot.
        if (!mustWaitTurn(error) || attempt >= 8) throw error;
        await deps.clock.sleep(backoffMs(attempt, { baseMs: 2000, maxMs: 30_000 }));
      }
    }
  };
  const snapshots = await createOrAdopt(
    create,
    async () => {
      const found = await listSet(props.region, setId, deps);
      return found.length > 0 ? found : undefined;
    },
    false,
    deps,
  );
  const startTime = snapshots[0]?.StartTime ?? deps.clock.now();
  deps.log.info("snapshot set started", {
    instanceId: props.instanceId,
    mode,
    snapshots: snapshots.map((s) => s.SnapshotId),
  });
  return { startTime: new Date(startTime), snapshots, answeredAt: deps.clock.now() };
}

/**
 * The set's snapshot of each planned drive, by volume. Each drive's own step gives its snapshot the
 * drive's tags (one CreateSnapshots call tags every snapshot alike). A volume attached after Plan
 * listed the instance has no step: it gets `snapfleet:volume-id` here, so later runs keep and prune
 * it like any other; failing that, it stays listed as "not ours" and is never deleted.
 */
async function tagExtras(
  props: SetProps,
  snapshots: Snapshot[],
  setId: string,
  deps: Deps,
): Promise<Record<string, string>> {
  const planned = new Set(props.drives.map((d) => d.volumeId));
  const byVolume: Record<string, string> = {};
  for (const snapshot of snapshots) {
    const volumeId = snapshot.VolumeId ?? "";
    const snapshotId = snapshot.SnapshotId ?? "";
    if (planned.has(volumeId)) {
      byVolume[volumeId] = snapshotId;
      continue;
    }
    try {
      await withRetry(
        () =>
          deps.ec2(props.region).send(
            new CreateTagsCommand({
              Resources: [snapshotId],
              Tags: toTagList({ [TAG.volumeId]: volumeId, [TAG.set]: setId }),
            }),
          ),
        deps,
        "CreateTags",
      );
    } catch (error) {
      deps.log.warn("could not tag a snapshot of a volume attached after the plan", {
        snapshotId,
        volumeId,
        error: describeError(error),
      });
    }
  }
  return byVolume;
}

/** The set an earlier attempt created (by its `snapfleet:set` tag), finished as that one would have. */
async function findSet(props: SetProps, setId: string, deps: Deps): Promise<SetOutcome | undefined> {
  const found = await listSet(props.region, setId, deps);
  if (found.length === 0) return undefined;
  const recorded = toTagMap(found[0]?.Tags)[TAG.consistency];
  const mode: Consistency = recorded === "application" ? "application" : "instance";
  const snapshots = await tagExtras(props, found, setId, deps);
  return {
    mode,
    requested: props.consistency.requested,
    reason:
      "the set step was interrupted after CreateSnapshots; its set was adopted (the post script, if any, was not confirmed; the watchdog ends a freeze by its timeout)",
    setId,
    startTime: new Date(found[0]?.StartTime ?? deps.clock.now()).toISOString(),
    snapshots,
  };
}

/** The snapshots of one set, by its snapfleet:set tag. */
async function listSet(region: string, setId: string, deps: Deps): Promise<Snapshot[]> {
  const answer = await withRetry(
    () =>
      deps.ec2(region).send(
        new DescribeSnapshotsCommand({
          OwnerIds: ["self"],
          Filters: [{ Name: `tag:${TAG.set}`, Values: [setId] }],
        }),
      ),
    deps,
    "DescribeSnapshots",
  );
  return answer.Snapshots ?? [];
}
