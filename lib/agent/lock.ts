import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { AgentBusyError } from "./errors";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * One agent run per server at a time: a second run (a timer firing while a long backup is still
 * going, or an operator's manual run) stops before it touches the repository. restic's own locks
 * would keep the repository consistent anyway; this keeps runs from queueing up. A lock left by a
 * process that is gone is taken over.
 */
export function acquireRunLock(file: string): () => void {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid))
        throw new AgentBusyError(`another agent run (pid ${pid}) is in progress; lock file ${file}`);
      unlinkSync(file);
    }
  }
  throw new AgentBusyError(`could not take the lock file ${file}`);
}
