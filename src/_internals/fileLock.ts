import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A lock left by a process that is gone (or, without its pid yet, one older than a minute). */
function stale(lockDir: string): boolean {
  try {
    const pid = Number(readFileSync(join(lockDir, "pid"), "utf8"));
    return !alive(pid);
  } catch {
    try {
      return Date.now() - statSync(lockDir).mtimeMs > 60_000;
    } catch {
      return true;
    }
  }
}

/**
 * Run `fn` holding a lock every process on this machine respects: a directory made
 * atomically, holding the owner's pid. A lock whose owner died is taken over, so a
 * killed test worker cannot block the next run.
 */
export async function withFileLock<T>(lockDir: string, fn: () => Promise<T>, pollMs = 200): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (stale(lockDir)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
