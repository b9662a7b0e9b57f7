import { run } from "../cli/program";

// `snapfleet snapshots ... | head` closes stdout early: that is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

/** The only place that calls process.exit: the exit code is what the command returned. */
run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`snapfleet: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
