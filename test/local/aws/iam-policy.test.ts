import { evaluate, type PolicyStatement } from "../../../local/aws/iam";
import type { AuthorizationCheck } from "../../../local/aws/iam/policy";

const IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide";

function check(
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
): AuthorizationCheck {
  return {
    action,
    resource,
    context: new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v : [v]])),
  };
}

const snapshot = "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0";

describe(`policy evaluation logic (${IAM}/reference_policies_evaluation-logic.html)`, () => {
  const allowDelete: PolicyStatement = { Effect: "Allow", Action: "ec2:DeleteSnapshot", Resource: "*" };

  it("denies implicitly when no statement allows the action", () => {
    expect(evaluate([], check("ec2:DeleteSnapshot", snapshot))).toBe("implicitDeny");
  });

  it("allows when an Allow statement matches action and resource", () => {
    expect(evaluate([allowDelete], check("ec2:DeleteSnapshot", snapshot))).toBe("allow");
  });

  it("lets an explicit Deny win over any Allow", () => {
    const deny: PolicyStatement = { Effect: "Deny", Action: "ec2:*", Resource: "arn:aws:ec2:*::snapshot/*" };

    expect(evaluate([allowDelete, deny], check("ec2:DeleteSnapshot", snapshot))).toBe("explicitDeny");
  });

  it("matches actions case-insensitively and with wildcards", () => {
    const statements: PolicyStatement[] = [{ Effect: "Allow", Action: "EC2:describe*", Resource: "*" }];

    expect(evaluate(statements, check("ec2:DescribeSnapshots", "*"))).toBe("allow");
    expect(evaluate(statements, check("ec2:DeleteSnapshot", "*"))).toBe("implicitDeny");
  });

  it(`matches resource ARNs segment by segment with * and ? (${IAM}/reference_policies_elements_resource.html)`, () => {
    const statements: PolicyStatement[] = [
      {
        Effect: "Allow",
        Action: "ec2:CreateSnapshot",
        Resource: ["arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*::snapshot/*"],
      },
    ];

    expect(
      evaluate(statements, check("ec2:CreateSnapshot", "arn:aws:ec2:eu-west-1:000000000000:volume/vol-1")),
    ).toBe("allow");
    expect(evaluate(statements, check("ec2:CreateSnapshot", "arn:aws:ec2:us-east-1::snapshot/*"))).toBe(
      "allow",
    );
    expect(
      evaluate(statements, check("ec2:CreateSnapshot", "arn:aws:ec2:us-east-1:000000000000:instance/i-1")),
    ).toBe("implicitDeny");
  });

  it(`reads \${*}, \${?} and \${$} as the characters themselves (${IAM}/reference_policies_variables.html#policy-vars-specialchars)`, () => {
    const statements: PolicyStatement[] = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM policy variables
      { Effect: "Allow", Action: "ec2:CreateSnapshot", Resource: "arn:aws:ec2:*::snapshot/${*}${?}${$}" },
    ];

    expect(evaluate(statements, check("ec2:CreateSnapshot", "arn:aws:ec2:us-east-1::snapshot/*?$"))).toBe(
      "allow",
    );
    expect(
      evaluate(statements, check("ec2:CreateSnapshot", "arn:aws:ec2:us-east-1::snapshot/snap-1?$")),
    ).toBe("implicitDeny");
    expect(evaluate(statements, check("ec2:CreateSnapshot", "arn:aws:ec2:us-east-1::snapshot/*x$"))).toBe(
      "implicitDeny",
    );
  });

  it("honours NotAction and NotResource", () => {
    const statements: PolicyStatement[] = [
      { Effect: "Allow", NotAction: "ec2:Delete*", Resource: "*" },
      { Effect: "Deny", Action: "ec2:CreateTags", NotResource: "arn:aws:ec2:*::snapshot/*" },
    ];

    expect(evaluate(statements, check("ec2:DeleteSnapshot", snapshot))).toBe("implicitDeny");
    expect(evaluate(statements, check("ec2:CreateTags", snapshot))).toBe("allow");
    expect(evaluate(statements, check("ec2:CreateTags", "arn:aws:ec2:us-east-1:0:volume/vol-1"))).toBe(
      "explicitDeny",
    );
  });
});

describe(`condition operators (${IAM}/reference_policies_elements_condition_operators.html)`, () => {
  const allowIf = (condition: PolicyStatement["Condition"]): PolicyStatement[] => [
    {
      Effect: "Allow",
      Action: "ec2:DeleteSnapshot",
      Resource: "*",
      ...(condition ? { Condition: condition } : {}),
    },
  ];
  const del = (context: Record<string, string | string[]>) => check("ec2:DeleteSnapshot", snapshot, context);

  it("requires every key of every operator to hold", () => {
    const policy = allowIf({
      StringEquals: {
        "aws:ResourceTag/snapfleet:managed": "true",
        "aws:RequestedRegion": ["us-east-1", "us-west-2"],
      },
      Bool: { "aws:SecureTransport": "false" },
    });

    expect(
      evaluate(
        policy,
        del({
          "aws:ResourceTag/snapfleet:managed": "true",
          "aws:RequestedRegion": "us-west-2",
          "aws:SecureTransport": "false",
        }),
      ),
    ).toBe("allow");
    expect(
      evaluate(
        policy,
        del({
          "aws:ResourceTag/snapfleet:managed": "true",
          "aws:RequestedRegion": "eu-west-1",
          "aws:SecureTransport": "false",
        }),
      ),
    ).toBe("implicitDeny");
  });

  it("treats condition key names case-insensitively", () => {
    expect(
      evaluate(
        allowIf({ StringEquals: { "AWS:RequestedRegion": "us-east-1" } }),
        del({ "aws:requestedregion": "us-east-1" }),
      ),
    ).toBe("allow");
  });

  it("is false for a missing key, except for negated operators, which are true", () => {
    expect(
      evaluate(allowIf({ StringEquals: { "aws:ResourceTag/snapfleet:managed": "true" } }), del({})),
    ).toBe("implicitDeny");
    expect(evaluate(allowIf({ StringNotEquals: { "aws:ResourceTag/Protected": "yes" } }), del({}))).toBe(
      "allow",
    );
    expect(
      evaluate(
        allowIf({ StringNotEquals: { "aws:ResourceTag/Protected": "yes" } }),
        del({ "aws:ResourceTag/Protected": "yes" }),
      ),
    ).toBe("implicitDeny");
  });

  it(`...IfExists holds when the key is absent (${IAM}/reference_policies_elements_condition_operators.html#Conditions_IfExists)`, () => {
    const policy = allowIf({ StringEqualsIfExists: { "ec2:Encrypted": "true" } });

    expect(evaluate(policy, del({}))).toBe("allow");
    expect(evaluate(policy, del({ "ec2:Encrypted": "false" }))).toBe("implicitDeny");
  });

  it("StringLike and ArnLike take wildcards", () => {
    expect(
      evaluate(
        allowIf({ StringLike: { "aws:ResourceTag/Name": "backup-*" } }),
        del({ "aws:ResourceTag/Name": "backup-db" }),
      ),
    ).toBe("allow");
    expect(
      evaluate(
        allowIf({ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/snapfleet-*" } }),
        del({ "aws:PrincipalArn": "arn:aws:iam::000000000000:role/snapfleet-dev" }),
      ),
    ).toBe("allow");
  });

  it(`ForAllValues holds when every request value matches, and for no values at all (${IAM}/reference_policies_condition-single-vs-multi-valued-context-keys.html)`, () => {
    const policy = allowIf({ "ForAllValues:StringLike": { "aws:TagKeys": "snapfleet:replaced-*" } });

    expect(evaluate(policy, del({ "aws:TagKeys": ["snapfleet:replaced-at", "snapfleet:replaced-by"] }))).toBe(
      "allow",
    );
    expect(evaluate(policy, del({ "aws:TagKeys": ["snapfleet:replaced-at", "snapfleet:managed"] }))).toBe(
      "implicitDeny",
    );
    expect(evaluate(policy, del({}))).toBe("allow");
  });

  it("ForAnyValue needs at least one matching request value", () => {
    const policy = allowIf({ "ForAnyValue:StringEquals": { "aws:TagKeys": ["Owner", "CostCenter"] } });

    expect(evaluate(policy, del({ "aws:TagKeys": ["Name", "Owner"] }))).toBe("allow");
    expect(evaluate(policy, del({ "aws:TagKeys": ["Name"] }))).toBe("implicitDeny");
    expect(evaluate(policy, del({}))).toBe("implicitDeny");
  });

  it(`Null checks whether the key is present (${IAM}/reference_policies_elements_condition_operators.html#Conditions_Null)`, () => {
    const policy = allowIf({ Null: { "aws:RequestTag/snapfleet:restored-from": "false" } });

    expect(evaluate(policy, del({ "aws:RequestTag/snapfleet:restored-from": "snap-1" }))).toBe("allow");
    expect(evaluate(policy, del({}))).toBe("implicitDeny");
  });

  it("compares numbers and dates", () => {
    expect(
      evaluate(
        allowIf({ NumericLessThanEquals: { "ec2:VolumeSize": "100" } }),
        del({ "ec2:VolumeSize": "8" }),
      ),
    ).toBe("allow");
    expect(
      evaluate(
        allowIf({ DateLessThan: { "aws:CurrentTime": "2027-01-01T00:00:00Z" } }),
        del({ "aws:CurrentTime": "2026-01-01T00:00:00Z" }),
      ),
    ).toBe("allow");
  });
});
