import type { EmulatorClock } from "../clock";
import type { Instance, RegionState } from "../ec2/model";
import type { Agents } from "./agent";

export type PlatformType = "Linux" | "Windows" | "MacOS";

export type ParameterType = "String" | "StringList" | "Integer" | "Boolean" | "MapList" | "StringMap";

export interface DocumentParameter {
  type: ParameterType;
  description?: string;
  default?: unknown;
  allowedValues?: string[];
  allowedPattern?: string;
}

/** One step of a Command document (schema 2.2): a plugin and its inputs, `{{ name }}` not yet replaced. */
export interface DocumentStep {
  action: string;
  name: string;
  inputs: Record<string, unknown>;
  /** From the step's `precondition` (`StringEquals: [platformType, X]`): it runs on X only. */
  platform?: PlatformType;
}

export interface SsmDocument {
  name: string;
  /** `Amazon` for the AWS-owned documents, else the account id. */
  owner: string;
  content: string;
  format: "JSON";
  schemaVersion: string;
  description: string;
  parameters: Record<string, DocumentParameter>;
  steps: DocumentStep[];
  platformTypes: PlatformType[];
  createdDate: Date;
  tags: Map<string, string>;
}

/** Parameters as SendCommand carries them: every value a list of strings. */
export type CommandParameters = Record<string, string[]>;

export type InvocationStatus =
  | "Pending"
  | "InProgress"
  | "Delayed"
  | "Success"
  | "Cancelled"
  | "TimedOut"
  | "Failed"
  | "Cancelling";

/** What a command does to the instance's file systems, in script order (see `script.ts`). */
export type Effect =
  | { kind: "freeze" }
  | { kind: "thaw" }
  | { kind: "watchdog"; seconds: number }
  | { kind: "vss-freeze" }
  | { kind: "vss-thaw" };

/** Everything about one invocation, fixed when the command is sent; its state is read off the clock. */
export interface Invocation {
  commandId: string;
  instanceId: string;
  instanceName: string | undefined;
  documentName: string;
  documentVersion: string;
  comment: string;
  parameters: CommandParameters;
  /** The steps with their parameters substituted: plugin name and the script it runs. */
  plugins: { name: string; action: string; script: string }[];
  requestedMs: number;
  /** Before this, GetCommandInvocation answers InvocationDoesNotExist. */
  visibleMs: number;
  /** Execution start; undefined when the command is never delivered (agent offline). */
  startMs: number | undefined;
  /** When the invocation reaches its terminal state. */
  endMs: number;
  final: {
    status: InvocationStatus;
    details: string;
    responseCode: number;
    stdout: string;
    stderr: string;
  };
  /** When the script's effects happen (undefined: never), and the effects. */
  effectsMs: number | undefined;
  effects: Effect[];
}

export interface Command {
  commandId: string;
  documentName: string;
  documentVersion: string;
  comment: string;
  parameters: CommandParameters;
  instanceIds: string[];
  targets: unknown[];
  requestedMs: number;
  timeoutSeconds: number;
  maxConcurrency: string;
  maxErrors: string;
  invocations: Invocation[];
}

/** One region's Systems Manager state. */
export class SsmRegion {
  readonly documents = new Map<string, SsmDocument>();
  readonly commands = new Map<string, Command>();

  constructor(readonly region: string) {}
}

export interface SsmContext {
  region: SsmRegion;
  ec2: RegionState;
  clock: EmulatorClock;
  accountId: string;
  agents: Agents;
}

export function platformOf(instance: Instance): PlatformType {
  return instance.platform === "windows" ? "Windows" : "Linux";
}
