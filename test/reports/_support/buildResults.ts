import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../../src/_internals/packageRoot.js";
import type { CaseRecord, ResultRecord, Results } from "../../../src/results/Results.js";

export interface Column {
  adapter: string;
  variant: string;
}

export interface ResultsPlan {
  /** ids from spec/requirements.json */
  requirements: string[];
  columns: Column[];
  cases: number;
  /** What differs from a plain PASS for one record; undefined keeps the PASS. */
  record?: (requirement: string, column: Column, index: number) => Partial<ResultRecord> | undefined;
  caseRecord?: (column: Column, index: number) => Partial<CaseRecord> | undefined;
  /** Fill `expected` as applyExpectations does when the run has expectations. */
  expectations?: boolean;
  seed?: number;
}

interface CatalogueEntry {
  id: string;
  level: "must" | "should" | "interop";
  side: "loader" | "kernel";
  statement: string;
  source: string;
}

/** A results.json made to order: every (requirement, column, case) a PASS unless the plan says otherwise. */
export function buildResults(plan: ResultsPlan): Results {
  const catalogue = (JSON.parse(readFileSync(join(packageRoot(), "spec", "requirements.json"), "utf8")) as { requirements: CatalogueEntry[] }).requirements;
  const requirements: Results["run"]["requirements"] = {};
  for (const id of plan.requirements) {
    const e = catalogue.find((x) => x.id === id);
    if (!e) throw new Error(`${id} is not in spec/requirements.json`);
    requirements[id] = { level: e.level, side: e.side, statement: e.statement, source: e.source };
  }
  const seed = plan.seed ?? 7;
  const adapters = new Map<string, string[]>();
  for (const c of plan.columns) adapters.set(c.adapter, [...(adapters.get(c.adapter) ?? []), c.variant]);
  const cases: CaseRecord[] = [];
  const records: ResultRecord[] = [];
  for (const col of plan.columns)
    for (let i = 0; i < plan.cases; i++) {
      const c: CaseRecord = {
        caseId: `c${(seed * 1000 + i).toString(16).padStart(8, "0")}`,
        adapter: col.adapter,
        variant: col.variant,
        replay: { seed, index: i, caseSeed: 1000 + i },
        outcome: "entered",
        malformed: null,
        message: null,
        command: col.adapter === "qemu" ? ["/usr/bin/qemu-system-x86_64", "-machine", col.variant.split("-")[0]!, "-kernel", `/tmp/k ${i}.elf`, "-append", "console=ttyS0 'x'"] : null,
        summary: `ELF64, 2 PT_LOAD, case ${i}`,
        tags: ["elf64"],
        ...plan.caseRecord?.(col, i),
      };
      cases.push(c);
      const caseId = c.caseId;
      for (const requirement of plan.requirements) {
        const r: ResultRecord = { requirement, adapter: col.adapter, variant: col.variant, caseId, status: "PASS", code: "ok", message: "holds", ...plan.record?.(requirement, col, i) };
        if (plan.expectations && r.expected === undefined) r.expected = r.status;
        records.push(r);
      }
    }
  return {
    format: "pvh-conformance/results@1",
    run: {
      suiteVersion: "0.1.0",
      startedAt: "2026-11-21T10:00:00.000Z",
      finishedAt: "2026-11-21T10:02:05.500Z",
      seed,
      cases: plan.cases,
      host: { hostname: "testhost", platform: "linux-x64", node: "v20.20.2", cpus: 2 },
      adapters: [...adapters].map(([id, variants]) => ({
        id,
        variants,
        version: id === "qemu" ? "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" : "0.1.0",
        binary: id === "qemu" ? "/usr/bin/qemu-system-x86_64" : null,
      })),
      command: ["pvh-conformance", "run", "--cases", String(plan.cases), "--seed", String(seed)],
      requirements,
    },
    cases,
    records,
  };
}
