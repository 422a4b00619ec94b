import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { applyExpectations } from "../../src/expectations/applyExpectations.js";
import { deriveExpectations, mergeExpectations } from "../../src/expectations/deriveExpectations.js";
import { readExpectations, writeExpectations } from "../../src/expectations/expectationsIo.js";
import type { CaseRecord, ResultRecord, Results } from "../../src/results/Results.js";
import { writeResults } from "../../src/results/writeResults.js";
import { loadSpec } from "../../src/spec/loadSpec.js";

const dir = mkdtempSync(join(tmpdir(), "pvh-exp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake loader's results: TR always wrong; the memmap check fails on cases tagged "odd"; case 7 crashed. */
function results(n: number, opts: { trFixed?: boolean; newFailure?: boolean } = {}): Results {
  const cases: CaseRecord[] = [];
  const records: ResultRecord[] = [];
  for (let i = 0; i < n; i++) {
    const caseId = `c${i}`;
    const odd = i % 3 === 0;
    const crashed = i === 7;
    cases.push({ caseId, adapter: "fake", variant: "v", replay: { seed: 1, index: i, caseSeed: i }, outcome: crashed ? "crashed" : "entered", malformed: null, message: crashed ? "died by SIGSEGV" : null, command: null, summary: "", tags: odd ? ["elf64", "odd"] : ["elf64"] });
    const rec = (requirement: string, status: ResultRecord["status"], message = ""): void => void records.push({ requirement, adapter: "fake", variant: "v", caseId, status, code: status === "PASS" ? "ok" : "x", message });
    if (crashed) {
      for (const r of ["pvh.cpu.tr", "pvh.memmap.types", "pvh.cpu.cs"]) rec(r, "CRASH", "died by SIGSEGV");
      continue;
    }
    rec("pvh.cpu.tr", opts.trFixed ? "PASS" : "FAIL", "TR is limit 0xffff");
    rec("pvh.memmap.types", odd ? "FAIL" : "PASS", "entry 5 has type 0");
    rec("pvh.cpu.cs", opts.newFailure && i === 4 ? "FAIL" : "PASS", "CS is limit 0xfffff");
  }
  const requirements = Object.fromEntries(loadSpec().requirements.requirements.map((r) => [r.id, { level: r.level, side: r.side, statement: r.statement, source: r.source }]));
  return {
    format: "pvh-conformance/results@1",
    run: { suiteVersion: "t", startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:01Z", seed: 1, cases: n, host: { hostname: "h", platform: "linux-x64", node: "v20", cpus: 2 }, adapters: [{ id: "fake", variants: ["v"], version: "fake 1.0", binary: null }], command: [], requirements },
    cases,
    records,
  };
}

describe("expectations", () => {
  const base = results(60);
  const exp = deriveExpectations(base, "fake");

  it("derive one entry per deviation, narrowed by case tags, each with its evidence", () => {
    const byReq = new Map(exp.expectations.map((e) => [e.requirement, e]));
    expect(byReq.get("pvh.cpu.tr")).toMatchObject({ when: [], allow: ["FAIL"] });
    expect(byReq.get("pvh.memmap.types")).toMatchObject({ when: ["odd"], allow: ["FAIL"] });
    expect(byReq.get("*")).toMatchObject({ allow: ["CRASH"] });
    expect(byReq.get("pvh.cpu.tr")!.reason).toMatch(/FAIL in 59 of 59 covered cases: TR is limit 0xffff \(e\.g\. c0/);
    expect(byReq.has("pvh.cpu.cs")).toBe(false);
  });

  it("the results they came from pass the gate", () => {
    const g = applyExpectations(results(60), [exp]);
    expect([g.unexpectedBad.length, g.unexpectedPass.length]).toEqual([0, 0]);
    expect(g.expectedBad).toBeGreaterThan(60);
  });

  it("a new deviation is unexpected; a fixed one is an unexpected pass", () => {
    const worse = applyExpectations(results(60, { newFailure: true }), [exp]);
    expect(worse.unexpectedBad.map((r) => `${r.caseId} ${r.requirement}`)).toEqual(["c4 pvh.cpu.cs"]);
    const better = applyExpectations(results(60, { trFixed: true }), [exp]);
    expect(better.unexpectedPass.length).toBe(59);
    expect(better.unexpectedPass[0]).toMatchObject({ requirement: "pvh.cpu.tr", status: "PASS", expected: "FAIL" });
  });

  it("the file made from the version that ran speaks for it; another major.minor does not", () => {
    const mk = (version: string, allow: "FAIL" | "PASS") => ({ ...exp, version, expectations: [{ requirement: "pvh.cpu.tr", variants: ["v"], when: [], allow: [allow], reason: version }] });
    const old = mk("fake 0.9.3", "PASS");
    const point = mk("fake 1.0.7", "FAIL");
    // "fake 1.0" ran: 1.0.7 is the same major.minor, whichever order the files come in.
    for (const files of [[old, point], [point, old]]) {
      const g = applyExpectations(results(60), files);
      expect(g.unexpectedBad.filter((r) => r.requirement === "pvh.cpu.tr" && r.status === "FAIL")).toEqual([]);
      expect(g.unused).toEqual([]);
      expect(g.noFileForVersion).toEqual([]);
    }
    // Only a 0.9 file: nothing speaks for 1.0, so TR's failures are new, and the gate says why.
    const g = applyExpectations(results(60), [old]);
    expect(g.unexpectedBad.filter((r) => r.requirement === "pvh.cpu.tr" && r.status === "FAIL").length).toBe(59);
    expect(g.noFileForVersion).toEqual(["fake fake 1.0"]);
    expect(g.unused).toEqual([]);
  });

  it("a requirement broken for different reasons gets one entry per reason, each narrowed by its own tag", () => {
    const r = results(60);
    // pvh.cpu.cs fails on "a" cases for one reason and on "b" cases for another; no tag covers both.
    r.cases.forEach((c, i) => (c.tags = [...c.tags, i % 4 === 1 ? "a" : i % 4 === 2 ? "b" : "c"]));
    for (const rec of r.records) {
      if (rec.requirement !== "pvh.cpu.cs" || rec.status === "CRASH") continue;
      const i = Number(rec.caseId.slice(1));
      if (i % 4 === 1) Object.assign(rec, { status: "FAIL", message: "refused: reason A at 0x1000" });
      if (i % 4 === 2) Object.assign(rec, { status: "FAIL", message: "refused: reason B" });
    }
    const e = deriveExpectations(r, "fake").expectations.filter((x) => x.requirement === "pvh.cpu.cs");
    expect(e.map((x) => x.when)).toEqual([["a"], ["b"]]);
    expect(e.map((x) => x.reason.split(":")[0])).toEqual(["FAIL in 15 of 15 covered cases", "FAIL in 15 of 15 covered cases"]);
    expect(e[0]!.reason).toContain("reason A");
    expect(applyExpectations(r, [deriveExpectations(r, "fake")]).unexpectedBad).toEqual([]);
  });

  it("--merge: another run's variants replace theirs and keep the rest, listed under mergedFrom", () => {
    const tcg = { ...exp, expectations: [
      { requirement: "pvh.cpu.tr", variants: ["v", "w"], when: [], allow: ["FAIL" as const], reason: "tcg" },
      { requirement: "pvh.cpu.cs", variants: ["w"], when: [], allow: ["FAIL" as const], reason: "tcg only w" },
    ] };
    const kvm = { ...exp, generatedFrom: { ...exp.generatedFrom, seed: 9 }, expectations: [{ requirement: "pvh.cpu.tr", variants: ["w"], when: ["odd"], allow: ["FAIL" as const], reason: "kvm" }] };
    const m = mergeExpectations(tcg, kvm, ["w"]);
    expect(m.expectations).toEqual([
      { requirement: "pvh.cpu.tr", variants: ["v"], when: [], allow: ["FAIL"], reason: "tcg" },
      { requirement: "pvh.cpu.tr", variants: ["w"], when: ["odd"], allow: ["FAIL"], reason: "kvm" },
    ]);
    expect(m.generatedFrom).toEqual(tcg.generatedFrom);
    expect(m.mergedFrom).toEqual([{ ...kvm.generatedFrom, variants: ["w"] }]);
    // Merging w again replaces the record of the first merge.
    expect(mergeExpectations(m, kvm, ["w"]).mergedFrom).toEqual([{ ...kvm.generatedFrom, variants: ["w"] }]);
    expect(() => mergeExpectations(tcg, { ...kvm, adapter: "other" }, ["w"])).toThrow(/cannot merge/);
    expect(() => mergeExpectations(tcg, { ...kvm, version: "fake 2.0" }, ["w"])).toThrow(/cannot merge/);
  });

  it("--merge leaves out the entries of a requirement the catalogue withdrew, kept from other variants, and names them", async () => {
    expect(loadSpec().requirements.requirements.find((r) => r.id === "pvh.interop.memmap-sorted")?.status).toBe("withdrawn");
    const file = join(dir, "withdrawn.yaml");
    const stale = { requirement: "pvh.interop.memmap-sorted", variants: ["w"], when: [], allow: ["FAIL" as const], reason: "measured before the audit" };
    const unknown = { requirement: "pvh.no-such-requirement", variants: ["w"], when: [], allow: ["FAIL" as const], reason: "a catalogue that never had it" };
    const kept = { requirement: "pvh.cpu.tr", variants: ["w"], when: [], allow: ["FAIL" as const], reason: "kvm" };
    writeExpectations(file, { ...exp, expectations: [...exp.expectations, stale, unknown, kept] });
    writeResults(join(dir, "merge-v", "results.json"), results(60));
    let err = "";
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => ((err += s), true) } };
    expect(await main(["update-expectations", "--results", join(dir, "merge-v", "results.json"), "--adapter", "fake", "--out", file, "--merge"], io)).toBe(0);
    const written = readExpectations(file).expectations;
    expect(written.map((e) => e.requirement)).not.toContain("pvh.interop.memmap-sorted");
    expect(written.map((e) => e.requirement)).not.toContain("pvh.no-such-requirement");
    // The entry of w that names an active requirement is kept, and v's are fresh.
    expect(written).toContainEqual(kept);
    expect(written.filter((e) => e.variants.includes("v")).length).toBeGreaterThan(0);
    expect(err).toMatch(/pvh\.interop\.memmap-sorted is withdrawn from the catalogue; its entry for w was left out/);
    expect(err).toMatch(/pvh\.no-such-requirement is withdrawn from the catalogue/);
  });

  it("--accumulate keeps what an earlier campaign saw on the variants run again (crashes that land on other cases each run)", async () => {
    const file = join(dir, "accumulate.yaml");
    const earlier = { requirement: "*", variants: ["v", "w"], when: ["no-sections"], allow: ["CRASH" as const], reason: "an earlier campaign's SIGSEGV" };
    writeExpectations(file, { ...exp, expectations: [earlier] });
    writeResults(join(dir, "acc", "results.json"), results(60));
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    expect(await main(["update-expectations", "--results", join(dir, "acc", "results.json"), "--adapter", "fake", "--out", file, "--accumulate"], io)).toBe(0);
    const written = readExpectations(file).expectations;
    // The fresh entries, and the earlier one for v, the variant this run ran (w was not run: without --merge it goes).
    expect(written).toContainEqual({ ...earlier, variants: ["v"] });
    for (const e of exp.expectations) expect(written).toContainEqual(e);
    expect(written).toHaveLength(exp.expectations.length + 1);
    // Without --accumulate the earlier entry, not seen in this run, is gone.
    writeExpectations(file, { ...exp, expectations: [earlier] });
    expect(await main(["update-expectations", "--results", join(dir, "acc", "results.json"), "--adapter", "fake", "--out", file], io)).toBe(0);
    expect(readExpectations(file).expectations).toEqual(exp.expectations);
  });

  it("a deviation seen in few cases is allowed, not demanded", () => {
    const small = deriveExpectations(results(12), "fake");
    expect(small.expectations.find((e) => e.requirement === "pvh.cpu.tr")!.allow).toEqual(["FAIL", "PASS", "SKIP"]);
  });

  it("round-trips through YAML, and the CLI gate exits 0, 1 and 2 as documented", async () => {
    const file = join(dir, "fake-1.0.yaml");
    writeExpectations(file, exp);
    expect(readExpectations(file)).toEqual(exp);
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    writeResults(join(dir, "same", "results.json"), results(60));
    writeResults(join(dir, "worse", "results.json"), results(60, { newFailure: true }));
    expect(await main(["gate", "--results", join(dir, "same", "results.json"), "--expectations", file], io)).toBe(0);
    expect(await main(["gate", "--results", join(dir, "worse", "results.json"), "--expectations", file], io)).toBe(1);
    expect(await main(["gate", "--results", join(dir, "nope.json"), "--expectations", file], io)).toBe(2);
    expect(await main(["update-expectations", "--results", join(dir, "same", "results.json"), "--adapter", "fake", "--out", join(dir, "again.yaml")], io)).toBe(0);
    expect(readExpectations(join(dir, "again.yaml")).expectations).toEqual(exp.expectations);
  });

  it("regenerating keeps the note and bug link people gave an entry, and says when one is no longer seen", async () => {
    const file = join(dir, "annotated.yaml");
    const annotated = { ...exp, expectations: exp.expectations.map((e) => (e.requirement === "pvh.cpu.tr" ? { ...e, note: "TCG's TR; KVM differs", link: "https://bugs.example/123" } : e)) };
    writeExpectations(file, annotated);
    writeResults(join(dir, "again", "results.json"), results(60));
    let err = "";
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => ((err += s), true) } };
    expect(await main(["update-expectations", "--results", join(dir, "again", "results.json"), "--adapter", "fake", "--out", file], io)).toBe(0);
    const tr = readExpectations(file).expectations.find((e) => e.requirement === "pvh.cpu.tr")!;
    expect(tr).toMatchObject({ note: "TCG's TR; KVM differs", link: "https://bugs.example/123" });
    expect(err).toBe("");
    // TR fixed: the entry is gone, and so is its note, which the command says.
    writeResults(join(dir, "fixed", "results.json"), results(60, { trFixed: true }));
    expect(await main(["update-expectations", "--results", join(dir, "fixed", "results.json"), "--adapter", "fake", "--out", file], io)).toBe(0);
    expect(readExpectations(file).expectations.some((e) => e.requirement === "pvh.cpu.tr")).toBe(false);
    expect(err).toMatch(/pvh\.cpu\.tr on v is no longer seen; its note \("TCG's TR; KVM differs"\) and link https:\/\/bugs\.example\/123 went with it/);
  });

  it("refuses a malformed expectations file with the reason", () => {
    const bad = join(dir, "bad.yaml");
    writeExpectations(bad, { ...exp, expectations: [{ ...exp.expectations[0]!, allow: [] }] });
    expect(() => readExpectations(bad)).toThrow(/allow/);
  });
});
