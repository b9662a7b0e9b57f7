/**
 * The recovery part of the stack, from the template `sls package` produces (offline): the restore
 * functions, their own least-privilege role, and the restore state machine.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { loadPackagedTemplate } from "../../local/stack";

type Json = Record<string, unknown>;
interface CfnResource {
  Type: string;
  Properties: Json;
}
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const ROOT = path.resolve(__dirname, "../..");
const RESTORE_FUNCTIONS: Record<string, string> = {
  RestorePlanLambdaFunction: "functions/restore-plan.handler",
  RestoreStepLambdaFunction: "functions/restore-step.handler",
  RestoreCheckLambdaFunction: "functions/restore-check.handler",
};
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

let resources: Record<string, CfnResource>;
let statements: Statement[];

// The template as `sls package` builds it (cached per source hash; test/stack/package.test.ts
// checks the packaging output itself).
beforeAll(async () => {
  resources = (await loadPackagedTemplate()).Resources as Record<string, CfnResource>;
  const role = resources.RestoreFunctionRole as CfnResource;
  statements = (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
}, 120_000);

const withAction = (action: string) => statements.filter((s) => asArray(s.Action).includes(action));
const bySid = (sid: string) => statements.find((s) => s.Sid === sid) as Statement;

describe("restore functions", () => {
  it.each(Object.entries(RESTORE_FUNCTIONS))(
    "deploys %s (%s) on nodejs22.x with the restore role",
    (id, handler) => {
      const props = (resources[id] as CfnResource).Properties;

      expect(props.Handler).toBe(handler);
      expect(props.Runtime).toBe("nodejs22.x");
      expect(props.Role).toEqual({ "Fn::GetAtt": ["RestoreFunctionRole", "Arn"] });
    },
  );
});

describe("restore state machine", () => {
  it("is built from statemachine/restore.asl.json", () => {
    const machine = resources.RestoreStateMachine as CfnResource;
    const [definition] = (machine.Properties.DefinitionString as { "Fn::Sub": [string, Json] })["Fn::Sub"];
    const asl = JSON.parse(readFileSync(path.join(ROOT, "statemachine/restore.asl.json"), "utf8")) as Json;

    expect(machine.Type).toBe("AWS::StepFunctions::StateMachine");
    expect(Object.keys(JSON.parse(definition).States)).toEqual(Object.keys(asl.States as Json));
  });

  it("may invoke the three restore functions and nothing else", () => {
    const role = resources.RestoreStateMachineRole as CfnResource;
    const granted = (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[])
      .flatMap((p) => p.PolicyDocument.Statement)
      .flatMap((s) => asArray(s.Resource))
      .map((r) => (r as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"]?.[0])
      .filter((id): id is string => id !== undefined);

    expect([...new Set(granted)].sort()).toEqual(Object.keys(RESTORE_FUNCTIONS).sort());
  });
});

describe("restore role (least privilege)", () => {
  it("may be assumed by Lambda only", () => {
    const role = resources.RestoreFunctionRole as CfnResource;

    expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    });
  });

  it("grants no Delete action and no wildcard action", () => {
    for (const statement of statements) {
      for (const action of asArray(statement.Action)) {
        expect(action).not.toMatch(/\*|:Delete/);
      }
    }
  });

  // Each statement, resolved, is pinned in iam-package.test.ts.
  it("may create volumes only from snapshots snapfleet manages, and only tagged snapfleet:restored-from", () => {
    expect(withAction("ec2:CreateVolume").map((s) => s.Sid)).toEqual([
      "CreateOnlyTaggedRestoredVolumes",
      "CreateVolumesFromManagedSnapshots",
    ]);
    expect(bySid("CreateVolumesFromManagedSnapshots").Condition).toEqual({
      StringEquals: { "aws:ResourceTag/snapfleet:managed": "true" },
    });
  });

  it("does not share the backup functions' role, which gains none of these actions", () => {
    const backup = resources.IamRoleLambdaExecution as CfnResource;
    const backupActions = (backup.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[])
      .flatMap((p) => p.PolicyDocument.Statement)
      .flatMap((s) => asArray(s.Action));

    for (const action of ["ec2:CreateVolume", "ec2:AttachVolume", "ec2:DetachVolume", "ec2:StopInstances"]) {
      expect(backupActions).not.toContain(action);
    }
  });
});
