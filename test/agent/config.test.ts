/** Pure parts of the agent: configuration, keep rules, units, choosing a snapshot, log lines. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { serverName } from "../../cli/agent-context";
import { parseAgentConfig } from "../../lib/agent/config";
import { AgentConfigError, AgentRestoreRefusedError } from "../../lib/agent/errors";
import { s3Location } from "../../lib/agent/install";
import { keepRules } from "../../lib/agent/keep-rules";
import { jsonLog } from "../../lib/agent/log";
import { resticTime } from "../../lib/agent/restic";
import { chooseSnapshot } from "../../lib/agent/snapshots";
import { cronLine, serviceUnit, timerUnit } from "../../lib/agent/units";
import { parseRetention, type RetentionPolicy } from "../../lib/retention";

const valid = {
  paths: ["/etc", "/var/www"],
  repository: "s3:https://s3.us-east-1.amazonaws.com/bucket/agents/web-1",
  region: "us-east-1",
  passwordFile: "/etc/snapfleet/password",
};
const parse = (config: unknown) => parseAgentConfig(JSON.stringify(config), "agent.json");
const policy = (text: string) => (parseRetention(text) as { ok: true; policy: RetentionPolicy }).policy;

describe("agent configuration", () => {
  it("fills in the defaults: daily at 02:00, 7d,4w,12m, UTC, the stack's default namespace", () => {
    expect(parse(valid)).toMatchObject({
      schedule: "02:00",
      retention: "7d,4w,12m",
      timeZone: "UTC",
      namespace: "Organization/Backup",
      excludes: [],
      bucketLookup: "auto",
    });
  });

  it.each([
    [{ ...valid, paths: [] }, "paths", "paths: list at least one path"],
    [{ ...valid, paths: ["/etc", "var/www"] }, "paths[1]", "paths[1]: must be an absolute path"],
    [{ ...valid, region: "Frankfurt" }, "region", "region: must be an AWS region"],
    [{ ...valid, schedule: "25:00" }, "schedule", 'schedule: must be "HH:MM" (daily) or "hourly"'],
    [{ ...valid, timeZone: "Mars/Olympus" }, "timeZone", "timeZone: must be an IANA time zone"],
    [{ ...valid, repository: undefined }, "repository", "repository: "],
    [{ ...valid, alarmTopicArn: "alarms" }, "alarmTopicArn", "alarmTopicArn: must be an SNS topic ARN"],
    [{ ...valid, missedBackupHours: 169 }, "missedBackupHours", "missedBackupHours: "],
  ])("names the field of an invalid value: %#", (config, field, message) => {
    const error = (() => {
      try {
        parse(config);
      } catch (e) {
        return e as AgentConfigError;
      }
      throw new Error("no error");
    })();

    expect(error).toBeInstanceOf(AgentConfigError);
    expect(error.field).toBe(field);
    expect(error.message).toContain(`agent.json: ${message}`);
  });

  it("refuses an unknown field (a typo such as pasword) and a command-line-style password", () => {
    expect(() => parse({ ...valid, pasword: "x" })).toThrow("unknown field pasword");
    expect(() => parse({ ...valid, password: "x" })).toThrow("unknown field password");
  });

  it("accepts an invalid retention: the run reports it, with Errors=1 and nothing pruned", () => {
    expect(parse({ ...valid, retention: "7x" }).retention).toBe("7x");
  });
});

describe("restic keep rules", () => {
  it.each([
    ["7", ["--keep-last", "1", "--keep-daily", "7"]],
    ["7d,4w,12m", ["--keep-last", "1", "--keep-daily", "7", "--keep-weekly", "4", "--keep-monthly", "12"]],
    ["48h 2y", ["--keep-last", "1", "--keep-hourly", "48", "--keep-yearly", "2"]],
  ])("maps %s", (text, args) => {
    expect(keepRules(policy(text))).toEqual(args);
  });
});

describe("restic --time", () => {
  it("writes the moment in the zone restic runs in", () => {
    expect(resticTime(new Date("2026-10-31T23:00:00Z"), "UTC")).toBe("2026-10-31 23:00:00");
    expect(resticTime(new Date("2026-10-31T23:00:00Z"), "Europe/Berlin")).toBe("2026-11-01 00:00:00");
  });
});

describe("S3 repository locations", () => {
  it.each([
    [
      "s3:https://s3.us-east-1.amazonaws.com/b/agents/web-1",
      "https://s3.us-east-1.amazonaws.com",
      "b",
      "agents/web-1",
    ],
    ["s3:http://127.0.0.1:4566/b/agents/web-1/", "http://127.0.0.1:4566", "b", "agents/web-1"],
    ["s3:s3.amazonaws.com/b", "https://s3.amazonaws.com", "b", ""],
  ])("%s", (repository, endpoint, bucket, prefix) => {
    expect(s3Location(repository)).toEqual({ endpoint, bucket, prefix });
  });

  it("is undefined for other backends", () => {
    expect(s3Location("/srv/restic")).toBeUndefined();
  });
});

describe("systemd units and cron", () => {
  const props = { command: "/usr/bin/snapfleet", configFile: "/etc/snapfleet/agent.json", schedule: "02:30" };

  it("runs one backup per timer tick, daily at the configured time, catching up missed runs", () => {
    expect(serviceUnit(props)).toContain(
      "ExecStart=/usr/bin/snapfleet agent backup --config /etc/snapfleet/agent.json",
    );
    expect(serviceUnit(props)).toContain("Type=oneshot");
    expect(timerUnit(props)).toContain("OnCalendar=*-*-* 02:30:00");
    expect(timerUnit(props)).toContain("Persistent=true");
    expect(timerUnit({ ...props, schedule: "hourly" })).toContain("OnCalendar=hourly");
  });

  it("prints a cron.d line at minute 30, hour 2, logging through logger", () => {
    expect(cronLine(props)).toBe(
      "30 2 * * * root /usr/bin/snapfleet agent backup --config /etc/snapfleet/agent.json 2>&1 | logger -t snapfleet-agent",
    );
    expect(cronLine({ ...props, schedule: "hourly" }).startsWith("0 * * * * root")).toBe(true);
  });
});

describe("choosing a snapshot to restore", () => {
  const at = (iso: string) => new Date(iso);
  const snaps = [
    { id: "a", shortId: "a", time: at("2026-11-01T02:00:00Z"), path: "/etc", host: "h" },
    { id: "b", shortId: "b", time: at("2026-11-02T02:00:00Z"), path: "/etc", host: "h" },
    { id: "c", shortId: "c", time: at("2026-11-02T02:00:00Z"), path: "/var/www", host: "h" },
  ];

  it("takes the newest of the path at or before the time, else the newest", () => {
    expect(chooseSnapshot(snaps, "/etc", at("2026-11-01T12:00:00Z")).id).toBe("a");
    expect(chooseSnapshot(snaps, "/etc", at("2026-11-02T02:00:00Z")).id).toBe("b");
    expect(chooseSnapshot(snaps, "/etc", undefined).id).toBe("b");
  });

  it("refuses a time before the first snapshot, naming the paths that have snapshots", () => {
    expect(() => chooseSnapshot(snaps, "/etc", at("2026-10-01T00:00:00Z"))).toThrow(AgentRestoreRefusedError);
    expect(() => chooseSnapshot(snaps, "/srv", undefined)).toThrow("Paths with snapshots: /etc, /var/www.");
  });
});

describe("log lines", () => {
  it("are one JSON object each, with Powertools' fields, the server and the call's keys", () => {
    let out = "";
    const log = jsonLog(
      { write: (t: string) => (out += t) },
      { server: "web-1" },
      { clock: () => new Date(0) },
    );

    log.error("path failed", { drive: "/etc", error: new Error("boom") });

    expect(JSON.parse(out)).toEqual({
      level: "ERROR",
      message: "path failed",
      timestamp: "1970-01-01T00:00:00.000Z",
      service: "snapfleet-agent",
      server: "web-1",
      drive: "/etc",
      error: { name: "Error", message: "boom" },
    });
  });
});

describe("the server's name", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "snapfleet-ssm-"));
  const registration = path.join(dir, "registration");
  writeFileSync(
    registration,
    JSON.stringify({ ManagedInstanceID: "mi-0123456789abcdef0", Region: "us-east-1" }),
  );
  const config = parse(valid);

  it("is the config's server, else the SSM managed-instance id, else the host name", () => {
    expect(serverName({ ...config, server: "web-1" }, { SNAPFLEET_SSM_REGISTRATION: registration })).toBe(
      "web-1",
    );
    expect(serverName(config, { SNAPFLEET_SSM_REGISTRATION: registration })).toBe("mi-0123456789abcdef0");
    expect(serverName(config, { SNAPFLEET_SSM_REGISTRATION: path.join(dir, "none") })).toBe(hostname());
  });
});
