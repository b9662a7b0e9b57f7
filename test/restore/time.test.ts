import { restoreRequestSchema } from "../../functions/restore-schemas";
import { parseIsoTime } from "../../lib/restore/time";

/** `--at` and the restore input's `at`: ISO 8601 with a zone, on a real calendar day (issue 13). */
describe("parseIsoTime", () => {
  it.each([
    ["2026-11-30T00:00:00Z", "2026-11-30T00:00:00.000Z"],
    ["2026-11-30T00:00Z", "2026-11-30T00:00:00.000Z"],
    ["2026-11-30t12:34:56z", "2026-11-30T12:34:56.000Z"],
    ["2026-11-30T01:00:00+01:00", "2026-11-30T00:00:00.000Z"],
    ["2026-11-29T19:30:00-04:30", "2026-11-30T00:00:00.000Z"],
    ["2026-11-30T00:00:00.5Z", "2026-11-30T00:00:00.500Z"],
    ["2026-11-30T00:00:00.123456789Z", "2026-11-30T00:00:00.123Z"],
    ["2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000Z"],
    ["2026-12-31T23:59:59Z", "2026-12-31T23:59:59.000Z"],
  ])("reads %p as %p", (text, iso) => {
    expect(parseIsoTime(text)?.toISOString()).toBe(iso);
  });

  it.each([
    "0",
    "12",
    "yesterday",
    "2026-02-30T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-11-30T24:00:00Z",
    "2026-11-30T23:60:00Z",
    "2026-11-30T23:59:60Z",
    "2026-11-30",
    "2026-11-30T00:00:00",
    "2026-11-30 00:00:00Z",
    "2026-11-30T00:00:00+0100",
    "Mon, 30 Nov 2026 00:00:00 GMT",
  ])("refuses %p", (text) => {
    expect(parseIsoTime(text)).toBeUndefined();
  });
});

describe("the restore state machine's input", () => {
  it("refuses at: 2026-02-30T00:00:00Z, which Date.parse would roll into March", () => {
    const parsed = restoreRequestSchema.safeParse({
      host: "web-1",
      device: "/dev/xvda",
      at: "2026-02-30T00:00:00Z",
    });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(
      /must be an ISO 8601 time with a zone on a real calendar day/,
    );
  });

  it("takes a time with an offset", () => {
    const parsed = restoreRequestSchema.safeParse({
      host: "web-1",
      device: "/dev/xvda",
      at: "2026-11-30T01:00:00+01:00",
    });

    expect(parsed.success).toBe(true);
  });
});
