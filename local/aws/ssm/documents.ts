import { AwsError } from "../errors";
import type {
  CommandParameters,
  DocumentParameter,
  DocumentStep,
  ParameterType,
  PlatformType,
  SsmDocument,
} from "./model";

/**
 * Command documents, schema 2.2, with the plugins the simulated agent runs.
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-syntax-data-elements-parameters.html
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-command-ssm-plugin-reference.html
 */
export const PLUGINS: Record<string, PlatformType[]> = {
  "aws:runShellScript": ["Linux", "MacOS"],
  "aws:runPowerShellScript": ["Windows", "Linux", "MacOS"],
};

const PARAMETER_TYPES = new Set<ParameterType>([
  "String",
  "StringList",
  "Integer",
  "Boolean",
  "MapList",
  "StringMap",
]);

function invalidContent(message: string): AwsError {
  return new AwsError("InvalidDocumentContent", message);
}

type Parsed = Pick<SsmDocument, "schemaVersion" | "description" | "parameters" | "steps" | "platformTypes">;

/** Reads and checks a document's content (JSON: the emulator has no YAML reader); `InvalidDocumentContent` / `InvalidDocumentSchemaVersion` otherwise. */
export function parseContent(content: string): Parsed {
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch (err) {
    throw invalidContent(`The document content is not valid JSON: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw invalidContent("The document content must be an object with schemaVersion and mainSteps.");
  const doc = raw as Record<string, unknown>;
  if (doc.schemaVersion !== "2.2") {
    throw new AwsError(
      "InvalidDocumentSchemaVersion",
      `The embedded AWS runs Command documents of schemaVersion 2.2 only, not '${String(doc.schemaVersion)}'.`,
    );
  }
  const parameters: Record<string, DocumentParameter> = {};
  for (const [name, p] of Object.entries((doc.parameters ?? {}) as Record<string, Record<string, unknown>>)) {
    if (!PARAMETER_TYPES.has(p?.type as ParameterType))
      throw invalidContent(`Parameter '${name}' has no valid type (${[...PARAMETER_TYPES].join(", ")}).`);
    parameters[name] = {
      type: p.type as ParameterType,
      ...(typeof p.description === "string" ? { description: p.description } : {}),
      ...(p.default !== undefined ? { default: p.default } : {}),
      ...(Array.isArray(p.allowedValues) ? { allowedValues: p.allowedValues.map(String) } : {}),
      ...(typeof p.allowedPattern === "string" ? { allowedPattern: p.allowedPattern } : {}),
    };
  }
  const mainSteps = doc.mainSteps;
  if (!Array.isArray(mainSteps) || mainSteps.length === 0)
    throw invalidContent("A schemaVersion 2.2 document needs at least one step in mainSteps.");
  const steps: DocumentStep[] = mainSteps.map((s: Record<string, unknown>, n) => {
    const action = String(s?.action ?? "");
    if (!(action in PLUGINS))
      throw invalidContent(
        `Step ${n + 1} uses action '${action}'; the embedded AWS runs ${Object.keys(PLUGINS).join(" and ")}.`,
      );
    if (typeof s.name !== "string" || s.name === "") throw invalidContent(`Step ${n + 1} has no name.`);
    return { action, name: s.name, inputs: (s.inputs ?? {}) as Record<string, unknown>, ...precondition(s) };
  });
  const platformTypes = [...new Set(steps.flatMap((s) => PLUGINS[s.action] ?? []))];
  return {
    schemaVersion: "2.2",
    description: typeof doc.description === "string" ? doc.description : "",
    parameters,
    steps,
    platformTypes,
  };
}

/** `precondition: { StringEquals: [platformType, Linux] }`: the step runs on that platform only. */
function precondition(s: Record<string, unknown>): { platform?: PlatformType } {
  const equals = (s.precondition as { StringEquals?: unknown[] } | undefined)?.StringEquals;
  if (!Array.isArray(equals) || equals[0] !== "platformType") return {};
  return { platform: equals[1] as PlatformType };
}

/**
 * The values a command runs with: the given ones, else the defaults, each checked against its
 * parameter's type, allowedValues and allowedPattern (`InvalidParameters` otherwise).
 */
export function resolveParameters(
  doc: SsmDocument,
  given: CommandParameters,
): Record<string, string | string[]> {
  const bad = (message: string) => new AwsError("InvalidParameters", message);
  for (const name of Object.keys(given)) {
    if (!(name in doc.parameters))
      throw bad(
        `Parameter '${name}' is not defined in document ${doc.name}; it has: ${Object.keys(doc.parameters).join(", ") || "none"}.`,
      );
  }
  const values: Record<string, string | string[]> = {};
  for (const [name, p] of Object.entries(doc.parameters)) {
    const value = given[name];
    if (value === undefined) {
      if (p.default === undefined)
        throw bad(`Parameter '${name}' of document ${doc.name} is required and has no default.`);
      values[name] = Array.isArray(p.default) ? p.default.map(String) : String(p.default);
      continue;
    }
    if (p.type !== "StringList" && value.length !== 1)
      throw bad(`Parameter '${name}' of document ${doc.name} is a ${p.type}: give exactly one value.`);
    for (const v of value) {
      if (p.allowedValues && !p.allowedValues.includes(v))
        throw bad(
          `Parameter '${name}' of document ${doc.name} must be one of ${p.allowedValues.join(", ")}, not '${v}'.`,
        );
      if (p.allowedPattern !== undefined && !new RegExp(p.allowedPattern).test(v))
        throw bad(
          `Parameter '${name}' of document ${doc.name} does not match the pattern ${p.allowedPattern}: '${v}'.`,
        );
      if (p.type === "Integer" && !/^-?\d+$/.test(v))
        throw bad(`Parameter '${name}' must be an integer, not '${v}'.`);
      if (p.type === "Boolean" && !/^(true|false)$/.test(v))
        throw bad(`Parameter '${name}' must be true or false, not '${v}'.`);
    }
    values[name] = p.type === "StringList" ? value : (value[0] as string);
  }
  return values;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** `{{ name }}` replaced; a list element that is exactly `{{ list }}` becomes the list's elements. */
export function substitute(value: unknown, params: Record<string, string | string[]>): unknown {
  if (typeof value === "string") {
    const whole = /^\s*\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}\s*$/.exec(value)?.[1];
    if (whole !== undefined && Array.isArray(params[whole])) return params[whole];
    return value.replace(PLACEHOLDER, (m, name: string) => {
      const v = params[name];
      return v === undefined ? m : Array.isArray(v) ? v.join("\n") : v;
    });
  }
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      const out = substitute(item, params);
      return Array.isArray(out) && typeof item === "string" ? out : [out];
    });
  }
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, params)]));
  return value;
}

/** A step, ready to run: its script and its execution timeout (`timeoutSeconds`, 3600 by default). */
export function prepareStep(step: DocumentStep, params: Record<string, string | string[]>) {
  const inputs = substitute(step.inputs, params) as Record<string, unknown>;
  const run = inputs.runCommand;
  const script = Array.isArray(run) ? run.map(String).join("\n") : String(run ?? "");
  const timeout = Number(inputs.timeoutSeconds ?? 3600);
  return {
    name: step.name,
    action: step.action,
    script,
    timeoutSeconds: Number.isFinite(timeout) ? timeout : 3600,
  };
}

const RUN_SHELL_SCRIPT = {
  schemaVersion: "2.2",
  description: "Run a shell script or specify the commands to run.",
  parameters: {
    commands: { type: "StringList", description: "(Required) Specify a shell script or a command to run." },
    workingDirectory: {
      type: "String",
      default: "",
      description: "(Optional) The path to the working directory on your instance.",
    },
    executionTimeout: {
      type: "String",
      default: "3600",
      description:
        "(Optional) The time in seconds for a command to complete before it is considered to have failed. Default is 3600 (1 hour). Maximum is 172800 (48 hours).",
      allowedPattern: "([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)",
    },
  },
  mainSteps: [
    {
      precondition: { StringEquals: ["platformType", "Linux"] },
      action: "aws:runShellScript",
      name: "runShellScript",
      inputs: {
        runCommand: "{{ commands }}",
        workingDirectory: "{{ workingDirectory }}",
        timeoutSeconds: "{{ executionTimeout }}",
      },
    },
  ],
};

const RUN_POWERSHELL_SCRIPT = {
  ...RUN_SHELL_SCRIPT,
  description: "Run a PowerShell script or specify the paths to scripts to run.",
  mainSteps: [
    {
      action: "aws:runPowerShellScript",
      name: "runPowerShellScript",
      inputs: {
        runCommand: "{{ commands }}",
        workingDirectory: "{{ workingDirectory }}",
        timeoutSeconds: "{{ executionTimeout }}",
      },
    },
  ],
};

/**
 * The emulator's stand-in for AWS's VSS freeze/thaw document (the pre and post scripts of Data
 * Lifecycle Manager's Windows VSS backups): the parameter is AWS's, the script is not.
 * https://docs.aws.amazon.com/ebs/latest/userguide/automate-app-consistent-backups.html
 */
const MANAGE_VSS_IO = {
  schemaVersion: "2.2",
  description: "Freeze or thaw I/O on all volumes of a Windows instance with VSS (emulator stand-in).",
  parameters: {
    Action: { type: "String", allowedValues: ["Freeze", "Thaw"], description: "(Required) Freeze or Thaw." },
  },
  mainSteps: [
    {
      precondition: { StringEquals: ["platformType", "Windows"] },
      action: "aws:runPowerShellScript",
      name: "manageVssIO",
      inputs: { runCommand: ["Invoke-Ec2VssIO -Action '{{ Action }}'"], timeoutSeconds: "60" },
    },
  ],
};

const OWNED_CREATED = new Date(Date.UTC(2017, 0, 1));

/** The AWS-owned documents every region has. */
export function ownedDocuments(): SsmDocument[] {
  const owned: [string, object, PlatformType[]][] = [
    ["AWS-RunShellScript", RUN_SHELL_SCRIPT, ["Linux", "MacOS"]],
    ["AWS-RunPowerShellScript", RUN_POWERSHELL_SCRIPT, ["Windows", "Linux", "MacOS"]],
    ["AWSEC2-ManageVssIO", MANAGE_VSS_IO, ["Windows"]],
  ];
  return owned.map(([name, body, platformTypes]) => {
    const content = JSON.stringify(body, null, 2);
    return {
      name,
      owner: "Amazon",
      content,
      format: "JSON",
      ...parseContent(content),
      platformTypes,
      createdDate: OWNED_CREATED,
      tags: new Map(),
    };
  });
}
