import { loadConfig } from "../../lib/config";

describe("loadConfig", () => {
  const base = { AWS_REGION: "us-east-1" };

  it("applies the stack's defaults", () => {
    expect(loadConfig(base)).toMatchObject({
      region: "us-east-1",
      selectionTag: "Backup",
      defaultRetention: "7",
      metricNamespace: "Organization/Backup",
      timeZone: "UTC",
      orphans: "keep",
    });
  });

  it.each([
    [{ SNAPFLEET_DEFAULT_RETENTION: "7x" }, "SNAPFLEET_DEFAULT_RETENTION: must follow the retention grammar"],
    [
      { SNAPFLEET_RETENTION_TIMEZONE: "Mars/Base" },
      "SNAPFLEET_RETENTION_TIMEZONE: must be an IANA time zone",
    ],
    [{ SNAPFLEET_ORPHANS: "delete" }, "SNAPFLEET_ORPHANS"],
    [{ AWS_REGION: "" }, "AWS_REGION"],
    [
      { AWS_REGION: "us-west-2", SNAPFLEET_DR_REGION: "us-west-2" },
      "SNAPFLEET_DR_REGION: equals AWS_REGION, the stack's own region: DR copies beside their originals protect nothing. Set the stack parameter DrRegion to another region",
    ],
  ])("fails at start naming the variable for %p", (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it("takes a DR region other than the stack's", () => {
    expect(loadConfig({ AWS_REGION: "us-west-2", SNAPFLEET_DR_REGION: "us-east-1" }).drRegion).toBe(
      "us-east-1",
    );
  });
});
