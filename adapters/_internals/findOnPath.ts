import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** The first `name` on PATH, as a shell would find it, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}
