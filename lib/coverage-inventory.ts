import {
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  type Instance,
  type Snapshot,
  type Volume,
} from "@aws-sdk/client-ec2";
import type { Deps } from "./deps";
import { listManagedSnapshots } from "./plan";

export interface Inventory {
  instances: Instance[];
  volumes: Volume[];
  primarySnapshots: Snapshot[];
  drSnapshots: Snapshot[];
}

/** DescribeVolumes returns at most 500 per page, DescribeInstances 1,000 (the EC2 API reference). */
const VOLUMES_PAGE = 500;
const INSTANCES_PAGE = 1000;

/**
 * What `snapfleet coverage` looks at, in one paginated Describe per resource type and region
 * (instances and volumes in the region, snapfleet's snapshots there and in the DR region): the
 * number of calls grows with the pages, never with the number of volumes. The SDK's own retries
 * handle throttling, as in any AWS tool.
 */
export async function listInventory(
  props: { region: string; drRegion: string },
  deps: Pick<Deps, "ec2">,
): Promise<Inventory> {
  const direct = <T>(_region: string, call: () => Promise<T>) => call();
  const [instances, volumes, primarySnapshots, drSnapshots] = await Promise.all([
    listInstances(props.region, deps),
    listVolumes(props.region, deps),
    listManagedSnapshots(props.region, deps, direct),
    props.drRegion ? listManagedSnapshots(props.drRegion, deps, direct) : Promise.resolve([]),
  ]);
  return { instances, volumes, primarySnapshots, drSnapshots };
}

async function listInstances(region: string, deps: Pick<Deps, "ec2">): Promise<Instance[]> {
  const result: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await deps.ec2(region).send(
      new DescribeInstancesCommand({
        // Terminated instances keep no volumes; they would only add rows with nothing to protect.
        Filters: [{ Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] }],
        MaxResults: INSTANCES_PAGE,
        ...(NextToken ? { NextToken } : {}),
      }),
    );
    for (const reservation of page.Reservations ?? []) result.push(...(reservation.Instances ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return result;
}

async function listVolumes(region: string, deps: Pick<Deps, "ec2">): Promise<Volume[]> {
  const result: Volume[] = [];
  let NextToken: string | undefined;
  do {
    const page = await deps
      .ec2(region)
      .send(new DescribeVolumesCommand({ MaxResults: VOLUMES_PAGE, ...(NextToken ? { NextToken } : {}) }));
    result.push(...(page.Volumes ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return result;
}
