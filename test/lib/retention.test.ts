import fc from "fast-check";
import {
  isValidTimeZone,
  keptByPolicy,
  parseRetention,
  periodKey,
  pruneCandidates,
  type RetentionPolicy,
} from "../../lib/retention";

const policy = (text: string): RetentionPolicy => {
  const parsed = parseRetention(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.policy;
};
const day = (n: number, hour = 3) => new Date(Date.UTC(2026, 0, 1 + n, hour));

describe("parseRetention", () => {
  it.each([
    ["7", [{ unit: "d", count: 7 }]],
    ["7d", [{ unit: "d", count: 7 }]],
    [
      "7D, 4w 12m,2Y",
      [
        { unit: "d", count: 7 },
        { unit: "w", count: 4 },
        { unit: "m", count: 12 },
        { unit: "y", count: 2 },
      ],
    ],
    ["48h", [{ unit: "h", count: 48 }]],
  ])("accepts %p", (text, rules) => {
    expect(parseRetention(text)).toEqual({ ok: true, policy: { text: text.trim(), rules } });
  });

  it.each(["abc", "-1", "7x", "0", "", "   ", "100000d", "7d,3d", "1.5d"])(
    "rejects %p with a reason",
    (text) => {
      const parsed = parseRetention(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason.length).toBeGreaterThan(5);
    },
  );
});

describe("periodKey", () => {
  it("puts Sunday in the ISO week that started the Monday before", () => {
    expect(periodKey(new Date("2026-03-01T23:00:00Z"), "w")).toBe("W2026-02-23");
    expect(periodKey(new Date("2026-03-02T00:00:00Z"), "w")).toBe("W2026-03-02");
  });
});

describe("keptByPolicy", () => {
  it("keeps the newest snapshot of each of the last n days that have snapshots", () => {
    const snaps = [0, 1, 1, 2, 5, 9].map((d, i) => ({ id: `s${i}`, startTime: day(d, i) }));
    // Days 9, 5 and 2 are the last three days that have snapshots.
    expect([...keptByPolicy(snaps, policy("3d"))].sort()).toEqual(["s3", "s4", "s5"]);
  });

  it("keeps the newest of two snapshots on the same day", () => {
    const snaps = [0, 1, 1].map((d, i) => ({ id: `s${i}`, startTime: day(d, i) }));
    expect([...keptByPolicy(snaps, policy("2d"))].sort()).toEqual(["s0", "s2"]);
  });

  it("keeps the newest completed snapshot even when the policy would keep nothing older", () => {
    const snaps = [{ id: "only", startTime: day(0) }];
    expect(keptByPolicy(snaps, policy("1h"))).toEqual(new Set(["only"]));
  });

  const history = fc.uniqueArray(
    fc.record({ id: fc.uuid(), startTime: fc.date({ min: day(0), max: day(800), noInvalidDate: true }) }),
    { selector: (s) => s.id, maxLength: 60 },
  );
  const rules = fc
    .subarray(["h", "d", "w", "m", "y"] as const, { minLength: 1 })
    .chain((units) => fc.tuple(...units.map((u) => fc.integer({ min: 1, max: 30 }).map((n) => `${n}${u}`))))
    .map((parts) => parts.join(","));

  it("never drops the newest snapshot, whatever the history and policy", () => {
    fc.assert(
      fc.property(history, rules, (snaps, text) => {
        fc.pre(snaps.length > 0);
        const newest = [...snaps].sort(
          (a, b) => b.startTime.getTime() - a.startTime.getTime() || a.id.localeCompare(b.id),
        )[0];
        expect(keptByPolicy(snaps, policy(text)).has(newest?.id ?? "")).toBe(true);
      }),
    );
  });

  it("keeps the same set whatever the input order", () => {
    fc.assert(
      fc.property(history, rules, (snaps, text) => {
        const reversed = [...snaps].reverse();
        expect([...keptByPolicy(reversed, policy(text))].sort()).toEqual(
          [...keptByPolicy(snaps, policy(text))].sort(),
        );
      }),
    );
  });

  it("deletes nothing more when applied a second time to what it kept", () => {
    fc.assert(
      fc.property(history, rules, (snaps, text) => {
        const kept = keptByPolicy(snaps, policy(text));
        const survivors = snaps.filter((s) => kept.has(s.id));
        expect(keptByPolicy(survivors, policy(text)).size).toBe(survivors.length);
      }),
    );
  });

  it("never keeps fewer snapshots under a longer policy", () => {
    fc.assert(
      fc.property(
        history,
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        (snaps, n, extra) => {
          const short = keptByPolicy(snaps, policy(`${n}d`));
          const long = keptByPolicy(snaps, policy(`${n + extra}d`));
          for (const id of short) expect(long.has(id)).toBe(true);
        },
      ),
    );
  });
});

describe("pruneCandidates", () => {
  const snapshotFacts = fc.uniqueArray(
    fc.record({
      id: fc.uuid(),
      startTime: fc.date({ min: day(0), max: day(800), noInvalidDate: true }),
      state: fc.constantFrom("completed", "completed", "completed", "pending", "error"),
      managed: fc.boolean(),
    }),
    { selector: (s) => s.id, maxLength: 60 },
  );
  const policyText = fc
    .subarray(["h", "d", "w", "m", "y"] as const, { minLength: 1 })
    .chain((units) => fc.tuple(...units.map((u) => fc.integer({ min: 1, max: 30 }).map((n) => `${n}${u}`))))
    .map((parts) => parts.join(" "));
  const thisRun = fc.option(fc.date({ min: day(0), max: day(801), noInvalidDate: true }), { nil: undefined });

  it("never offers an unmanaged, pending or error snapshot, nor the newest completed one", () => {
    fc.assert(
      fc.property(snapshotFacts, policyText, thisRun, (snaps, text, newest) => {
        const candidates = new Set(pruneCandidates(snaps, policy(text), { newest }));
        const completed = snaps.filter((s) => s.state === "completed");
        const newestCompleted = [...completed].sort(
          (a, b) => b.startTime.getTime() - a.startTime.getTime(),
        )[0];
        for (const s of snaps) {
          if (!s.managed || s.state !== "completed") expect(candidates.has(s.id)).toBe(false);
        }
        if (newestCompleted && (!newest || newestCompleted.startTime > newest)) {
          expect(candidates.has(newestCompleted.id)).toBe(false);
        }
      }),
    );
  });

  it("keeps every snapshot that started in the same instant as the newest (a tie is no reason to delete)", () => {
    const at = new Date("2026-03-01T03:00:00Z");
    const snaps = [
      { id: "snap-a", startTime: at, state: "completed", managed: false },
      { id: "snap-b", startTime: at, state: "completed", managed: true },
    ];
    expect(pruneCandidates(snaps, policy("1d"))).toEqual([]);
  });

  it("offers nothing more when the policy is applied again to what is left", () => {
    fc.assert(
      fc.property(snapshotFacts, policyText, (snaps, text) => {
        const first = new Set(pruneCandidates(snaps, policy(text)));
        const left = snaps.filter((s) => !first.has(s.id));
        expect(pruneCandidates(left, policy(text))).toEqual([]);
      }),
    );
  });

  it("counts periods in the configured time zone", () => {
    // 23:30 UTC on Jan 1 and 00:30 UTC on Jan 2 are the same day in New York, two days in UTC.
    const snaps = [
      { id: "a", startTime: new Date("2026-01-01T23:30:00Z"), state: "completed", managed: true },
      { id: "b", startTime: new Date("2026-01-02T00:30:00Z"), state: "completed", managed: true },
    ];
    expect(pruneCandidates(snaps, policy("2d"))).toEqual([]);
    expect(pruneCandidates(snaps, policy("2d"), { timeZone: "America/New_York" })).toEqual(["a"]);
  });
});

describe("periodKey in a time zone", () => {
  it("starts ISO weeks on the local Monday", () => {
    // Monday 00:30 in Berlin is still Sunday in UTC.
    const t = new Date("2026-03-01T23:30:00Z");
    expect(periodKey(t, "w")).toBe("W2026-02-23");
    expect(periodKey(t, "w", "Europe/Berlin")).toBe("W2026-03-02");
    expect(periodKey(t, "h", "Europe/Berlin")).toBe("2026-03-02T00");
  });

  it("rejects an unknown time zone", () => {
    expect(isValidTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(isValidTimeZone("Europe/Berlin")).toBe(true);
  });
});
