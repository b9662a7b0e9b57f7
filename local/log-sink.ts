import { format } from "node:util";

const METHODS = ["log", "info", "warn", "error", "debug", "trace"] as const;

/**
 * One console call as one log line, stamped with the run's clock. Powertools Logger (in
 * POWERTOOLS_DEV mode, which writes through the global console) hands over each entry as one JSON
 * string with its `timestamp` from the wall clock; the entry is printed synchronously inside the
 * handler, while the virtual clock stands still (local/clock.ts), so `now()` is the simulated
 * moment the handler logged at. Anything else is printed as console would, on one line.
 */
export function stampLine(args: unknown[], now: () => Date): string {
  const [first] = args;
  if (args.length === 1 && typeof first === "string" && first.startsWith("{")) {
    try {
      const entry = JSON.parse(first) as Record<string, unknown>;
      if (entry && typeof entry === "object" && "timestamp" in entry) {
        return JSON.stringify({ ...entry, timestamp: now().toISOString() });
      }
    } catch {
      // Not JSON after all: printed as it is.
    }
  }
  return format(...args).replace(/\n/g, " ");
}

/**
 * Sends everything written through the global console (the handlers' logs) to `write`, one
 * stamped line per call, until the returned function is called.
 */
export function captureConsole(write: (line: string) => void, now: () => Date): () => void {
  const saved = METHODS.map((method) => [method, console[method]] as const);
  for (const method of METHODS) {
    console[method] = (...args: unknown[]) => write(`${stampLine(args, now)}\n`);
  }
  return () => {
    for (const [method, original] of saved) console[method] = original;
  };
}
