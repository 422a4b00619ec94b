import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { stampOwner, sweepStaleTempDirsOnce } from "./staleTempDirs.js";

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  // 'exit' runs on a normal end and on process.exit(), which the CLI's SIGINT/SIGTERM
  // handlers call: kill what is left, remove what was not yet removed.
  process.once("exit", () => {
    for (const c of live) c.kill("SIGKILL");
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
}

/**
 * Every VMM process an adapter starts is registered here, so none outlives the
 * suite: on exit (including Ctrl-C or a SIGTERM through the CLI's signal handlers)
 * the rest are killed.
 */
export function trackChild(child: ChildProcess): void {
  hook();
  live.add(child);
  child.once("exit", () => live.delete(child));
}

/**
 * A temporary folder an adapter removes itself when done; on an early exit it is removed
 * here. Returns the untrack function. The folder is stamped with this process's
 * identity, so that a later run can tell it from a live run's when this one is killed
 * too hard to clean up (SIGKILL, OOM); the first call also removes such folders of
 * runs that are gone (staleTempDirs.ts).
 */
export function trackTempDir(dir: string): () => void {
  hook();
  stampOwner(dir);
  sweepStaleTempDirsOnce();
  dirs.add(dir);
  return () => void dirs.delete(dir);
}

export function liveChildren(): number {
  return live.size;
}
