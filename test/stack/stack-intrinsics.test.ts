// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are CloudFormation Fn::Sub templates
/**
 * local/stack-intrinsics.ts resolves what CloudFormation would for the template parts the local runs
 * read. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 */
import {
  type CfnTemplate,
  defaultPhysicalIds,
  resolveIntrinsics,
  resolveParameters,
} from "../../local/stack";

const template: CfnTemplate = {
  Parameters: {
    DrRegion: { Type: "String", Default: "us-west-2" },
    Threshold: { Type: "Number", Default: 3600 },
    Mode: { Type: "String", Default: "keep", AllowedValues: ["keep", "apply-recorded"] },
    Email: { Type: "String", Default: "" },
  },
  Conditions: { HasEmail: { "Fn::Not": [{ "Fn::Equals": [{ Ref: "Email" }, ""] }] } },
  Resources: {
    Topic: { Type: "AWS::SNS::Topic", Properties: { TopicName: "snapfleet-dev-alarms" } },
    Machine: {
      Type: "AWS::StepFunctions::StateMachine",
      Properties: { StateMachineName: "snapfleet-dev-backup" },
    },
    Bucket: { Type: "AWS::S3::Bucket" },
  },
};

const ids = { Topic: "arn:aws:sns:us-east-1:000000000000:t", "Bucket.Arn": "arn:aws:s3:::b" };

describe("resolveParameters", () => {
  it("takes each Default unless overridden", () => {
    expect(resolveParameters(template, { DrRegion: "eu-west-1" })).toEqual({
      DrRegion: "eu-west-1",
      Threshold: "3600",
      Mode: "keep",
      Email: "",
    });
  });

  it("refuses an undeclared parameter and a value outside AllowedValues", () => {
    expect(() => resolveParameters(template, { Nope: "x" })).toThrow(/no parameter Nope/);
    expect(() => resolveParameters(template, { Mode: "delete" })).toThrow(/not one of keep, apply-recorded/);
  });
});

describe("resolveIntrinsics", () => {
  it("resolves Ref to parameters, resources and pseudo parameters", () => {
    const value = [{ Ref: "DrRegion" }, { Ref: "Topic" }, { Ref: "AWS::Region" }, { Ref: "AWS::AccountId" }];

    expect(
      resolveIntrinsics(value, template, ids, { region: "eu-central-1", accountId: "123456789012" }),
    ).toEqual(["us-west-2", "arn:aws:sns:us-east-1:000000000000:t", "eu-central-1", "123456789012"]);
  });

  it("resolves Fn::Sub (with variables, attributes and ${!literals}), Fn::Join and Fn::GetAtt", () => {
    const value = {
      a: { "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:x" },
      b: { "Fn::Sub": "${Bucket.Arn}/runs/*" },
      c: { "Fn::Sub": ["ec2.${Region}.amazonaws.com ${!Keep}", { Region: { Ref: "DrRegion" } }] },
      d: { "Fn::Join": ["-", ["snapfleet", { Ref: "AWS::Region" }, "lambdaRole"]] },
      e: { "Fn::GetAtt": ["Bucket", "Arn"] },
      f: { "Fn::GetAtt": ["Topic", "Arn"] },
    };

    expect(resolveIntrinsics(value, template, ids)).toEqual({
      a: "arn:aws:logs:us-east-1:000000000000:log-group:x",
      b: "arn:aws:s3:::b/runs/*",
      c: "ec2.us-west-2.amazonaws.com ${Keep}",
      d: "snapfleet-us-east-1-lambdaRole",
      e: "arn:aws:s3:::b",
      f: "arn:aws:sns:us-east-1:000000000000:t",
    });
  });

  it("evaluates conditions and Fn::If, dropping AWS::NoValue", () => {
    const value = {
      Endpoint: { "Fn::If": ["HasEmail", { Ref: "Email" }, { Ref: "AWS::NoValue" }] },
      Keep: 1,
    };

    expect(resolveIntrinsics(value, template, ids)).toEqual({ Keep: 1 });
    expect(resolveIntrinsics(value, template, ids, { parameters: { Email: "ops@example.com" } })).toEqual({
      Endpoint: "ops@example.com",
      Keep: 1,
    });
  });

  it("says which physical id is missing", () => {
    expect(() => resolveIntrinsics({ Ref: "Machine" }, template, ids)).toThrow(/Ref Machine: no physical id/);
    expect(() => resolveIntrinsics({ "Fn::GetAtt": ["Machine", "Name"] }, template, ids)).toThrow(
      /"Machine.Name"/,
    );
  });
});

describe("defaultPhysicalIds", () => {
  it("names resources as CloudFormation would in the given region and account", () => {
    const defaults = defaultPhysicalIds(template, { region: "eu-west-1", accountId: "123456789012" });

    expect(defaults).toMatchObject({
      Topic: "arn:aws:sns:eu-west-1:123456789012:snapfleet-dev-alarms",
      Machine: "arn:aws:states:eu-west-1:123456789012:stateMachine:snapfleet-dev-backup",
      "Machine.Name": "snapfleet-dev-backup",
      "Bucket.Arn": "arn:aws:s3:::snapfleet-dev-bucket",
    });
  });
});
