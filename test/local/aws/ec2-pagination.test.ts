import {
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
} from "@aws-sdk/client-ec2";
import { failure, type Harness, startHarness } from "./harness";
import { errorCode, FORM, raw, signedAs } from "./raw";

const API = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ quotas: false });
});
afterEach(() => h.emulator.stop());

async function volumes(n: number): Promise<void> {
  const ec2 = h.ec2();
  for (let i = 0; i < n; i++)
    await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1 }));
}

describe(`MaxResults as the AWS CLI sends it (${API}/API_DescribeVolumes.html)`, () => {
  it("answers MaxResults=1000 on DescribeVolumes with at most 500 volumes and a NextToken", async () => {
    await volumes(503);

    const first = await h.ec2().send(new DescribeVolumesCommand({ MaxResults: 1000 }));
    const second = await h
      .ec2()
      .send(new DescribeVolumesCommand({ MaxResults: 1000, NextToken: first.NextToken }));

    expect(first.Volumes).toHaveLength(500);
    expect(first.NextToken).toEqual(expect.any(String));
    expect(second.Volumes).toHaveLength(3);
    expect(second.NextToken).toBeUndefined();
  });

  it(`answers MaxResults=5000 on DescribeSnapshots as 1000 (${API}/API_DescribeSnapshots.html)`, async () => {
    const out = await h.ec2().send(new DescribeSnapshotsCommand({ MaxResults: 5000, OwnerIds: ["self"] }));

    expect(out.Snapshots).toEqual([]);
  });

  it("still refuses MaxResults below the range", async () => {
    const error = await failure(h.ec2().send(new DescribeVolumesCommand({ MaxResults: 4 })));

    expect(error).toMatchObject({ name: "InvalidParameterValue", status: 400 });
    expect(error.message).toContain("between 5 and 500");
  });

  it(`refuses MaxResults=1001 on DescribeInstances, whose range is 5-1000 (${API}/API_DescribeInstances.html)`, async () => {
    const error = await failure(h.ec2().send(new DescribeInstancesCommand({ MaxResults: 1001 })));

    expect(error).toMatchObject({ name: "InvalidParameterValue", status: 400 });
  });
});

describe(`MaxResults and NextToken that AWS refuses (${API}/errors-overview.html)`, () => {
  it.each(["abc", "", "7.5"])("refuses MaxResults=%j with InvalidParameterValue", async (value) => {
    const answer = await raw(h.emulator.endpoint, {
      headers: { ...FORM, ...signedAs("ec2") },
      body: `Action=DescribeVolumes&Version=2016-11-15&MaxResults=${encodeURIComponent(value)}`,
    });

    expect([answer.status, errorCode(answer)]).toEqual([400, "InvalidParameterValue"]);
  });

  it.each(["garbage", "AAAA", Buffer.from("offset:-1").toString("base64url")])(
    "refuses NextToken=%j with InvalidPaginationToken",
    async (token) => {
      await volumes(6);

      const error = await failure(
        h.ec2().send(new DescribeVolumesCommand({ MaxResults: 5, NextToken: token })),
      );

      expect(error).toMatchObject({ name: "InvalidPaginationToken", status: 400 });
    },
  );
});
