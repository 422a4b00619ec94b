import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AllureResult } from "../../reports/allure/AllureResult.js";
import { AllureCliError } from "../../reports/allure/AllureCliError.js";
import { generateAllureHtml } from "../../reports/allure/generateAllureHtml.js";
import { writeAllureResults } from "../../reports/allure/writeAllureResults.js";
import { Results, type CaseRecord, type ResultRecord } from "../../src/results/Results.js";
import { loadSpec } from "../../src/spec/loadSpec.js";

const root = mkdtempSync(join(tmpdir(), "pvh-allure-test-"));
// generateAllureHtml's own temporary folders go here, so the test can see none is left behind.
const privateTmp = join(root, "tmp");
mkdirSync(privateTmp);
const savedTmpdir = process.env["TMPDIR"];
process.env["TMPDIR"] = privateTmp;
afterAll(() => {
  if (savedTmpdir === undefined) delete process.env["TMPDIR"];
  else process.env["TMPDIR"] = savedTmpdir;
  rmSync(root, { recursive: true, force: true });
});

const IDS = ["pvh.cpu.tr", "pvh.cpu.cr0", "pvh.start-info.magic", "pvh.note.owner", "pvh.interop.cpl0", "pvh.load.accept-valid"] as const;
const QEMU = "/usr/bin/qemu-system-x86_64";

/**
 * qemu/pc-tcg, four cases: 0 entered (tr FAILs unexpectedly, cr0 FAILs as expected,
 * magic's check ERRORs), 1 entered and clean, 2 CRASHed (unexpected), 3 TIMEd OUT
 * (expected). reference/v1, two clean cases. pvh.note.owner is SKIPped everywhere.
 */
function sampleResults(): Results {
  const spec = loadSpec().requirements.requirements;
  const requirements: Results["run"]["requirements"] = {};
  for (const id of IDS) {
    const r = spec.find((x) => x.id === id)!;
    requirements[id] = { level: r.level, side: r.side, statement: r.statement, source: r.source };
  }
  const cases: CaseRecord[] = [];
  const records: ResultRecord[] = [];
  const kase = (adapter: string, variant: string, index: number, outcome: CaseRecord["outcome"], message: string | null): string => {
    const caseId = `c${adapter[0]}${index}`;
    cases.push({
      caseId,
      adapter,
      variant,
      replay: { seed: 7, index, caseSeed: 1000 + index },
      outcome,
      malformed: null,
      message,
      command: adapter === "qemu" ? [QEMU, "-machine", "pc", "-kernel", `/tmp/pvh-qemu-1/kernel ${index}.elf`, "-append", "console=ttyS0 x='y'"] : null,
      summary: `ELF64, 2 PT_LOAD, case ${index}`,
      tags: ["elf64", `tag-${index}`],
    });
    return caseId;
  };
  const rec = (adapter: string, variant: string, caseId: string, requirement: string, status: ResultRecord["status"], extra: Partial<ResultRecord> = {}): void => {
    records.push({ requirement, adapter, variant, caseId, status, code: status === "PASS" ? "ok" : status.toLowerCase(), message: status === "PASS" ? "" : `${status} of ${requirement}`, ...extra });
  };
  for (const index of [0, 1]) {
    const id = kase("reference", "v1", index, "entered", null);
    for (const r of IDS) rec("reference", "v1", id, r, r === "pvh.note.owner" ? "SKIP" : "PASS", r === "pvh.note.owner" ? { notApplicable: true, message: "no owner to check" } : {});
  }
  const q = (index: number, outcome: CaseRecord["outcome"], message: string | null): string => kase("qemu", "pc-tcg", index, outcome, message);
  const c0 = q(0, "entered", null);
  rec("qemu", "pc-tcg", c0, "pvh.cpu.tr", "FAIL", { code: "tr-not-tss", message: "TR is limit 0xffff", evidence: { expected: "busy 32-bit TSS, limit 0x67", seen: "limit 0xffff type 0xb", address: 0x1000 } });
  rec("qemu", "pc-tcg", c0, "pvh.cpu.cr0", "FAIL", { expected: "FAIL", code: "cr0-bits", message: "CR0 has ET clear", evidence: { expected: "PE set", seen: "0x10" } });
  rec("qemu", "pc-tcg", c0, "pvh.start-info.magic", "ERROR", { code: "check-threw", message: "TypeError: cannot read start_info" });
  rec("qemu", "pc-tcg", c0, "pvh.note.owner", "SKIP", { notApplicable: true });
  rec("qemu", "pc-tcg", c0, "pvh.interop.cpl0", "PASS");
  rec("qemu", "pc-tcg", c0, "pvh.load.accept-valid", "PASS");
  const c1 = q(1, "entered", null);
  for (const r of IDS) rec("qemu", "pc-tcg", c1, r, r === "pvh.note.owner" ? "SKIP" : "PASS", r === "pvh.cpu.cr0" ? { expected: "FAIL" } : {});
  const c2 = q(2, "crashed", "QEMU died by SIGSEGV: qemu-system-x86_64: fatal error");
  const c3 = q(3, "timeout", "QEMU did not reach the entry in 20 s");
  for (const r of IDS) {
    if (r === "pvh.note.owner") {
      rec("qemu", "pc-tcg", c2, r, "SKIP");
      rec("qemu", "pc-tcg", c3, r, "SKIP");
    } else {
      rec("qemu", "pc-tcg", c2, r, "CRASH", { code: "crashed", message: "QEMU died by SIGSEGV" });
      rec("qemu", "pc-tcg", c3, r, "TIMEOUT", { code: "timeout", message: "QEMU did not reach the entry in 20 s", expected: "TIMEOUT" });
    }
  }
  return Results.parse({
    format: "pvh-conformance/results@1",
    run: {
      suiteVersion: "0.1.0",
      startedAt: "2026-01-02T03:04:05.000Z",
      finishedAt: "2026-01-02T03:05:05.000Z",
      seed: 7,
      cases: 4,
      host: { hostname: "ci-host", platform: "linux-x64", node: "v20.20.2", cpus: 2 },
      adapters: [
        { id: "reference", variants: ["v1"], version: "0.1.0", binary: null },
        { id: "qemu", variants: ["pc-tcg"], version: "QEMU emulator version 7.2.22", binary: QEMU },
      ],
      command: ["pvh-conformance", "run", "--adapter", "reference,qemu", "--seed", "7"],
      requirements,
    },
    cases,
    records,
  });
}

function readResults(dir: string): AllureResult[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith("-result.json"))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as AllureResult);
}
const label = (t: AllureResult, name: string): string[] => t.labels.filter((l) => l.name === name).map((l) => l.value);
const param = (t: AllureResult, name: string): string | undefined => t.parameters.find((p) => p.name === name)?.value;
const attachmentText = (dir: string, t: AllureResult, name: string): string => {
  const a = t.attachments.find((x) => x.name === name);
  expect(a, `${t.fullName} has no attachment ${name}`).toBeDefined();
  return readFileSync(join(dir, a!.source), "utf8");
};

describe("writeAllureResults", () => {
  const dir = join(root, "allure-results");
  let tests: AllureResult[] = [];
  const byName = (fullName: string): AllureResult => {
    const t = tests.find((x) => x.fullName === fullName);
    expect(t, `no Allure test ${fullName}`).toBeDefined();
    return t!;
  };

  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "0000-stale-result.json"), "{}");
    writeFileSync(join(dir, "notes.txt"), "not Allure's");
    const path = join(root, "results.json");
    writeFileSync(path, JSON.stringify(sampleResults()));
    const written = writeAllureResults(path, dir);
    tests = readResults(dir);
    expect(written.tests).toBe(tests.length);
  });

  it("writes one test per (requirement, adapter, variant) and one case-outcome test per variant, and nothing stale", () => {
    expect(tests).toHaveLength(2 * IDS.length + 2);
    expect(existsSync(join(dir, "0000-stale-result.json"))).toBe(false);
    expect(existsSync(join(dir, "notes.txt"))).toBe(true);
    for (const t of tests) {
      expect(t.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(t.stage).toBe("finished");
      expect(t.start).toBe(Date.parse("2026-01-02T03:04:05.000Z"));
    }
    expect(new Set(tests.map((t) => t.historyId)).size).toBe(tests.length);
  });

  it("labels, parameters and links name the requirement, its level and side, the adapter variant and the source", () => {
    const t = byName("qemu/pc-tcg#pvh.cpu.tr");
    expect(t.name).toContain("pvh.cpu.tr");
    expect(label(t, "requirement")).toEqual(["pvh.cpu.tr"]);
    expect(label(t, "level")).toEqual(["must"]);
    expect(label(t, "side")).toEqual(["loader"]);
    expect(label(t, "suite")).toEqual(["qemu/pc-tcg"]);
    expect(label(t, "epic")).toEqual(["conformance"]);
    expect(label(t, "feature")).toEqual(["pvh.cpu"]);
    expect(label(t, "story")).toEqual(["pvh.cpu.tr"]);
    expect(param(t, "adapter")).toBe("qemu");
    expect(param(t, "variant")).toBe("pc-tcg");
    expect(param(t, "cases")).toBe("4");
    // The link goes to the pinned revision of the text, at the cited lines.
    expect(t.links).toEqual([{ name: "pvh.pandoc#L29", url: "https://github.com/xen-project/xen/blob/d90bcb5f10995c52d080274d66bfdc362b22598e/docs/misc/pvh.pandoc#L29", type: "link" }]);
    expect(t.description).toContain("TR holds an active (busy) 32-bit TSS");

    const interop = byName("reference/v1#pvh.interop.cpl0");
    expect(label(interop, "epic")).toEqual(["interop"]);
    expect(label(interop, "level")).toEqual(["interop"]);
    expect(label(byName("reference/v1#pvh.note.owner"), "side")).toEqual(["kernel"]);
  });

  it("maps statuses: unexpected FAIL failed, unexpected ERROR broken, expected deviation skipped and known, PASS passed, SKIP skipped", () => {
    expect(byName("qemu/pc-tcg#pvh.cpu.tr").status).toBe("failed");
    expect(byName("qemu/pc-tcg#pvh.cpu.tr").statusDetails.message).toMatch(/^1 of 4 cases FAIL.*tr-not-tss/);
    expect(byName("qemu/pc-tcg#pvh.start-info.magic").status).toBe("broken");

    const known = byName("qemu/pc-tcg#pvh.cpu.cr0");
    expect(known.status).toBe("skipped");
    expect(known.statusDetails.known).toBe(true);
    expect(known.statusDetails.message).toMatch(/^expected deviation: 1 of 4 cases FAIL/);
    expect(label(known, "tag")).toContain("known-deviation");
    // Case 1 PASSed where the expectations demanded FAIL: the report says so, the gate decides.
    expect(label(known, "tag")).toContain("deviation-not-seen");

    // Crashes and time-outs belong to cases: they do not set a requirement's status.
    expect(byName("qemu/pc-tcg#pvh.interop.cpl0").status).toBe("passed");
    expect(byName("qemu/pc-tcg#pvh.interop.cpl0").description).toContain("2 case(s) crashed, timed out");
    expect(byName("reference/v1#pvh.cpu.tr").status).toBe("passed");
    const skipped = byName("qemu/pc-tcg#pvh.note.owner");
    expect(skipped.status).toBe("skipped");
    expect(skipped.statusDetails.known).toBeUndefined();
    expect(skipped.statusDetails.message).toMatch(/^not applicable in all 4 cases/);

    const outcomes = byName("qemu/pc-tcg#case outcomes");
    expect(outcomes.status).toBe("broken");
    expect(outcomes.statusDetails.message).toMatch(/^1 of 4 cases CRASH; first: crashed: QEMU died by SIGSEGV/);
    expect(byName("reference/v1#case outcomes").status).toBe("passed");
  });

  it("attaches the failing cases, evidence, VMM command line, replay command and loader message to a FAIL", () => {
    const t = byName("qemu/pc-tcg#pvh.cpu.tr");
    const cases = JSON.parse(attachmentText(dir, t, "cases.json")) as { verdict: ResultRecord; replay: string; case: CaseRecord }[];
    expect(cases).toHaveLength(1);
    expect(cases[0]!.verdict).toMatchObject({ status: "FAIL", code: "tr-not-tss" });
    expect(cases[0]!.case.summary).toBe("ELF64, 2 PT_LOAD, case 0");
    expect(cases[0]!.case.tags).toEqual(["elf64", "tag-0"]);
    const evidence = attachmentText(dir, t, "evidence.txt");
    expect(evidence).toContain("expected: busy 32-bit TSS, limit 0x67");
    expect(evidence).toContain("seen:     limit 0xffff type 0xb");
    expect(evidence).toContain("address:  0x1000");
    // Shell-quoted, so it pastes into a shell as it ran.
    expect(attachmentText(dir, t, "VMM command lines.txt")).toContain(`${QEMU} -machine pc -kernel '/tmp/pvh-qemu-1/kernel 0.elf' -append 'console=ttyS0 x='\\''y'\\'''`);
    expect(attachmentText(dir, t, "replay commands.txt")).toContain("pvh-conformance run --adapter qemu --variant pc-tcg --seed 7 --case 0");
    expect(attachmentText(dir, t, "loader messages.txt")).toContain("outcome entered");
    expect(t.steps.map((s) => s.status)).toEqual(["failed"]);
  });

  it("attaches the crashed case to the case-outcome test, unexpected crash before the expected time-out", () => {
    const t = byName("qemu/pc-tcg#case outcomes");
    expect(t.steps.map((s) => s.status)).toEqual(["broken", "skipped"]);
    const cases = JSON.parse(attachmentText(dir, t, "cases.json")) as { verdict: ResultRecord; case: CaseRecord }[];
    expect(cases.map((c) => c.case.outcome)).toEqual(["crashed", "timeout"]);
    expect(attachmentText(dir, t, "loader messages.txt")).toContain("QEMU died by SIGSEGV: qemu-system-x86_64: fatal error");
    expect(attachmentText(dir, t, "VMM command lines.txt")).toContain(QEMU);
    expect(attachmentText(dir, t, "replay commands.txt")).toContain("--seed 7 --case 2,3");
    expect(byName("qemu/pc-tcg#pvh.interop.cpl0").attachments).toEqual([]);
  });

  it("replays a boundary example by name and a user's kernel by its path", () => {
    const doc = sampleResults();
    const add = (caseId: string, example: string): void => {
      doc.cases.push({ ...doc.cases[0]!, caseId, replay: { seed: 7, index: 0, caseSeed: 0, example } });
      doc.records.push({ requirement: "pvh.interop.cpl0", adapter: "reference", variant: "v1", caseId, status: "FAIL", code: "dpl", message: "DPL 3" });
    };
    add("ex1", "plain");
    add("k1", "kernel:/boot/my kernel");
    const other = join(root, "allure-results-replay");
    writeAllureResults(doc, other);
    const t = readResults(other).find((x) => x.fullName === "reference/v1#pvh.interop.cpl0")!;
    const replay = attachmentText(other, t, "replay commands.txt");
    expect(replay).toContain("pvh-conformance run --adapter reference --variant v1 --seed 7 --case example:plain   # ex1");
    expect(replay).toContain("pvh-conformance run --adapter reference --variant v1 --kernel '/boot/my kernel'   # k1");
    expect(replay).not.toContain("example:kernel");
  });

  it("writes the run's environment and the same files again for the same results", () => {
    const env = readFileSync(join(dir, "environment.properties"), "utf8");
    expect(env).toContain("seed=7\n");
    expect(env).toContain("adapter.qemu.binary=/usr/bin/qemu-system-x86_64\n");
    expect(JSON.parse(readFileSync(join(dir, "executor.json"), "utf8"))).toMatchObject({ name: "pvh-conformance" });
    const before = readdirSync(dir).sort();
    writeAllureResults(sampleResults(), dir);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});

describe("generateAllureHtml", () => {
  it("turns the results into an HTML report with the Allure CLI, offline, leaving no temporary files", async () => {
    const results = join(root, "html-results");
    writeAllureResults(sampleResults(), results);
    const out = join(root, "reports", "allure-report");
    const report = await generateAllureHtml({ resultsDirs: results, outDir: out, timeoutMs: 90_000 });
    expect(report.indexHtml).toBe(join(out, "index.html"));
    const html = readFileSync(report.indexHtml, "utf8");
    expect(html).toContain("PVH boot ABI conformance");
    expect(html).not.toContain("googletagmanager");

    const dataDir = join(out, "data", "test-results");
    const data = readdirSync(dataDir).map((f) => readFileSync(join(dataDir, f), "utf8"));
    expect(data).toHaveLength(2 * IDS.length + 2);
    for (const id of IDS) expect(data.some((d) => d.includes(`"${id}"`)), `report data names ${id}`).toBe(true);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { stats: Record<string, number> };
    expect(summary.stats).toMatchObject({ total: 14, failed: 1, broken: 2 });

    expect(readdirSync(privateTmp)).toEqual([]);
    expect(readdirSync(join(root, "reports"))).toEqual(["allure-report"]);
  }, 120_000);

  it("fails with a typed error when the CLI is missing, fails, or hangs, and cleans up", async () => {
    const results = join(root, "html-results");
    const out = join(root, "reports-bad", "allure-report");
    mkdirSync(join(root, "reports-bad"), { recursive: true });

    await expect(generateAllureHtml({ resultsDirs: results, outDir: out, cli: join(root, "no-such-allure.js") })).rejects.toMatchObject({ kind: "missing" });
    await expect(generateAllureHtml({ resultsDirs: join(root, "no-such-results"), outDir: out })).rejects.toMatchObject({ kind: "input" });

    const failing = join(root, "failing-allure.mjs");
    writeFileSync(failing, `process.stderr.write("unreadable results\\n"); process.exit(3);\n`);
    const failed = await generateAllureHtml({ resultsDirs: results, outDir: out, cli: failing }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(AllureCliError);
    expect(failed).toMatchObject({ kind: "failed", output: "unreadable results" });

    const hanging = join(root, "hanging-allure.mjs");
    writeFileSync(hanging, `setTimeout(() => {}, 60_000);\n`);
    chmodSync(hanging, 0o755);
    await expect(generateAllureHtml({ resultsDirs: results, outDir: out, cli: hanging, timeoutMs: 300 })).rejects.toMatchObject({ kind: "timeout" });

    expect(existsSync(out)).toBe(false);
    expect(readdirSync(join(root, "reports-bad"))).toEqual([]);
    expect(readdirSync(privateTmp)).toEqual([]);
  }, 60_000);
});
