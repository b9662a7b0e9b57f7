import type { Log } from "../deps";

/**
 * Structured logs on stderr (journald or syslog keep them), one JSON object a line with the fields
 * Powertools Logger gives the Lambdas' lines: level, message, timestamp, service, then the
 * persistent keys (server) and the call's own.
 */
export function jsonLog(
  out: { write(text: string): unknown },
  persistent: Record<string, unknown>,
  options: { clock?: () => Date; debug?: boolean } = {},
): Log {
  const now = options.clock ?? (() => new Date());
  const line =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      const entry = {
        level,
        message,
        timestamp: now().toISOString(),
        service: "snapfleet-agent",
        ...persistent,
        ...Object.assign({}, ...extra),
      };
      out.write(`${JSON.stringify(entry, errorFields)}\n`);
    };
  return {
    debug: options.debug ? line("DEBUG") : () => {},
    info: line("INFO"),
    warn: line("WARN"),
    error: line("ERROR"),
  };
}

function errorFields(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
