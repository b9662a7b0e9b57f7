import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { prepareDefinition } from "../../runner";
import type { EmulatorClock } from "../clock";
import { AwsError } from "../errors";
import { type Input, str } from "../protocol/input";
import {
  checkName,
  page,
  pageInput,
  parseArn,
  required,
  stateMachineArn,
  stateMachineDoesNotExist,
  validation,
} from "./names";

/** A state machine: what CreateStateMachine stored. */
export interface Machine {
  arn: string;
  name: string;
  region: string;
  definition: string;
  roleArn: string;
  type: "STANDARD" | "EXPRESS";
  creationDate: Date;
}

/** The state machines of every region, by ARN. */
export class StateMachines {
  private readonly machines = new Map<string, Machine>();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly accountId: string,
  ) {}

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html */
  create(region: string, input: Input): { stateMachineArn: string; creationDate: Date } {
    const name = required(input, "name");
    const definition = required(input, "definition");
    const roleArn = required(input, "roleArn");
    checkName(name, "state machine");
    const type = (str(input, "type") ?? "STANDARD") as Machine["type"];
    if (type !== "STANDARD" && type !== "EXPRESS")
      throw validation("type", "Member must satisfy enum value set: [STANDARD, EXPRESS]", type);
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(roleArn))
      throw new AwsError("InvalidArn", `Invalid Arn: 'Resource type not valid in this context: ${roleArn}'`);
    checkDefinition(definition);
    const arn = stateMachineArn(region, this.accountId, name);
    const existing = this.machines.get(arn);
    if (existing) {
      // Idempotent for the same definition and role; otherwise the name is taken.
      if (existing.definition === definition && existing.roleArn === roleArn && existing.type === type)
        return { stateMachineArn: arn, creationDate: existing.creationDate };
      throw new AwsError("StateMachineAlreadyExists", `State Machine Already Exists: '${arn}'`);
    }
    const machine: Machine = {
      arn,
      name,
      region,
      definition,
      roleArn,
      type,
      creationDate: this.clock.now(),
    };
    this.machines.set(arn, machine);
    return { stateMachineArn: arn, creationDate: machine.creationDate };
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListStateMachines.html */
  list(region: string, input: Input) {
    const all = [...this.machines.values()]
      .filter((m) => m.region === region)
      .sort((a, b) => a.name.localeCompare(b.name));
    const { items, nextToken } = page(all, pageInput(input), `ListStateMachines/${region}`);
    return {
      stateMachines: items.map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: m.type,
        creationDate: m.creationDate,
      })),
      nextToken,
    };
  }

  /** The machine `arn` names: InvalidArn or StateMachineDoesNotExist otherwise. */
  get(arn: string | undefined): Machine {
    parseArn(arn, "stateMachine");
    const machine = this.machines.get(arn as string);
    if (!machine) throw stateMachineDoesNotExist(arn as string);
    return machine;
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html */
  describe(input: Input) {
    const m = this.get(required(input, "stateMachineArn"));
    return {
      stateMachineArn: m.arn,
      name: m.name,
      status: "ACTIVE",
      definition: m.definition,
      roleArn: m.roleArn,
      type: m.type,
      creationDate: m.creationDate,
      loggingConfiguration: { level: "OFF", includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }
}

/**
 * A definition Step Functions would accept: JSON, and valid Amazon States Language as the local
 * runner's library checks it (its Distributed Maps rewritten first, as the runner runs them).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html#API_CreateStateMachine_Errors
 */
function checkDefinition(definition: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch (err) {
    throw new AwsError(
      "InvalidDefinition",
      `Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: ${(err as Error).message}'`,
    );
  }
  try {
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new Error("not an object");
    const prepared = prepareDefinition(parsed as never, false);
    new StateMachine(prepared.definition as unknown as StateMachineDefinition, {
      validationOptions: { checkArn: false },
    });
  } catch (err) {
    throw new AwsError(
      "InvalidDefinition",
      `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ${(err as Error).message}'`,
    );
  }
}
