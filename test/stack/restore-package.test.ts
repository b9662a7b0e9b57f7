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
const inStackOrDrRegion = { "aws:RequestedRegion": [{ Ref: "AWS::Region" }, { Ref: "DrRegion" }] };

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

  it("may create only volumes tagged snapfleet:restored-from, in the stack's or the DR region", () => {
    const statement = bySid("CreateOnlyTaggedRestoredVolumes");

    expect(statement.Resource).toBe("arn:aws:ec2:*:*:volume/*");
    expect(statement.Condition).toEqual({
      Null: { "aws:RequestTag/snapfleet:restored-from": "false" },
      StringEquals: inStackOrDrRegion,
    });
  });

  it("may create volumes only from snapshots snapfleet manages", () => {
    const statement = bySid("CreateVolumesFromManagedSnapshots");

    expect(statement.Resource).toBe("arn:aws:ec2:*::snapshot/*");
    expect(statement.Condition).toEqual({ StringEquals: { "aws:ResourceTag/snapfleet:managed": "true" } });
    expect(withAction("ec2:CreateVolume")).toHaveLength(2);
  });

  it("may tag volumes only at creation, or with the snapfleet:replaced-* keys", () => {
    const tagging = withAction("ec2:CreateTags");

    expect(tagging.map((s) => s.Resource)).toEqual(["arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*:*:volume/*"]);
    expect(bySid("TagOnlyNewVolumes").Condition).toEqual({
      StringEquals: { "ec2:CreateAction": "CreateVolume" },
    });
    expect(bySid("TagReplacedVolumes").Condition).toEqual({
      "ForAllValues:StringLike": { "aws:TagKeys": "snapfleet:replaced-*" },
      StringEquals: inStackOrDrRegion,
    });
  });

  it("may attach, detach, stop and start only in the stack's or the DR region", () => {
    expect(bySid("SwapVolumes")).toMatchObject({
      Action: ["ec2:AttachVolume", "ec2:DetachVolume"],
      Resource: ["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:volume/*"],
      Condition: { StringEquals: inStackOrDrRegion },
    });
    expect(bySid("StopAndStartForRootSwap")).toMatchObject({
      Action: ["ec2:StopInstances", "ec2:StartInstances"],
      Resource: "arn:aws:ec2:*:*:instance/*",
      Condition: { StringEquals: inStackOrDrRegion },
    });
  });

  it("may use KMS keys only through EC2 in the two regions, and grant only to AWS resources", () => {
    // CloudFormation's own ${...} placeholders, not JavaScript's.
    const sub = (region: string) => ({ "Fn::Sub": `ec2.\${${region}}.amazonaws.com` });
    const viaEc2 = {
      "kms:ViaService": [sub("AWS::Region"), sub("DrRegion")],
    };

    expect(bySid("UseKmsKeysThroughEbs").Condition).toEqual({ StringEquals: viaEc2 });
    expect(bySid("GrantEbsUseOfKmsKeys").Condition).toEqual({
      Bool: { "kms:GrantIsForAWSResource": "true" },
      StringEquals: viaEc2,
    });
    expect(withAction("kms:DescribeKey")).toHaveLength(1);
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
