import type { Effect } from "./model";

/**
 * The simulated agent's reading of a script: a model, not a shell. It recognises these patterns
 * only, anywhere in the script (comments after `#` are ignored), in script order:
 *
 * - `fsfreeze -f|--freeze <mount>`: freezes the instance's file systems.
 * - `fsfreeze -u|--unfreeze <mount>`: thaws them.
 * - a watchdog, a background job that sleeps and then unfreezes, in one of two forms:
 *   `(sleep N; fsfreeze -u /data) &` (`;` or `&&`, redirections such as `>/dev/null 2>&1` allowed
 *   before the `&`), or `nohup sh -c 'sleep N; fsfreeze -u /data' &` (sh or bash, either quote).
 *   It thaws N seconds after the script's effects unless the file systems were thawed before.
 * - `Invoke-Ec2VssIO -Action Freeze|Thaw` (the stand-in script of `AWSEC2-ManageVssIO`).
 * - `echo <text>` at the start of a line: a line of standard output.
 *
 * - `case "<word>" in pattern) ... ;; esac` on a word that parameter substitution has made literal
 *   (`case "{{ command }}" in pre-script) ...`): only the first branch whose pattern matches (`|`
 *   alternatives, `*` and `?` globs) counts, as a shell would run it.
 *
 * Everything else is taken to succeed and do nothing. Mount points are not told apart: the model
 * keeps one frozen/thawed state per instance.
 */
const SUBSHELL_WATCHDOG =
  /\(\s*sleep\s+(\d+)\s*(?:;|&&)[^()]*?\bfsfreeze\s+(?:-u|--unfreeze)\b[^()]*\)(?:[^;\n()&]|>&)*&(?!&)/g;
const NOHUP_WATCHDOG =
  /\bnohup\s+(?:sh|bash)\s+-c\s+(['"])\s*sleep\s+(\d+)\s*(?:;|&&)(?:(?!\1)[^\n])*?\bfsfreeze\s+(?:-u|--unfreeze)\b(?:(?!\1)[^\n])*\1(?:[^;\n&]|>&)*&(?!&)/g;
const STATEMENTS =
  /\bfsfreeze\s+(-f|--freeze|-u|--unfreeze)\b|@@watchdog:(\d+)@@|\bInvoke-Ec2VssIO\s+-Action\s+'?(Freeze|Thaw)\b/gi;

function withoutComments(script: string): string {
  return script
    .split("\n")
    .map((line) => line.replace(/(^|\s)#.*$/, "$1"))
    .join("\n");
}

const CASE_BLOCK = /\bcase\s+(["']?)([^"'\s]*)\1\s+in\b([\s\S]*?)\besac\b/g;

function globMatches(pattern: string, word: string): boolean {
  const unquoted = pattern.trim().replace(/^(["'])(.*)\1$/, "$2");
  const source = unquoted
    .replace(/[.+^${}()[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`).test(word);
}

/** Each `case` block replaced by the body of the branch its (literal) word selects, or by nothing. */
function selectCaseBranches(script: string): string {
  return script.replace(CASE_BLOCK, (_m, _q, word: string, body: string) => {
    for (const branch of body.split(";;")) {
      const m = /^\s*\(?([^)\n]+)\)([\s\S]*)$/.exec(branch);
      if (m && (m[1] ?? "").split("|").some((p) => globMatches(p, word))) return m[2] ?? "";
    }
    return "";
  });
}

export interface ScriptReading {
  effects: Effect[];
  stdout: string;
}

export function readScript(script: string): ScriptReading {
  const watchdogs: number[] = [];
  const placeholder = (seconds: string) => {
    watchdogs.push(Number(seconds));
    return `@@watchdog:${watchdogs.length - 1}@@`;
  };
  const text = selectCaseBranches(withoutComments(script))
    .replace(SUBSHELL_WATCHDOG, (_m, seconds: string) => placeholder(seconds))
    .replace(NOHUP_WATCHDOG, (_m, _q, seconds: string) => placeholder(seconds));
  const effects: Effect[] = [];
  for (const m of text.matchAll(STATEMENTS)) {
    if (m[1] !== undefined) effects.push({ kind: /^-f|^--freeze/.test(m[1]) ? "freeze" : "thaw" });
    else if (m[2] !== undefined) effects.push({ kind: "watchdog", seconds: watchdogs[Number(m[2])] ?? 0 });
    else if (m[3] !== undefined)
      effects.push({ kind: m[3].toLowerCase() === "freeze" ? "vss-freeze" : "vss-thaw" });
  }
  const stdout = text
    .split("\n")
    .map((line) => /^\s*echo\s+(.*)$/.exec(line)?.[1])
    .filter((s): s is string => s !== undefined)
    .map((s) => s.trim().replace(/^(['"])(.*)\1$/, "$2"))
    .map((s) => `${s}\n`)
    .join("");
  return { effects, stdout };
}
