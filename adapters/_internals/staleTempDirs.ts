import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A run's temporary folders are `<tmpdir>/pvh-<kind>-<pid>-XXXXXX` (the QEMU adapter's
 * pvh-qemu-, the Xen adapter's pvh-xen-). A run killed by SIGKILL or the OOM killer
 * cannot remove its own; the next run removes those whose run is gone.
 *
 * "Gone" must survive pid reuse: each folder holds OWNER, the pid with its start time
 * as /proc/<pid>/stat gives it (clock ticks since boot) and the boot id, so a folder is
 * kept only while that very process lives. A folder without OWNER (made by a version
 * before this one, or a run killed between creating the folder and writing the file)
 * is kept while a process of its pid lives that started no later than the folder was
 * made (with 2 s of slack for the clocks involved).
 */
export const OWNER = ".pvh-owner";
const NAME = /^pvh-[a-z0-9]+-(\d+)-[A-Za-z0-9]{6}$/;
/** Folders without OWNER are only ever removed for these kinds: what the adapters made before OWNER existed. */
const LEGACY = /^pvh-(qemu|xen)-/;

interface Owner {
  pid: number;
  start: string;
  boot: string;
}

function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}

/** Field 22 of /proc/<pid>/stat: the process's start, in clock ticks since boot; undefined when there is no such process. */
function startTicks(pid: number | "self"): string | undefined {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or ')': split after the last one.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return rest[22 - 3];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Mark a new temporary folder as this process's (see OWNER). Best effort: without it, the folder is judged as one without OWNER. */
export function stampOwner(dir: string): void {
  const owner: Owner = { pid: process.pid, start: startTicks("self") ?? "", boot: bootId() };
  try {
    writeFileSync(join(dir, OWNER), JSON.stringify(owner));
  } catch {
    // The adapter's own writes into the folder will report the problem.
  }
}

/**
 * Seconds since the epoch at which the process started: its start ticks (USER_HZ, 100 on
 * Linux) against /proc/uptime, both counted from boot, so only the process's own age is
 * carried over to the wall clock (/proc/stat's btime is whole seconds).
 */
function startedAt(pid: number): number | undefined {
  const ticks = startTicks(pid);
  if (ticks === undefined) return undefined;
  try {
    const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    const age = uptime - Number(ticks) / 100;
    return Number.isFinite(age) ? Date.now() / 1000 - age : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the run that made `dir` (its pid in the name) is gone. */
export function runIsGone(dir: string, pid: number, legacy: boolean): boolean {
  let owner: Owner | undefined;
  try {
    const o = JSON.parse(readFileSync(join(dir, OWNER), "utf8")) as Partial<Owner>;
    if (o.pid === pid && typeof o.start === "string" && typeof o.boot === "string") owner = o as Owner;
  } catch {
    owner = undefined;
  }
  if (owner) {
    if (owner.boot !== bootId()) return true;
    const now = startTicks(pid);
    return now === undefined || now !== owner.start;
  }
  if (!legacy) return false;
  if (!alive(pid)) return true;
  // Without OWNER: a process of that pid which started after the folder was made is not its maker.
  const started = startedAt(pid);
  let made: number;
  try {
    const st = statSync(dir);
    // birthtime is 0 where the file system does not keep it: then the oldest time known.
    made = (st.birthtimeMs > 0 ? st.birthtimeMs : Math.min(st.mtimeMs, st.ctimeMs)) / 1000;
  } catch {
    return false;
  }
  return started !== undefined && started > made + 2;
}

/**
 * Remove the temporary folders in `root` (default: the OS's temporary folder) of runs
 * that are gone; returns the folders removed. Never throws: a folder that cannot be
 * removed (another user's, under the sticky bit) is left alone.
 */
export function sweepStaleTempDirs(root: string = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    const dir = join(root, name);
    try {
      if (!statSync(dir).isDirectory()) continue;
      if (!runIsGone(dir, pid, LEGACY.test(name))) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Not ours to remove, or removed by another run meanwhile.
    }
  }
  return removed;
}

let swept = false;
/** sweepStaleTempDirs once per process: at the first temporary folder a run makes, and at the start of `run`. */
export function sweepStaleTempDirsOnce(): void {
  if (swept) return;
  swept = true;
  sweepStaleTempDirs();
}
