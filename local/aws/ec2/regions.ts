import { type Input, strList } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { matchesAll, readFilters } from "./filters";
import type { Ec2Context } from "./model";

export const REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-central-1",
  "eu-north-1",
  "ap-south-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "sa-east-1",
];

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html */
export function describeRegions(_ctx: Ec2Context, input: Input): Output {
  const names = strList(input, "RegionName");
  const filters = readFilters(input);
  const regions = REGIONS.filter((r) => names.length === 0 || names.includes(r)).filter((r) =>
    matchesAll(filters, (name) =>
      name === "region-name" ? [r] : name === "endpoint" ? [`ec2.${r}.amazonaws.com`] : undefined,
    ),
  );
  return {
    regionInfo: regions.map((regionName) => ({
      regionName,
      regionEndpoint: `ec2.${regionName}.amazonaws.com`,
      optInStatus: "opt-in-not-required",
    })),
  };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html */
export function describeAvailabilityZones(ctx: Ec2Context, input: Input): Output {
  const region = ctx.region.region;
  const names = strList(input, "ZoneName");
  const short = region.replace(/^(\w)\w*-(\w)\w*-(\d+)$/, "$1$2$3");
  const zones = ["a", "b", "c"]
    .map((letter, n) => ({ zoneName: `${region}${letter}`, zoneId: `${short}-az${n + 1}` }))
    .filter((z) => names.length === 0 || names.includes(z.zoneName));
  return {
    availabilityZoneInfo: zones.map((z) => ({
      zoneName: z.zoneName,
      zoneId: z.zoneId,
      zoneState: "available",
      regionName: region,
      zoneType: "availability-zone",
      optInStatus: "opt-in-not-required",
      messageSet: [],
    })),
  };
}
