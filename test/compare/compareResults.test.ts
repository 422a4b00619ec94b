import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/_internals/packageRoot.js";
import type { Cell, CompareOutput } from "../../src/compare/Compare.js";
import { compareResults, type CompareSource } from "../../src/compare/compareResults.js";
import { formatMarkdown } from "../../src/compare/formatMarkdown.js";
import { formatCompare } from "../../src/compare/printCompare.js";
import type { Results } from "../../src/results/Results.js";
import { buildResults } from "../reports/_support/buildResults.js";
import { mutantAdapter, realRun } from "./_support/runs.js";

const src = (results: Results, name: string, label?: string): CompareSource => ({ results, file: `/nonexistent/${name}/results.json`, ...(label ? { label } : {}) });
const cell = (doc: CompareOutput, req: string, variant = "reference/v1"): Cell => {
  const c = doc.cells.find((x) => x.requirement === req && x.variant === variant);
  if (!c) throw new Error(`no cell ${req} ${variant}`);
  return c;
};
/** requirement → change, for the cells of one step whose change is not "good". */
const changed = (doc: CompareOutput, from = 0, to = 1): Record<string, string> =>
  Object.fromEntries(doc.cells.flatMap((c) => c.steps.filter((s) => s.from === from && s.to === to && s.change !== "good").map((s) => [`${c.variant} ${c.requirement}`, s.change])));

const validator = () => new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(packageRoot(), "spec", "schema", "compare.schema.json"), "utf8")) as object);

describe("compare on real runs: the reference loader against its mutants", () => {
  let good: Results;
  let trLimit: Results;
  let trLimitAgain: Results;
  let cr0: Results;
  beforeAll(async () => {
    [good, trLimit, trLimitAgain, cr0] = await Promise.all([
      realRun({ cases: 30, seed: 5 }),
      realRun({ adapter: mutantAdapter("tr-limit"), cases: 30, seed: 5 }),
      realRun({ adapter: mutantAdapter("tr-limit"), cases: 30, seed: 5 }),
      realRun({ adapter: mutantAdapter("cr0-wp"), cases: 30, seed: 5 }),
    ]);
  });

  it("a release that breaks TR: pvh.cpu.tr regressed on the same cases, nothing else changed", () => {
    const doc = compareResults([src(good, "base"), src(trLimit, "head")]);
    expect(doc.mode).toBe("pair");
    expect(changed(doc)).toEqual({ "reference/v1 pvh.cpu.tr": "regressed" });
    const tr = cell(doc, "pvh.cpu.tr");
    const st = tr.steps[0]!;
    const bad = trLimit.records.filter((r) => r.requirement === "pvh.cpu.tr" && r.status === "FAIL").length;
    expect(bad).toBeGreaterThan(10);
    expect(st).toMatchObject({ change: "regressed", basis: "cases", regressed: bad, fixed: 0, stillFailing: 0 });
    expect(st.matched).toBe(good.cases.length);
    expect(doc.regressed).toBe(true);
    // Each side's version, matched on the adapter id.
    expect(doc.variants[0]!.inputs.map((x) => x?.version)).toEqual(["0.1.0", "0.1.0+mutant-tr-limit"]);
    expect(doc.inputs.map((i) => i.label)).toEqual(["reference 0.1.0", "reference 0.1.0+mutant-tr-limit"]);
    // The head column lists the regressed cases with evidence and a replay command.
    const head = tr.columns[1]!;
    expect(head.cases.length + head.more).toBe(bad);
    expect(head.cases[0]).toMatchObject({ status: "FAIL", change: "regressed", previous: "PASS" });
    expect(head.cases[0]!.replay).toMatch(/^pvh-conformance run --adapter reference --variant v1 --seed 5 --case (\d+|example:[\w-]+)$/);
    expect(head.reasons[0]!.evidence?.seen).toContain("limit 0x68");
    expect(tr.columns[0]!.bad).toBe(0);
    expect(validator()(doc)).toBe(true);
  });

  it("the reverse is a fix: bad in base, PASS in head on the same cases; exit status would be 0", () => {
    const doc = compareResults([src(trLimit, "base"), src(good, "head")]);
    expect(changed(doc)).toEqual({ "reference/v1 pvh.cpu.tr": "fixed" });
    const tr = cell(doc, "pvh.cpu.tr");
    expect(tr.steps[0]).toMatchObject({ change: "fixed", basis: "cases", regressed: 0, stillFailing: 0 });
    expect(tr.steps[0]!.fixed).toBe(tr.columns[0]!.bad);
    // The fixed cases are listed in the head column, PASS now, with what they were.
    expect(tr.columns[1]!.cases.every((c) => c.status === "PASS" && c.change === "fixed" && c.previous === "FAIL")).toBe(true);
    expect(doc.regressed).toBe(false);
  });

  it("the same fault in both: still failing, with the reason from the records", () => {
    const doc = compareResults([src(trLimit, "a"), src(trLimitAgain, "b")]);
    expect(changed(doc)).toEqual({ "reference/v1 pvh.cpu.tr": "still-failing" });
    const tr = cell(doc, "pvh.cpu.tr");
    expect(tr.steps[0]).toMatchObject({ change: "still-failing", basis: "cases", regressed: 0, fixed: 0 });
    expect(doc.regressed).toBe(false);
    const text = formatCompare(doc);
    expect(text).toMatch(/still failing \(1\):\n {2}reference\/v1 {2}pvh\.cpu\.tr \(must\): \d+\/\d+ bad \(FAIL \d+\) → \d+\/\d+ bad \(FAIL \d+\); on the same cases: \d+ still failing of \d+\n {6}FAIL [\w-]+ ×\d+: .*limit 0x68/);
  });

  it("one fault traded for another: TR fixed, CR0 regressed; the summary lists both with evidence", () => {
    const doc = compareResults([src(trLimit, "base", "tr-limit"), src(cr0, "head", "cr0-wp")]);
    expect(changed(doc)).toEqual({ "reference/v1 pvh.cpu.tr": "fixed", "reference/v1 pvh.cpu.cr0": "regressed" });
    const text = formatCompare(doc);
    expect(text).toContain("tr-limit → cr0-wp: 1 regressed, 1 fixed, 0 still failing");
    const regressedAt = text.indexOf("\nregressed (1):\n  reference/v1  pvh.cpu.cr0 (must)");
    const fixedAt = text.indexOf("\nfixed (1):\n  reference/v1  pvh.cpu.tr (must)");
    expect(regressedAt).toBeGreaterThan(0);
    expect(fixedAt).toBeGreaterThan(regressedAt);
    // A fix shows what was wrong before.
    expect(text.slice(fixedAt)).toMatch(/\n {6}was FAIL [\w-]+ ×\d+: /);
    expect(text.slice(regressedAt, fixedAt)).toMatch(/e\.g\. c[0-9a-f]+: pvh-conformance run --adapter reference --variant v1 --seed 5 --case \d+/);
    expect(text).toMatch(/compare: 1 regressed, 1 fixed, 0 still failing\n$/);
  });

  it("different seeds share no generated case: judged by requirement", async () => {
    const [a, b] = await Promise.all([realRun({ cases: 20, seed: 1, examples: false }), realRun({ adapter: mutantAdapter("tr-limit"), cases: 20, seed: 1000, examples: false })]);
    const doc = compareResults([src(a, "a"), src(b, "b")]);
    expect(doc.variants[0]!.steps[0]).toMatchObject({ matched: 0, onlyFrom: 20, onlyTo: 20, differing: 0 });
    expect(changed(doc)).toEqual({ "reference/v1 pvh.cpu.tr": "regressed" });
    expect(cell(doc, "pvh.cpu.tr").steps[0]).toMatchObject({ basis: "requirement", matched: 0, regressed: 0 });
    expect(doc.inputs.map((i) => i.label)).toEqual(["reference 0.1.0", "reference 0.1.0+mutant-tr-limit"]);
    const [pa, fb] = [a.records.filter((r) => r.requirement === "pvh.cpu.tr" && r.status === "PASS").length, b.records.filter((r) => r.requirement === "pvh.cpu.tr" && r.status === "FAIL").length];
    expect(fb).toBeGreaterThan(10);
    expect(formatCompare(doc)).toContain(`pvh.cpu.tr (must): PASS ${pa}/20 → ${fb}/20 bad (FAIL ${fb}); by requirement (no shared cases)`);
  });

  it("a variant only one side ran is new or gone, requirement by requirement", async () => {
    const both = await realRun({ variants: ["v1", "v0"], cases: 5, seed: 5, examples: false });
    const one = await realRun({ variants: ["v1"], cases: 5, seed: 5, examples: false });
    const gone = compareResults([src(both, "a"), src(one, "b")]);
    const v0 = gone.cells.filter((c) => c.variant === "reference/v0");
    expect(v0.length).toBeGreaterThan(40);
    expect(v0.every((c) => c.steps[0]!.change === "gone" && c.columns[1] === null)).toBe(true);
    expect(gone.variants.find((v) => v.key === "reference/v0")!.inputs[1]).toBeNull();
    expect(gone.totals[0]!.gone).toBe(v0.length);
    expect(gone.regressed).toBe(false);
    const added = compareResults([src(one, "a"), src(both, "b")]);
    expect(added.totals[0]!.new).toBe(v0.length);
    expect(formatCompare(added)).toMatch(/\nnew \(\d+\):\n {2}reference\/v0 {2}pvh\.[\w.-]+, .* \(\d+ requirements\) \(reference 0\.1\.0 #1 did not run reference\/v0\)/);
  });
});

describe("compare: edge cases on made-to-order results", () => {
  const reqs = ["pvh.cpu.tr", "pvh.cpu.cr0", "pvh.start-info.magic"];
  const cols = [{ adapter: "qemu", variant: "pc-tcg" }];

  it("a case id whose content differs (other capabilities) is not matched", () => {
    const a = buildResults({ requirements: reqs, columns: cols, cases: 4 });
    const b = buildResults({
      requirements: reqs,
      columns: cols,
      cases: 4,
      caseRecord: (_c, i) => (i === 0 ? { summary: "ELF32, 1 PT_LOAD, other" } : undefined),
      record: (req, _c, i) => (req === "pvh.cpu.tr" && i === 0 ? { status: "FAIL", code: "tr", message: "TR limit 0xffff" } : undefined),
    });
    const doc = compareResults([src(a, "a"), src(b, "b")]);
    expect(doc.variants[0]!.steps[0]).toMatchObject({ matched: 3, differing: 1, onlyFrom: 0, onlyTo: 0 });
    // Not a regression on the same case (it is not the same case), but by requirement.
    expect(cell(doc, "pvh.cpu.tr", "qemu/pc-tcg").steps[0]).toMatchObject({ change: "regressed", basis: "requirement", regressed: 0, matched: 3 });
    expect(cell(doc, "pvh.cpu.tr", "qemu/pc-tcg").columns[1]!.cases[0]).toMatchObject({ change: null, previous: null });
  });

  it("bad then SKIP is unchecked, not fixed; SKIP then bad is a regression", () => {
    const skip = { status: "SKIP" as const, code: "cannot-observe", message: "the probe cannot read TR" };
    const fail = { status: "FAIL" as const, code: "tr", message: "TR limit 0xffff", evidence: { expected: "limit 0x67", seen: "limit 0xffff" } };
    const a = buildResults({ requirements: reqs, columns: cols, cases: 3, record: (req) => (req === "pvh.cpu.tr" ? fail : req === "pvh.cpu.cr0" ? skip : undefined) });
    const b = buildResults({ requirements: reqs, columns: cols, cases: 3, record: (req) => (req === "pvh.cpu.tr" ? skip : req === "pvh.cpu.cr0" ? fail : undefined) });
    const doc = compareResults([src(a, "a"), src(b, "b")]);
    expect(changed(doc)).toEqual({ "qemu/pc-tcg pvh.cpu.tr": "unchecked", "qemu/pc-tcg pvh.cpu.cr0": "regressed" });
    expect(cell(doc, "pvh.cpu.tr", "qemu/pc-tcg").steps[0]).toMatchObject({ unchecked: 3, fixed: 0 });
    expect(doc.regressed).toBe(true);
  });

  it("a requirement only the newer catalogue has is new; expectations do not hide a bad record", () => {
    const a = buildResults({ requirements: ["pvh.cpu.tr"], columns: cols, cases: 2, expectations: true, record: () => ({ status: "FAIL", expected: "FAIL", code: "tr", message: "TR limit 0xffff" }) });
    const b = buildResults({ requirements: ["pvh.cpu.tr", "pvh.cpu.cr0"], columns: cols, cases: 2, expectations: true, record: () => ({ status: "FAIL", expected: "FAIL", code: "tr", message: "TR limit 0xffff" }) });
    const doc = compareResults([src(a, "a"), src(b, "b")]);
    expect(changed(doc)).toEqual({ "qemu/pc-tcg pvh.cpu.tr": "still-failing", "qemu/pc-tcg pvh.cpu.cr0": "new" });
    expect(cell(doc, "pvh.cpu.cr0", "qemu/pc-tcg").columns[0]).toBeNull();
  });

  it("a campaign: one column per input, each step against the previous input that tested the adapter", () => {
    const qemu = (version: string, failTr: boolean): Results => {
      const r = buildResults({ requirements: reqs, columns: cols, cases: 3, record: (req) => (failTr && req === "pvh.cpu.tr" ? { status: "FAIL", code: "tr", message: "TR limit 0xffff" } : undefined) });
      r.run.adapters[0]!.version = `QEMU emulator version ${version}`;
      return r;
    };
    const xen = (version: string, failCr0: boolean): Results => {
      const r = buildResults({ requirements: reqs, columns: [{ adapter: "xen", variant: "dom0" }], cases: 2, record: (req) => (failCr0 && req === "pvh.cpu.cr0" ? { status: "FAIL", code: "cr0", message: "CR0.WP set" } : undefined) });
      r.run.adapters[0]!.version = `Xen ${version}`;
      return r;
    };
    const doc = compareResults([src(qemu("7.2.22", true), "q7"), src(qemu("10.0.2", false), "q10"), src(xen("4.17.5", false), "x17"), src(xen("4.20.1", true), "x20")]);
    expect(doc.mode).toBe("campaign");
    expect(doc.inputs.map((i) => i.label)).toEqual(["qemu 7.2.22", "qemu 10.0.2", "xen 4.17.5", "xen 4.20.1"]);
    expect(doc.totals.map((t) => [t.from, t.to])).toEqual([[0, 1], [2, 3]]);
    expect(changed(doc, 0, 1)).toEqual({ "qemu/pc-tcg pvh.cpu.tr": "fixed" });
    expect(changed(doc, 2, 3)).toEqual({ "xen/dom0 pvh.cpu.cr0": "regressed" });
    expect(cell(doc, "pvh.cpu.tr", "qemu/pc-tcg").columns.map((c) => c?.label ?? null)).toEqual(["FAIL 3/3", "PASS 3/3", null, null]);
    expect(doc.variants.map((v) => [v.key, v.inputs.map((x) => x?.version ?? null)])).toEqual([
      ["qemu/pc-tcg", ["QEMU emulator version 7.2.22", "QEMU emulator version 10.0.2", null, null]],
      ["xen/dom0", [null, null, "Xen 4.17.5", "Xen 4.20.1"]],
    ]);
    expect(doc.regressed).toBe(true);
    expect(validator()(doc)).toBe(true);
    // Two inputs with --campaign: the same document, laid out as a campaign.
    expect(compareResults([src(qemu("7.2.22", true), "a"), src(qemu("10.0.2", false), "b")], { campaign: true }).mode).toBe("campaign");
  });

  it("a release dropping a machine type shows it gone in a campaign too", () => {
    const two = buildResults({ requirements: reqs, columns: [...cols, { adapter: "qemu", variant: "microvm-tcg" }], cases: 2 });
    const one = buildResults({ requirements: reqs, columns: cols, cases: 2 });
    const doc = compareResults([src(two, "a"), src(one, "b"), src(one, "c")]);
    expect(doc.totals).toMatchObject([{ from: 0, to: 1, gone: 3, good: 3 }, { from: 1, to: 2, good: 3, gone: 0 }]);
  });

  it("replay commands keep the loader the run used, and name boundary examples", () => {
    const r = buildResults({ requirements: reqs, columns: cols, cases: 3, record: () => ({ status: "FAIL", code: "x", message: "bad" }), caseRecord: (_c, i) => (i === 1 ? { caseId: "example-plain", replay: { seed: 0, index: 0, caseSeed: 0, example: "plain" } } : i === 2 ? { replayCommand: "pvh-conformance run --adapter qemu --variant pc-tcg --kernel /boot/vmlinuz --append 'console=ttyS0' --memory 512" } : undefined) });
    r.run.command = ["pvh-conformance", "run", "--adapter", "qemu", "--qemu", "/opt/qemu 10/bin/qemu-system-x86_64", "--qemu-arg", "-L", "--qemu-arg", "/opt/fw", "--seed", "7"];
    const doc = compareResults([src(r, "a"), src(r, "b")]);
    const replays = cell(doc, "pvh.cpu.tr", "qemu/pc-tcg").columns[1]!.cases.map((c) => c.replay);
    expect(replays).toEqual([
      "pvh-conformance run --adapter qemu --variant pc-tcg --qemu '/opt/qemu 10/bin/qemu-system-x86_64' --qemu-arg -L --qemu-arg /opt/fw --seed 7 --case 0",
      "pvh-conformance run --adapter qemu --variant pc-tcg --qemu '/opt/qemu 10/bin/qemu-system-x86_64' --qemu-arg -L --qemu-arg /opt/fw --seed 0 --case example:plain",
      // The command the run recorded (a --kernel case, with its --append), the loader added.
      "pvh-conformance run --adapter qemu --variant pc-tcg --qemu '/opt/qemu 10/bin/qemu-system-x86_64' --qemu-arg -L --qemu-arg /opt/fw --kernel /boot/vmlinuz --append 'console=ttyS0' --memory 512",
    ]);
  });

  it("labels: the tested adapter and version, told apart by seed or position where they are alike; given ones win", () => {
    const r = (seed: number): Results => buildResults({ requirements: reqs, columns: cols, cases: 1, seed });
    expect(compareResults([src(r(1), "a"), src(r(2), "b")]).inputs.map((i) => i.label)).toEqual(["qemu 7.2.22 seed 1", "qemu 7.2.22 seed 2"]);
    expect(compareResults([src(r(1), "a"), src(r(1), "b")]).inputs.map((i) => i.label)).toEqual(["qemu 7.2.22 #1", "qemu 7.2.22 #2"]);
    expect(compareResults([src(r(1), "a", "old"), src(r(1), "b", "new")]).inputs.map((i) => i.label)).toEqual(["old", "new"]);
  });

  it("--markdown: a table per adapter, a column per input that tested it; case-level crashes in one row", () => {
    const release = (version: string, trMessage: string | null, crashCase: number | null): Results => {
      const r = buildResults({
        requirements: reqs,
        columns: [{ adapter: "qemu", variant: "pc-tcg" }, { adapter: "qemu", variant: "q35-tcg" }],
        cases: 4,
        record: (req, col, i) =>
          i === crashCase && col.variant === "pc-tcg" ? { status: "CRASH", code: "crashed", message: "QEMU exited" } : trMessage !== null && req === "pvh.cpu.tr" ? { status: "FAIL", code: "tr", message: trMessage } : undefined,
      });
      r.run.adapters[0]!.version = `QEMU emulator version ${version}`;
      return r;
    };
    const xen = buildResults({ requirements: reqs, columns: [{ adapter: "xen", variant: "dom0" }], cases: 2, record: (req) => (req === "pvh.cpu.cr0" ? { status: "ERROR", code: "probe", message: "no CR0 line" } : undefined) });
    xen.run.adapters[0]!.version = "Xen 4.20.1";
    const doc = compareResults([src(release("7.2.22", "TR is limit 0xffff | not 0x67", 2), "a"), src(release("10.0.2", null, null), "b"), src(xen, "c")]);
    expect(formatMarkdown(doc)).toBe(
      [
        "qemu (pc-tcg, q35-tcg):",
        "",
        "| requirement | qemu 7.2.22 | qemu 10.0.2 |",
        "|---|---|---|",
        "| `*` (CRASH, TIMEOUT) | CRASH 1/4 (pc-tcg) | none |",
        "| `pvh.cpu.tr` (must) | TR is limit 0xffff \\| not 0x67 (pc-tcg 3/4, q35-tcg 4/4) | PASS |",
        "",
        "xen (dom0):",
        "",
        "| requirement | xen 4.20.1 |",
        "|---|---|",
        "| `pvh.cpu.cr0` (must) | ERROR: no CR0 line (dom0 2/2) |",
        "",
      ].join("\n"),
    );
  });

  it("the cases listed per column are capped, and the rest counted", () => {
    const r = buildResults({ requirements: ["pvh.cpu.tr"], columns: cols, cases: 80, record: () => ({ status: "FAIL", code: "tr", message: "TR limit 0xffff" }) });
    const doc = compareResults([src(r, "a"), src(r, "b")]);
    const col = cell(doc, "pvh.cpu.tr", "qemu/pc-tcg").columns[1]!;
    expect([col.cases.length, col.more, col.bad]).toEqual([50, 30, 80]);
  });

  it("the published schema rejects a document that breaks it (the schema has teeth)", () => {
    const r = buildResults({ requirements: reqs, columns: cols, cases: 2 });
    const doc = compareResults([src(r, "a"), src(r, "b")]);
    const v = validator();
    expect(v(doc)).toBe(true);
    const bad = structuredClone(doc) as unknown as { cells: { steps: { change: string }[] }[] };
    bad.cells[0]!.steps[0]!.change = "better";
    expect(v(bad)).toBe(false);
    expect(v({ ...doc, inputs: [doc.inputs[0]] })).toBe(false);
  });
});
