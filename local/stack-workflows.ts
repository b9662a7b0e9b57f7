/**
 * The stack's workflows on the embedded AWS, from the packaged template as CloudFormation would
 * create them: every AWS::Lambda::Function becomes the real handler its `Handler` names, configured
 * from the function's own Environment; every AWS::StepFunctions::StateMachine is created through
 * CreateStateMachine with its definition as deployed (function ARNs substituted); every scheduled
 * AWS::Events::Rule fires its targets on the emulator's clock.
 */
import { CreateStateMachineCommand, SFNClient } from "@aws-sdk/client-sfn";
import { type Config, loadConfig } from "../lib/config";
import { type Clock, systemClock } from "../lib/deps";
import type { EmulatorClock } from "./aws/clock";
import type { Emulator } from "./aws/server";
import { VirtualClock } from "./clock";
import { handlerOf } from "./handlers";
import type { CfnTemplate } from "./stack";
import { type PhysicalIds, resolveIntrinsics, type StackScope } from "./stack-intrinsics";

type Credentials = { accessKeyId: string; secretAccessKey: string };

const ofType = (template: CfnTemplate, type: string) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/** Each function's configuration, parsed from its template Environment as the Lambda would parse it. */
export function functionConfig(
  template: CfnTemplate,
  logicalId: string,
  ids: PhysicalIds,
  scope: StackScope & { region: string },
  endpoint: string,
): Config {
  const resource = template.Resources[logicalId];
  const env = resource?.Properties?.Environment as { Variables?: unknown } | undefined;
  const variables = resolveIntrinsics(env?.Variables ?? {}, template, ids, scope) as Record<string, string>;
  return loadConfig({ ...variables, AWS_REGION: scope.region, AWS_ENDPOINT_URL: endpoint });
}

/** Registers the real handler of every function the template declares; returns their ARNs. */
export function installFunctions<C extends EmulatorClock>(
  emulator: Emulator<C>,
  template: CfnTemplate,
  ids: PhysicalIds,
  scope: StackScope & { region: string },
): string[] {
  const clock: Clock = emulator.clock instanceof VirtualClock ? emulator.clock : systemClock;
  const arns: string[] = [];
  for (const [id, resource] of ofType(template, "AWS::Lambda::Function")) {
    const arn = ids[`${id}.Arn`];
    const config = functionConfig(template, id, ids, scope, emulator.endpoint);
    const handler = handlerOf(String(resource.Properties?.Handler ?? ""), config, clock);
    if (!arn || !handler) continue;
    emulator.registerFunction(arn, handler);
    arns.push(arn);
  }
  return arns;
}

/** CreateStateMachine for each state machine of the template; logical id -> ARN. */
export async function installStateMachines(
  template: CfnTemplate,
  ids: PhysicalIds,
  scope: StackScope & { region: string },
  endpoint: string,
  credentials: Credentials,
): Promise<Record<string, string>> {
  const sfn = new SFNClient({ endpoint, region: scope.region, credentials });
  const created: Record<string, string> = {};
  try {
    for (const [id, resource] of ofType(template, "AWS::StepFunctions::StateMachine")) {
      const props = resolveIntrinsics(resource.Properties ?? {}, template, ids, scope) as Record<
        string,
        unknown
      >;
      const definition =
        typeof props.DefinitionString === "string"
          ? props.DefinitionString
          : JSON.stringify(props.Definition ?? {});
      const out = await sfn.send(
        new CreateStateMachineCommand({
          name: String(props.StateMachineName ?? ids[`${id}.Name`] ?? id),
          definition,
          roleArn: String(props.RoleArn),
        }),
      );
      created[id] = out.stateMachineArn as string;
    }
  } finally {
    sfn.destroy();
  }
  return created;
}

/** The template's scheduled rules, on the emulator's clock; returns their ARNs. */
export function installSchedules<C extends EmulatorClock>(
  emulator: Emulator<C>,
  template: CfnTemplate,
  ids: PhysicalIds,
  scope: StackScope & { region: string },
): string[] {
  const rules: string[] = [];
  for (const [id, resource] of ofType(template, "AWS::Events::Rule")) {
    const props = resolveIntrinsics(resource.Properties ?? {}, template, ids, scope) as {
      Name?: string;
      ScheduleExpression?: string;
      State?: "ENABLED" | "DISABLED";
      Description?: string;
      Targets?: { Id: string; Arn: string; RoleArn?: string; Input?: string }[];
    };
    if (!props.ScheduleExpression) continue;
    rules.push(
      emulator.putRule({
        region: scope.region,
        name: props.Name ?? ids[id] ?? id,
        scheduleExpression: props.ScheduleExpression,
        ...(props.State ? { state: props.State } : {}),
        ...(props.Description ? { description: props.Description } : {}),
        targets: props.Targets ?? [],
      }),
    );
  }
  return rules;
}
