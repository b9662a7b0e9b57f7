import type { EmulatorClock } from "../clock";
import type { Effect, Invocation, InvocationStatus } from "./model";

/**
 * How an instance's simulated SSM Agent treats the commands sent to it (emulator-only; a test sets
 * it with `Emulator.ssmAgent`):
 * - `succeeds` (default): runs each command for `runSeconds` (1) and reports Success, exit code 0.
 * - `slow`: the same, after `delaySeconds` (60).
 * - `fails`: exits with `responseCode` (1) after `runSeconds`; the script's effects do not happen
 *   (it is taken to have failed before them).
 * - `hangs`: its effects happen at once, then it never returns: TimedOut / ExecutionTimedOut when
 *   the execution timeout (`executionTimeout` / the step's `timeoutSeconds`, 3600 s) expires.
 * - `offline`: the instance is managed but its agent does not answer (PingStatus ConnectionLost):
 *   commands stay Pending and end TimedOut / DeliveryTimedOut after SendCommand's TimeoutSeconds.
 * - `unmanaged`: no agent registered: DescribeInstanceInformation omits it, SendCommand refuses it.
 * A command's course is fixed when it is sent, from the behaviour at that moment.
 */
export type AgentMode = "succeeds" | "slow" | "fails" | "hangs" | "offline" | "unmanaged";
export const AGENT_MODES: readonly AgentMode[] = [
  "succeeds",
  "slow",
  "fails",
  "hangs",
  "offline",
  "unmanaged",
];
/** Instance tag naming the agent's mode, for fleets built through the EC2 API (the demo). */
export const AGENT_MODE_TAG = "emulator:ssm-agent";

export interface AgentBehaviour {
  mode: AgentMode;
  /** `slow`: simulated seconds until the command succeeds (default 60). */
  delaySeconds?: number;
  /** `succeeds`, `fails`: simulated seconds a command runs (default 1). */
  runSeconds?: number;
  /** `fails`: the exit code (default 1). */
  responseCode?: number;
  /** Standard output and error to report, besides the script's own `echo` lines. */
  stdout?: string;
  stderr?: string;
  /**
   * Seconds after SendCommand before the invocation exists; until then GetCommandInvocation answers
   * InvocationDoesNotExist, as AWS does right after SendCommand (default 0.5).
   */
  invocationDelaySeconds?: number;
  agentVersion?: string;
}

export const DEFAULT_AGENT_VERSION = "3.3.1142.0";
/** VSS gives writers 10 s between freeze and thaw, then they resume I/O by themselves. */
export const VSS_FREEZE_LIMIT_SECONDS = 10;

/** A moment the instance's file systems were frozen or thawed, and what did it. */
export interface AgentLogEvent {
  at: Date;
  event: "freeze" | "thaw";
  by: "command" | "watchdog" | "vss-timeout";
  /** The command whose script (or watchdog, or VSS freeze) caused it. */
  commandId: string;
}

/** A command as the agent received it, for tests to assert what ran (`Emulator.ssmInvocations()`). */
export interface AgentInvocationRecord {
  commandId: string;
  instanceId: string;
  documentName: string;
  parameters: Record<string, string[]>;
  requestedAt: Date;
  /** Whether the agent has started it by now (false while Pending and when never delivered). */
  started: boolean;
  status: InvocationStatus;
  statusDetails: string;
}

export interface InvocationState {
  status: InvocationStatus;
  details: string;
  responseCode: number;
  stdout: string;
  stderr: string;
  startMs: number | undefined;
  endMs: number | undefined;
}

/** The state of an invocation at `nowMs`, read off its course (undefined: it does not exist yet). */
export function invocationState(inv: Invocation, nowMs: number): InvocationState | undefined {
  if (nowMs < inv.visibleMs) return undefined;
  const running = { responseCode: -1, stdout: "", stderr: "", endMs: undefined };
  if (nowMs < inv.endMs) {
    if (inv.startMs === undefined || nowMs < inv.startMs)
      return { status: "Pending", details: "Pending", ...running, startMs: undefined };
    return { status: "InProgress", details: "InProgress", ...running, startMs: inv.startMs };
  }
  return {
    status: inv.final.status,
    details: inv.final.details,
    responseCode: inv.final.responseCode,
    stdout: inv.final.stdout,
    stderr: inv.final.stderr,
    startMs: inv.startMs,
    endMs: inv.startMs === undefined ? undefined : inv.endMs,
  };
}

export interface Course {
  startMs: number | undefined;
  endMs: number;
  final: Invocation["final"];
  effectsMs: number | undefined;
}

/** The whole course of one invocation, from the behaviour, the timeouts and what the script prints. */
export function planCourse(
  b: AgentBehaviour,
  sentMs: number,
  deliveryTimeoutSeconds: number,
  executionTimeoutSeconds: number,
  scriptStdout: string,
): Course {
  if (b.mode === "offline" || b.mode === "unmanaged") {
    return {
      startMs: undefined,
      endMs: sentMs + deliveryTimeoutSeconds * 1000,
      final: { status: "TimedOut", details: "DeliveryTimedOut", responseCode: -1, stdout: "", stderr: "" },
      effectsMs: undefined,
    };
  }
  const startMs = sentMs;
  const limitMs = executionTimeoutSeconds * 1000;
  const runMs =
    b.mode === "hangs"
      ? Number.POSITIVE_INFINITY
      : (b.mode === "slow" ? (b.delaySeconds ?? 60) : (b.runSeconds ?? 1)) * 1000;
  if (runMs >= limitMs) {
    return {
      startMs,
      endMs: startMs + limitMs,
      final: {
        status: "TimedOut",
        details: "ExecutionTimedOut",
        responseCode: -1,
        stdout: scriptStdout + (b.stdout ?? ""),
        stderr: `${b.stderr ?? ""}failed to run commands: exit status 124: execution timed out after ${executionTimeoutSeconds} seconds\n`,
      },
      effectsMs: b.mode === "fails" ? undefined : startMs,
    };
  }
  if (b.mode === "fails") {
    const code = b.responseCode ?? 1;
    return {
      startMs,
      endMs: startMs + runMs,
      final: {
        status: "Failed",
        details: "Failed",
        responseCode: code,
        stdout: b.stdout ?? "",
        stderr: `${b.stderr ?? ""}failed to run commands: exit status ${code}\n`,
      },
      effectsMs: undefined,
    };
  }
  return {
    startMs,
    endMs: startMs + runMs,
    final: {
      status: "Success",
      details: "Success",
      responseCode: 0,
      stdout: scriptStdout + (b.stdout ?? ""),
      stderr: b.stderr ?? "",
    },
    effectsMs: startMs + runMs,
  };
}

interface Happening {
  at: number;
  seq: number;
  event: "freeze" | "thaw";
  by: AgentLogEvent["by"];
  commandId: string;
}

function happenings(inv: Invocation, order: number): Happening[] {
  const at = inv.effectsMs;
  if (at === undefined) return [];
  return inv.effects.flatMap((e: Effect, n): Happening[] => {
    const base = { seq: order * 1000 + n, commandId: inv.commandId };
    switch (e.kind) {
      case "freeze":
        return [{ ...base, at, event: "freeze", by: "command" }];
      case "thaw":
      case "vss-thaw":
        return [{ ...base, at, event: "thaw", by: "command" }];
      case "watchdog":
        return [{ ...base, at: at + e.seconds * 1000, event: "thaw", by: "watchdog" }];
      case "vss-freeze":
        return [
          { ...base, at, event: "freeze", by: "command" },
          { ...base, at: at + VSS_FREEZE_LIMIT_SECONDS * 1000, event: "thaw", by: "vss-timeout" },
        ];
    }
    return [];
  });
}

/** Every instance's agent: its behaviour, the commands it received, its file systems' freezes. */
export class Agents {
  private readonly behaviours = new Map<string, { behaviour: AgentBehaviour; sinceMs: number }>();
  private fallback: AgentBehaviour = { mode: "succeeds" };
  private readonly received: Invocation[] = [];

  constructor(private readonly clock: EmulatorClock) {}

  set(instanceId: string, behaviour: AgentBehaviour): void {
    this.behaviours.set(instanceId, { behaviour: { ...behaviour }, sinceMs: this.clock.nowMs() });
  }

  setDefault(behaviour: AgentBehaviour): void {
    this.fallback = { ...behaviour };
  }

  /**
   * The behaviour set for the instance, else the one its `emulator:ssm-agent` tag names (a mode; an
   * emulator-only hook like `emulator:snapshot-result`, so a fleet made through the EC2 API alone
   * can carry it), else the default.
   */
  behaviourOf(instanceId: string, tags?: ReadonlyMap<string, string>): AgentBehaviour {
    const set = this.behaviours.get(instanceId)?.behaviour;
    if (set) return set;
    const tagged = tags?.get(AGENT_MODE_TAG);
    if (tagged && (AGENT_MODES as readonly string[]).includes(tagged)) return { mode: tagged as AgentMode };
    return this.fallback;
  }

  /** When the instance's behaviour was last set (its agent's last ping when offline). */
  sinceMs(instanceId: string): number | undefined {
    return this.behaviours.get(instanceId)?.sinceMs;
  }

  receive(inv: Invocation): void {
    this.received.push(inv);
  }

  invocations(instanceId?: string): AgentInvocationRecord[] {
    const now = this.clock.nowMs();
    return this.received
      .filter((inv) => instanceId === undefined || inv.instanceId === instanceId)
      .map((inv) => {
        const state = invocationState(inv, now);
        return {
          commandId: inv.commandId,
          instanceId: inv.instanceId,
          documentName: inv.documentName,
          parameters: structuredClone(inv.parameters),
          requestedAt: new Date(inv.requestedMs),
          started: inv.startMs !== undefined && now >= inv.startMs,
          status: state?.status ?? "Pending",
          statusDetails: state?.details ?? "Pending",
        };
      });
  }

  /**
   * The freezes and thaws of the instance's file systems up to now, replayed in time order: a freeze
   * of frozen file systems and a thaw of thawed ones change nothing and are not logged. A VSS
   * timeout thaws only the freeze it belongs to; a watchdog thaws whatever is frozen when it fires,
   * as the background shell job would.
   */
  log(instanceId: string): AgentLogEvent[] {
    const now = this.clock.nowMs();
    const all = this.received
      .filter((inv) => inv.instanceId === instanceId)
      .flatMap((inv, order) => happenings(inv, order))
      .filter((h) => h.at <= now)
      .sort((a, b) => a.at - b.at || a.seq - b.seq);
    const log: AgentLogEvent[] = [];
    let frozenBy: string | undefined;
    for (const h of all) {
      if (h.event === "freeze" && frozenBy === undefined) frozenBy = h.commandId;
      else if (h.event === "thaw" && frozenBy !== undefined) {
        if (h.by === "vss-timeout" && frozenBy !== h.commandId) continue;
        frozenBy = undefined;
      } else continue;
      log.push({ at: new Date(h.at), event: h.event, by: h.by, commandId: h.commandId });
    }
    return log;
  }
}
