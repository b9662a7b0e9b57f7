/**
 * What `snapfleet agent install` writes: a oneshot systemd service and its timer, or a cron line.
 * Logs go to stderr, so journald (or cron's logger pipe) keeps them.
 */
export interface UnitProps {
  /** The command that runs one backup, e.g. `/usr/bin/node /opt/snapfleet/bin/snapfleet.js`. */
  command: string;
  configFile: string;
  /** "HH:MM" daily, or "hourly". */
  schedule: string;
  /** Environment lines for the service, e.g. AWS_REGION; never the repository password. */
  environmentFile?: string | undefined;
}

export const UNIT_NAME = "snapfleet-agent";

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function serviceUnit(props: UnitProps): string {
  return [
    "[Unit]",
    "Description=snapfleet agent: back up this server with restic to S3",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${props.command} agent backup --config ${quote(props.configFile)}`,
    ...(props.environmentFile ? [`EnvironmentFile=${props.environmentFile}`] : []),
    "Nice=10",
    "IOSchedulingClass=idle",
    "",
  ].join("\n");
}

export function onCalendar(schedule: string): string {
  return schedule === "hourly" ? "hourly" : `*-*-* ${schedule}:00`;
}

export function timerUnit(props: UnitProps): string {
  return [
    "[Unit]",
    "Description=snapfleet agent backup schedule",
    "",
    "[Timer]",
    `OnCalendar=${onCalendar(props.schedule)}`,
    // Spread a fleet's agents over a quarter of an hour; catch up a run missed while powered off.
    "RandomizedDelaySec=15min",
    "Persistent=true",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/** An /etc/cron.d line (with the user field) that logs to syslog through logger. */
export function cronLine(props: UnitProps): string {
  const [hh, mm] =
    props.schedule === "hourly" ? ["*", "0"] : props.schedule.split(":").map((n) => String(Number(n)));
  return `${mm} ${hh} * * * root ${props.command} agent backup --config ${quote(props.configFile)} 2>&1 | logger -t ${UNIT_NAME}`;
}
