import {
  copyTags,
  isInstanceSelected,
  isVolumeOptedOut,
  MAX_TAGS,
  snapshotTags,
  tagValue,
} from "../../lib/tags";

describe("selection tags", () => {
  it.each(["true", "TRUE", "yes", "On", "1", " yes "])("selects an instance tagged Backup=%p", (value) => {
    expect(isInstanceSelected({ Backup: value }, "Backup")).toBe(true);
  });

  it("matches the tag key case-insensitively", () => {
    expect(isInstanceSelected({ backup: "true" }, "Backup")).toBe(true);
    expect(tagValue({ RETENTION: "7" }, "Retention")).toBe("7");
  });

  it.each(["false", "no", "", "maybe"])("does not select an instance tagged Backup=%p", (value) => {
    expect(isInstanceSelected({ Backup: value }, "Backup")).toBe(false);
  });

  it("does not select an instance without the tag", () => {
    expect(isInstanceSelected({ Name: "x" }, "Backup")).toBe(false);
  });

  it("opts a volume out only with a false value", () => {
    expect(isVolumeOptedOut({ Backup: "false" }, "Backup")).toBe(true);
    expect(isVolumeOptedOut({ Backup: "true" }, "Backup")).toBe(false);
    expect(isVolumeOptedOut({}, "Backup")).toBe(false);
  });
});

describe("snapshotTags", () => {
  const props = {
    instanceId: "i-1",
    host: "web-1",
    device: "/dev/sdf",
    volumeId: "vol-1",
    runId: "run-1",
    retention: "7d",
  };

  it("carries the volume's tags but not aws: ones, and adds snapfleet's", () => {
    const tags = snapshotTags({
      ...props,
      volumeTags: { Name: "data", "aws:cloudformation:stack-name": "x" },
    });
    expect(tags).toEqual({
      Name: "data",
      "snapfleet:managed": "true",
      "snapfleet:instance-id": "i-1",
      "snapfleet:host": "web-1",
      "snapfleet:device": "/dev/sdf",
      "snapfleet:volume-id": "vol-1",
      "snapfleet:run": "run-1",
      "snapfleet:retention": "7d",
    });
  });

  it("drops volume tags, never its own, when the volume has too many", () => {
    const volumeTags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, `v${i}`]));
    const tags = snapshotTags({ ...props, volumeTags });
    expect(Object.keys(tags)).toHaveLength(MAX_TAGS);
    expect(tags["snapfleet:managed"]).toBe("true");
    expect(tags["snapfleet:run"]).toBe("run-1");
  });

  it("does not let a volume's own snapfleet: tag override the bookkeeping", () => {
    const tags = snapshotTags({ ...props, volumeTags: { "snapfleet:managed": "false" } });
    expect(tags["snapfleet:managed"]).toBe("true");
  });

  it("marks DR copies with their source", () => {
    const source = snapshotTags({ ...props, volumeTags: { Name: "data" } });
    const tags = copyTags(source, "snap-1", "us-east-1");
    expect(tags).toMatchObject({
      Name: "data",
      "snapfleet:managed": "true",
      "snapfleet:source-snapshot": "snap-1",
      "snapfleet:source-region": "us-east-1",
    });
  });
});
