/**
 * Every alarm of the packaged template watches a metric that something actually publishes: one of
 * lib/metric-names.ts in the stack's namespace (with that metric's dimensions), or one of Step
 * Functions' execution metrics for a state machine of this stack.
 * https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html
 */
import {
  AGENT_METRICS,
  DEFAULT_NAMESPACE,
  DIMENSION_DRIVE,
  DIMENSION_SERVER,
  DRIVE_METRICS,
  FLEET_METRICS,
} from "../../lib/metric-names";
import {
  type CfnTemplate,
  defaultPhysicalIds,
  loadPackagedTemplate,
  resolveIntrinsics,
  resolveParameters,
} from "../../local/stack";

type Props = Record<string, unknown>;
interface Dimension {
  Name: string;
  Value: unknown;
}

/** Step Functions' execution metrics, dimension StateMachineArn. */
const STATES_EXECUTION_METRICS = [
  "ExecutionTime",
  "ExecutionThrottled",
  "ExecutionsAborted",
  "ExecutionsFailed",
  "ExecutionsStarted",
  "ExecutionsSucceeded",
  "ExecutionsTimedOut",
];

let template: CfnTemplate;
let alarms: [string, Props][];

beforeAll(async () => {
  template = await loadPackagedTemplate();
  alarms = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === "AWS::CloudWatch::Alarm")
    .map(([id, r]) => [id, r.Properties ?? {}]);
}, 180_000);

// Dimensionless: the EC2 run's fleet metrics and the on-premises agents' per-run ones.
const fleet = new Map<string, { name: string; unit: string }>(
  [...Object.values(FLEET_METRICS), ...Object.values(AGENT_METRICS)].map((m) => [m.name, m]),
);
const drive = new Map<string, { name: string; unit: string }>(
  Object.values(DRIVE_METRICS).map((m) => [m.name, m]),
);
const ourNamespace = { Ref: "MetricNamespace" };

describe("the packaged template's alarms", () => {
  it("exist", () => {
    expect(alarms.length).toBeGreaterThan(0);
  });

  it("take the stack's namespace from the MetricNamespace parameter, whose default is lib's", () => {
    expect(resolveParameters(template).MetricNamespace).toBe(DEFAULT_NAMESPACE);
    for (const [id, props] of alarms) {
      const namespace = props.Namespace;
      expect([
        id,
        namespace === "AWS/States" || JSON.stringify(namespace) === JSON.stringify(ourNamespace),
      ]).toEqual([id, true]);
    }
  });

  it("watch in the stack's namespace only metrics of lib/metric-names.ts, with their dimensions and unit", () => {
    for (const [id, props] of alarms.filter(([, p]) => p.Namespace !== "AWS/States")) {
      const name = String(props.MetricName);
      const metric = fleet.get(name) ?? drive.get(name);
      const dimensions = ((props.Dimensions as Dimension[] | undefined) ?? []).map((d) => d.Name).sort();
      const allowed = drive.has(name) ? [DIMENSION_DRIVE, DIMENSION_SERVER].sort() : [];

      expect([id, name, metric !== undefined]).toEqual([id, name, true]);
      // A fleet metric has no dimensions; a drive metric is published with Server and Drive.
      expect([id, dimensions]).toEqual([id, drive.has(name) ? allowed : []]);
      if (props.Unit !== undefined) expect([id, props.Unit]).toEqual([id, metric?.unit]);
    }
  });

  it("watch in AWS/States only execution metrics of a state machine of this stack", () => {
    const machines = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === "AWS::StepFunctions::StateMachine")
      .map(([id]) => id);
    const ids = defaultPhysicalIds(template);

    for (const [id, props] of alarms.filter(([, p]) => p.Namespace === "AWS/States")) {
      const dimensions = props.Dimensions as Dimension[];
      const target = (dimensions[0]?.Value as { Ref?: string } | undefined)?.Ref;

      expect([id, STATES_EXECUTION_METRICS.includes(String(props.MetricName))]).toEqual([id, true]);
      expect([id, dimensions.map((d) => d.Name)]).toEqual([id, ["StateMachineArn"]]);
      expect([id, machines.includes(String(target))]).toEqual([id, true]);
      expect(resolveIntrinsics(dimensions, template, ids)).toEqual([
        { Name: "StateMachineArn", Value: ids[String(target)] },
      ]);
    }
  });
});
