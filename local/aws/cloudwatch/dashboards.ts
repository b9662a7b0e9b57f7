import type { EmulatorClock } from "../clock";
import { AwsError } from "../errors";
import { type Input, str, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";

export interface Dashboard {
  body: string;
  lastModified: Date;
}

const arn = (accountId: string, name: string) => `arn:aws:cloudwatch::${accountId}:dashboard/${name}`;

const notFound = (name: string) => new AwsError("ResourceNotFound", `Dashboard ${name} does not exist`, 404);

/**
 * The body must be a JSON object whose `widgets` is an array; anything else is refused with
 * `InvalidParameterInput` (the DashboardInvalidInputError of the model).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
export function putDashboard(dashboards: Map<string, Dashboard>, input: Input, clock: EmulatorClock): Output {
  const name = str(input, "DashboardName") ?? "";
  const body = str(input, "DashboardBody") ?? "";
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsError("InvalidParameterInput", "The field DashboardBody must be a valid JSON object");
  }
  const widgets = (parsed as { widgets?: unknown } | null)?.widgets;
  if (parsed === null || typeof parsed !== "object" || !Array.isArray(widgets))
    throw new AwsError(
      "InvalidParameterInput",
      "The dashboard body is invalid, there are 1 validation errors: widgets",
    );
  dashboards.set(name, { body, lastModified: clock.now() });
  return { DashboardValidationMessages: [] };
}

/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetDashboard.html */
export function getDashboard(dashboards: Map<string, Dashboard>, input: Input, accountId: string): Output {
  const name = str(input, "DashboardName") ?? "";
  const d = dashboards.get(name);
  if (!d) throw notFound(name);
  return { DashboardArn: arn(accountId, name), DashboardBody: d.body, DashboardName: name };
}

/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListDashboards.html */
export function listDashboards(dashboards: Map<string, Dashboard>, input: Input, accountId: string): Output {
  const prefix = str(input, "DashboardNamePrefix") ?? "";
  return {
    DashboardEntries: [...dashboards]
      .filter(([name]) => name.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, d]) => ({
        DashboardName: name,
        DashboardArn: arn(accountId, name),
        LastModified: d.lastModified,
        Size: Buffer.byteLength(d.body),
      })),
  };
}

/** All or nothing: one missing name refuses the call. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteDashboards.html */
export function deleteDashboards(dashboards: Map<string, Dashboard>, input: Input): Output {
  const names = strList(input, "DashboardNames");
  const missing = names.find((n) => !dashboards.has(n));
  if (missing !== undefined) throw notFound(missing);
  for (const n of names) dashboards.delete(n);
  return {};
}
