import type { EmulatorClock } from "../clock";
import type { RegionState } from "../ec2/model";
import { AwsError } from "../errors";
import type { Input } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { Agents } from "./agent";
import { getCommandInvocation, listCommandInvocations, listCommands, sendCommand } from "./commands";
import { createDocument, deleteDocument, describeDocument } from "./document-operations";
import { describeInstanceInformation } from "./instance-information";
import { type SsmContext, SsmRegion } from "./model";

export type { AgentBehaviour, AgentInvocationRecord, AgentLogEvent, AgentMode } from "./agent";
export { documentArn, documentName, isOwnedDocument } from "./document-operations";

/** X-Amz-Target prefix of Systems Manager (awsJson1_1). */
export const SSM_TARGET = "AmazonSSM";

type Operation = (ctx: SsmContext, input: Input) => Output;

const OPERATIONS: Record<string, Operation> = {
  SendCommand: sendCommand,
  GetCommandInvocation: getCommandInvocation,
  ListCommandInvocations: listCommandInvocations,
  ListCommands: listCommands,
  DescribeInstanceInformation: describeInstanceInformation,
  CreateDocument: createDocument,
  DescribeDocument: describeDocument,
  DeleteDocument: deleteDocument,
};

/** The SSM actions the emulator serves (their input shapes are kept in `models/ssm.json`). */
export const SSM_ACTIONS: readonly string[] = Object.keys(OPERATIONS);

export interface SsmOptions {
  clock: EmulatorClock;
  accountId: string;
  /** The EC2 state of a region: the instances commands go to. */
  ec2(region: string): RegionState;
}

/** Systems Manager Run Command, per region, with one simulated agent per EC2 instance. */
export class SsmService {
  private readonly regions = new Map<string, SsmRegion>();
  readonly agents: Agents;

  constructor(private readonly options: SsmOptions) {
    this.agents = new Agents(options.clock);
  }

  regionState(name: string): SsmRegion {
    let state = this.regions.get(name);
    if (!state) {
      state = new SsmRegion(name);
      this.regions.set(name, state);
    }
    return state;
  }

  handle(region: string, action: string, input: Input): Output {
    const operation = OPERATIONS[action];
    if (!operation)
      throw new AwsError(
        "UnknownOperationException",
        `The embedded AWS does not serve SSM's ${action}: it serves ${SSM_ACTIONS.join(", ")}.`,
      );
    return operation(
      {
        region: this.regionState(region),
        ec2: this.options.ec2(region),
        clock: this.options.clock,
        accountId: this.options.accountId,
        agents: this.agents,
      },
      input,
    );
  }
}
