import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/**
 * The folder holding this package's package.json. Found by walking up, because the
 * same module runs from src/ (tests, tsx) and from dist/src/ (the installed CLI).
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, "utf8")) as { name?: string };
      if (pkg.name === "pvh-conformance") return (cached = dir);
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("pvh-conformance: cannot find the package root from " + fileURLToPath(import.meta.url));
    dir = up;
  }
}
