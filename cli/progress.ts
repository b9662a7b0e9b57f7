import { SingleBar } from "cli-progress";

/** How many of a run's items are in each state. `total` may be unknown (0) until the plan is written. */
export interface Counts {
  total: number;
  done: number;
  failed: number;
  inFlight: number;
}

/** One observation of a run, from whatever follows it (the local runner, or Step Functions' Map Run). */
export interface RunProgress {
  servers: Counts;
  drives: Counts;
  /** When the run started and the time of this observation, on the run's own clock. */
  startedAt: Date;
  now: Date;
}

export interface ProgressDisplay {
  update(progress: RunProgress): void;
  /** Ends the display (the live line stays on screen as it last was). */
  stop(): void;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

/** Seconds as `1h02m`, `3m05s` or `42s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/**
 * The end of the run, extrapolated from the drives finished so far at the rate they finished; undefined
 * until one has finished (no rate yet), when the total is unknown, and once every drive has finished.
 */
export function estimatedEnd(p: RunProgress): Date | undefined {
  const finished = p.drives.done + p.drives.failed;
  const elapsed = p.now.getTime() - p.startedAt.getTime();
  if (finished === 0 || p.drives.total === 0 || elapsed <= 0) return undefined;
  const remaining = Math.max(0, p.drives.total - finished);
  if (remaining === 0) return undefined;
  return new Date(p.now.getTime() + (elapsed / finished) * remaining);
}

/** The progress as one line, e.g. `servers 3/8 (1 failed, 4 running) · drives 10/21 (…) · 4m10s · ends in ~2m`. */
export function describeProgress(p: RunProgress): string {
  const part = (name: string, c: Counts) =>
    `${name} ${c.done + c.failed}/${c.total || "?"} (${c.failed} failed, ${c.inFlight} in flight)`;
  const elapsed = (p.now.getTime() - p.startedAt.getTime()) / 1000;
  const end = estimatedEnd(p);
  const eta = end ? ` · ends in ~${formatDuration((end.getTime() - p.now.getTime()) / 1000)}` : "";
  return `${part("servers", p.servers)} · ${part("drives", p.drives)} · ${formatDuration(elapsed)}${eta}`;
}

/**
 * On a terminal, a live progress bar of the drives (cli-progress) with the counts beside it; otherwise
 * plain lines, one whenever the counts change, so logs and CI output stay readable.
 */
export function progressDisplay(stream: Stream = process.stderr): ProgressDisplay {
  if (stream.isTTY) return liveDisplay(stream);
  let last = "";
  return {
    update(p) {
      const key = JSON.stringify([p.servers, p.drives]);
      if (key === last) return;
      last = key;
      stream.write(`${describeProgress(p)}\n`);
    },
    stop() {},
  };
}

function liveDisplay(stream: Stream): ProgressDisplay {
  const bar = new SingleBar({
    stream: stream as NodeJS.WriteStream,
    format: "{bar} {line}",
    barsize: 20,
    hideCursor: true,
    clearOnComplete: false,
    noTTYOutput: false,
  });
  let started = false;
  return {
    update(p) {
      const finished = p.drives.done + p.drives.failed;
      const payload = { line: describeProgress(p) };
      if (!started) {
        bar.start(Math.max(p.drives.total, 1), finished, payload);
        started = true;
        return;
      }
      bar.setTotal(Math.max(p.drives.total, 1));
      bar.update(finished, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
