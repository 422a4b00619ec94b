import type { ChildProcess } from "node:child_process";

const live = new Set<ChildProcess>();
let hooked = false;

/**
 * Every VMM process an adapter starts is registered here, so none outlives the
 * suite: on exit (including Ctrl-C through the CLI's signal handlers) the rest are killed.
 */
export function trackChild(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (!hooked) {
    hooked = true;
    process.once("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
}

export function liveChildren(): number {
  return live.size;
}
