/**
 * The template's Rules, which CloudFormation checks before it creates or changes anything, and
 * which local runs check the same way (local/stack-on-emulator.ts).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html
 */

import { startEmulator } from "../../local/aws/server";
import { VirtualClock } from "../../local/clock";
import { localConfig } from "../../local/cycle";
import { type CfnTemplate, loadPackagedTemplate, ruleViolations } from "../../local/stack";
import { applyStack } from "../../local/stack-on-emulator";

let template: CfnTemplate;
beforeAll(async () => {
  template = await loadPackagedTemplate();
}, 180_000);

const DR_SAME =
  "DrRegion must name another region than the stack's own; DR copies beside their originals protect nothing. " +
  'Deploy with --param="DrRegion=<another region>".';

describe("rule DrRegionIsAnotherRegion", () => {
  it("refuses the defaults deployed in us-west-2, where DrRegion (us-west-2) is the stack's region", () => {
    expect(ruleViolations(template, { region: "us-west-2" })).toEqual([DR_SAME]);
  });

  it("accepts the defaults in us-east-1, and DrRegion us-east-1 in us-west-2", () => {
    expect(ruleViolations(template, { region: "us-east-1" })).toEqual([]);
    expect(ruleViolations(template, { region: "us-west-2", parameters: { DrRegion: "us-east-1" } })).toEqual(
      [],
    );
  });

  it("stops a local run before anything is set up", async () => {
    const emulator = await startEmulator({ clock: new VirtualClock(Date.UTC(2026, 0, 1)) });
    try {
      const config = localConfig({ endpoint: emulator.endpoint, region: "us-west-2", drRegion: "us-west-2" });

      await expect(applyStack(emulator, config)).rejects.toThrow(DR_SAME);
    } finally {
      await emulator.stop();
    }
  });
});

describe("rule SelectionTagKeyAsPackaged", () => {
  it("refuses a SelectionTagKey other than the one written into the restore role's IAM condition", () => {
    const violations = ruleViolations(template, {
      region: "us-east-1",
      parameters: { SelectionTagKey: "Owner" },
    });

    expect(violations).toEqual([
      "SelectionTagKey is also written into the restore role's IAM condition when the stack is packaged; " +
        'change it with sls deploy --param="SelectionTagKey=<key>", not in the console.',
    ]);
  });
});

describe("a stack packaged with --param SelectionTagKey=Owner", () => {
  it("writes aws:ResourceTag/Owner into the restore role's instance statement, and its rule accepts Owner", async () => {
    const owner = await loadPackagedTemplate({ args: ["--param", "SelectionTagKey=Owner"] });
    const role = owner.Resources.RestoreFunctionRole?.Properties as {
      Policies: { PolicyDocument: { Statement: { Sid?: string; Condition?: unknown }[] } }[];
    };
    const statement = role.Policies[0]?.PolicyDocument.Statement.find(
      (s) => s.Sid === "SwapOnSelectedInstances",
    );

    expect(statement?.Condition).toEqual({
      StringEqualsIgnoreCase: { "aws:ResourceTag/Owner": ["true", "yes", "on", "1"] },
    });
    expect(ruleViolations(owner, { region: "us-east-1" })).toEqual([]);
    expect(
      ruleViolations(owner, { region: "us-east-1", parameters: { SelectionTagKey: "Backup" } }),
    ).toHaveLength(1);
  }, 180_000);
});
