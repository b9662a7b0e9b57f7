import { consistencyOf, isFallback } from "../../lib/consistency";

describe("consistencyOf (the server's consistency tags, README 'Consistency')", () => {
  it("defaults to volume, fallback instance, 10 s, the built-in script", () => {
    expect(consistencyOf({ Backup: "true" }, "linux")).toEqual({
      requested: "volume",
      fallback: "instance",
      timeoutSeconds: 10,
      platform: "linux",
    });
  });

  it("reads keys and values regardless of case and spaces", () => {
    const policy = consistencyOf(
      {
        backupconsistency: " Application ",
        BACKUPFALLBACK: "Skip",
        BackupFreezeTimeout: "30",
        BackupScriptDocument: "snapfleet-mysql-flush",
      },
      "linux",
    );
    expect(policy).toEqual({
      requested: "application",
      fallback: "skip",
      timeoutSeconds: 30,
      platform: "linux",
      document: "snapfleet-mysql-flush",
    });
  });

  it("an unknown consistency takes a crash-consistent set, never less, and says why", () => {
    const policy = consistencyOf({ BackupConsistency: "app" }, "linux");
    expect(policy.requested).toBe("instance");
    expect(policy.problem).toMatch(/BackupConsistency="app" is not one of volume, instance, application/);
  });

  it("conflicting case-variant keys are reported, and the set is taken", () => {
    const policy = consistencyOf({ BackupConsistency: "volume", backupconsistency: "application" }, "linux");
    expect(policy.requested).toBe("instance");
    expect(policy.problem).toMatch(/conflicting BackupConsistency tags/);
  });

  it.each(["0", "61", "ten", "2.5", "-1"])(
    "a freeze timeout of %s is refused for the default 10 s",
    (value) => {
      const policy = consistencyOf({ BackupConsistency: "application", BackupFreezeTimeout: value }, "linux");
      expect(policy.timeoutSeconds).toBe(10);
      expect(policy.problem).toMatch(/BackupFreezeTimeout/);
    },
  );

  it("keeps Windows' VSS freeze at its own 10 s limit", () => {
    expect(consistencyOf({ BackupFreezeTimeout: "45" }, "windows").timeoutSeconds).toBe(10);
  });

  it("refuses a document not named snapfleet-* (the IAM policy allows no other)", () => {
    const policy = consistencyOf({ BackupScriptDocument: "AWS-RunShellScript" }, "linux");
    expect(policy.document).toBeUndefined();
    expect(policy.problem).toMatch(/snapfleet-\*/);
  });

  it("an unknown fallback takes the set (a backup rather than none)", () => {
    const policy = consistencyOf({ BackupFallback: "never" }, "linux");
    expect(policy.fallback).toBe("instance");
    expect(policy.problem).toMatch(/BackupFallback/);
  });
});

describe("isFallback", () => {
  it.each([
    ["instance", "application", true],
    ["volume", "instance", true],
    ["skipped", "application", true],
    ["application", "application", false],
    ["instance", "instance", false],
    ["volume", "volume", false],
  ])("got %s, asked %s: %s", (got, requested, expected) => {
    expect(isFallback(got, requested)).toBe(expected);
  });
});
