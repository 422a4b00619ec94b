import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/_internals/packageRoot.js";

// The module folders (src/<x>, adapters/<x>, reports/<x>, probe, generators) import
// each other without cycles, so each can be read, tested and moved on its own. Type
// imports count: a cycle of types is a cycle of knowledge.
const root = packageRoot();
const TOP = ["src", "adapters", "reports", "probe", "generators"];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

/** "src/checks", "adapters/qemu", "probe": the folder a file belongs to, one level under the top. */
function unit(file: string): string | undefined {
  const parts = relative(root, file).split("/");
  if (!TOP.includes(parts[0]!)) return undefined;
  // A file at the top of src/, adapters/ or reports/ is a unit of its own (adapters/Adapter.ts is the bottom, adapters/registry.ts the top).
  if (parts.length === 2) return parts[0] === "src" || parts[0] === "adapters" || parts[0] === "reports" ? relative(root, file).replace(/\.js$/, ".ts") : parts[0];
  return parts[0] === "probe" || parts[0] === "generators" ? parts[0] : `${parts[0]}/${parts[1]}`;
}

function graph(): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const top of TOP) {
    for (const f of files(join(root, top))) {
      const from = unit(f)!;
      const edges = g.get(from) ?? new Set<string>();
      g.set(from, edges);
      for (const m of readFileSync(f, "utf8").matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gms)) {
        const to = unit(resolve(dirname(f), m[1]!));
        if (to && to !== from && !to.endsWith("/_internals") && !from.endsWith("/_internals")) edges.add(to);
      }
    }
  }
  return g;
}

function cycles(g: Map<string, Set<string>>): string[][] {
  const out: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, "open");
    stack.push(n);
    for (const m of g.get(n) ?? []) {
      if (state.get(m) === "open") out.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of g.keys()) if (!state.has(n)) visit(n);
  return out;
}

describe("module folders", () => {
  it("import each other without a cycle", () => {
    expect(cycles(graph()).map((c) => c.join(" -> "))).toEqual([]);
  });
});
