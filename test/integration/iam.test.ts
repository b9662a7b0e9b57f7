import { runBackupCycle } from "../../local/cycle";
import {
  DAY_MS,
  enforcePolicyWithout,
  launchInstance,
  listSnapshots,
  seedSnapshot,
  startTestAws,
} from "../helpers/aws";

/**
 * IAM enforced locally: the functions' policy from the packaged template, less one statement,
 * makes the matching step fail with an access-denied error that names the action.
 */
describe("a permission missing from the stack's policy", () => {
  it("fails the pruning step of each drive with UnauthorizedOperation naming ec2:DeleteSnapshot, and deletes nothing", async () => {
    const aws = await startTestAws(Date.UTC(2026, 0, 1, 3), { iam: false });
    try {
      await enforcePolicyWithout(aws, "DeleteOnlyManagedSnapshots");
      const instance = await launchInstance(aws, { tags: { Name: "web", Backup: "true", Retention: "1" } });
      const old = await seedSnapshot(aws, {
        volumeId: instance.rootVolumeId,
        instanceId: instance.instanceId,
      });
      aws.clock.advance(2 * DAY_MS);

      const { drives } = await runBackupCycle(aws.config(), aws.clock);

      expect(drives).toHaveLength(1);
      expect(drives[0]?.status).toBe("failed");
      expect(drives[0]?.reason).toMatch(
        /UnauthorizedOperation: .*not authorized to perform: ec2:DeleteSnapshot/,
      );
      expect(drives[0]?.snapshotState).toBe("completed");
      expect(drives[0]?.drSnapshotId).toMatch(/^snap-/);
      expect((await listSnapshots(aws)).map((s) => s.SnapshotId)).toContain(old);
    } finally {
      await aws.stop();
    }
  });
});
