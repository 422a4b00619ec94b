import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { trackChild } from "./children.js";
import { findOnPath } from "./findOnPath.js";

/** Whether a VMM started by spawnVmm dies with the suite however the suite dies, and if not, why. */
export type VmmGuard = { pdeathsig: true; setpriv: string } | { pdeathsig: false; reason: string };

let guard: VmmGuard | undefined;
let warned = false;

/**
 * Whether util-linux's setpriv is here and knows --pdeathsig (util-linux 2.33 and
 * later; Debian 12 has 2.38, and util-linux is Essential there). Tried once per process.
 */
export function vmmGuard(): VmmGuard {
  if (guard) return guard;
  const setpriv = findOnPath("setpriv");
  if (!setpriv) {
    guard = { pdeathsig: false, reason: "setpriv (util-linux) is not on PATH" };
  } else {
    try {
      execFileSync(setpriv, ["--pdeathsig", "KILL", "--", "true"], { stdio: "ignore", timeout: 10_000 });
      guard = { pdeathsig: true, setpriv };
    } catch (err) {
      guard = { pdeathsig: false, reason: `${setpriv} --pdeathsig KILL failed (${(err as Error).message.split("\n")[0]})` };
    }
  }
  return guard;
}

/**
 * The program and arguments that run `bin args` with the parent-death signal set, or
 * undefined without setpriv. The shell between setpriv and the VMM closes a race: a
 * suite killed after the fork but before setpriv's prctl would never send the
 * signal, so the VMM only starts if its parent is still the suite ($PPID is read after
 * the prctl; a dead parent's child has been handed to init or a subreaper). Every step
 * execs, so the child's pid stays the VMM's pid.
 */
export function guardedCommand(bin: string, args: readonly string[]): [string, string[]] | undefined {
  const g = vmmGuard();
  if (!g.pdeathsig) return undefined;
  const script = '[ "$PPID" = "$1" ] || exit 125; shift; exec "$@"';
  return [g.setpriv, ["--pdeathsig", "KILL", "--", "/bin/sh", "-c", script, "pvh-vmm", String(process.pid), bin, ...args]];
}

/**
 * Start a VMM process (QEMU, or the QEMU that runs Xen) that cannot outlive the suite.
 *
 * The suite's exit hooks (children.ts) kill the VMMs on a normal end and on SIGINT,
 * SIGTERM and SIGHUP, but nothing runs on SIGKILL or the OOM killer. So the child is
 * started through `setpriv --pdeathsig KILL`: the kernel sends it SIGKILL when its
 * parent dies (prctl PR_SET_PDEATHSIG, kept across exec). That "parent" is the thread
 * that forked, not the process: a VMM spawned from a worker thread dies when that
 * worker ends. Node's child_process forks on the thread that calls spawn, which is the
 * main thread for every adapter here: the adapters' tests boot to the entry through
 * this, and test/cli/killedRun.test.ts shows the VMMs dying with a SIGKILLed run.
 *
 * The pid is the VMM's own (setpriv and the shell exec), so kill() and the exit status
 * are the VMM's. Reproducers keep the plain VMM command line: callers record
 * `[bin, ...args]`, not what this runs. Without setpriv the VMM is spawned plainly and a
 * warning says so once: then a SIGKILLed suite may leave it running.
 *
 * The child is registered with trackChild. Throws when `bin` is not an executable
 * file, as spawn's own error would come asynchronously through an 'error' event.
 */
export function spawnVmm(bin: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const path = bin.includes("/") ? bin : findOnPath(bin);
  if (!path) throw new Error(`${bin}: not found on PATH`);
  try {
    if (!statSync(path).isFile()) throw new Error("not a regular file");
    accessSync(path, constants.X_OK);
  } catch (err) {
    throw new Error(`${bin}: not executable (${(err as Error).message})`);
  }
  const guarded = guardedCommand(path, args);
  const g = vmmGuard();
  if (!g.pdeathsig && !warned) {
    warned = true;
    process.emitWarning(`${g.reason}: VMMs are started without a parent-death signal, so one may outlive a suite killed by SIGKILL or the OOM killer (install util-linux)`, "PvhConformanceWarning");
  }
  const child = guarded ? spawn(guarded[0], guarded[1], options) : spawn(path, [...args], options);
  trackChild(child);
  return child;
}
