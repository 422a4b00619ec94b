import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { SaxesParser } from "saxes";
import { afterAll, describe, expect, it } from "vitest";
import { junitXml, writeJunit } from "../../reports/junit/writeJunit.js";
import { resultsValidator } from "../../src/results/writeResults.js";
import { buildResults } from "./_support/buildResults.js";
import { CASES, HOSTILE, sampleResults } from "./_support/sampleResults.js";

interface Outcome {
  message?: string;
  type?: string;
  "#text"?: string;
}
interface TestCase {
  classname: string;
  name: string;
  time: string;
  failure?: Outcome;
  error?: Outcome;
  skipped?: Outcome;
}
interface Suite {
  name: string;
  tests: string;
  failures: string;
  errors: string;
  skipped: string;
  time: string;
  timestamp: string;
  properties: { property: { name: string; value: string }[] };
  testcase: TestCase[];
}
interface Doc {
  testsuites: { tests: string; failures: string; errors: string; skipped: string; time: string; testsuite: Suite[] };
}

/** A strict XML 1.0 parser: any well-formedness error (a control character, "]]>" in text, "<" in an attribute) throws. */
function wellFormed(xml: string): void {
  const p = new SaxesParser();
  const errors: string[] = [];
  p.on("error", (e) => errors.push(e.message));
  p.write(xml).close();
  if (errors.length) throw new Error(`not well-formed XML: ${errors.slice(0, 3).join("; ")}`);
}

function parse(xml: string): Doc {
  wellFormed(xml);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    trimValues: false,
    htmlEntities: true,
    isArray: (name) => ["testsuite", "testcase", "property"].includes(name),
  });
  return parser.parse(xml) as Doc;
}

const dir = mkdtempSync(join(tmpdir(), "pvh-junit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("junitXml", () => {
  const results = sampleResults();
  const xml = junitXml(results);
  const doc = parse(xml);
  const suites = doc.testsuites.testsuite;
  const suite = (name: string): Suite => suites.find((s) => s.name === name)!;
  const find = (s: string, name: string): TestCase => suite(s).testcase.find((t) => t.name === name)!;

  it("the sample is a valid results.json", () => {
    const validate = resultsValidator();
    expect(validate(results), JSON.stringify(validate.errors)).toBe(true);
  });

  it("one suite per adapter variant, one testcase per record, with names and classnames by area and level", () => {
    expect(suites.map((s) => s.name)).toEqual(["qemu.pc-tcg", "qemu.microvm-tcg", "reference.v1", "reference.v0"]);
    for (const s of suites) expect(s.testcase).toHaveLength(5 * CASES);
    expect(Number(doc.testsuites.tests)).toBe(results.records.length);
    const tc = find("qemu.pc-tcg", "pvh.cpu.tr [must] c00001b5a");
    expect(tc.classname).toBe("qemu.pc-tcg.cpu");
    expect(find("qemu.pc-tcg", "pvh.interop.boot-data-reserved [interop] c00001b58").classname).toBe("qemu.pc-tcg.interop");
    expect(find("reference.v1", "pvh.note.in-pt-note [should] c00001b58").classname).toBe("reference.v1.note");
    expect(suite("qemu.pc-tcg").properties.property).toContainEqual({ name: "adapter.version", value: results.run.adapters[0]!.version });
  });

  it("counts on every suite add up, and time attributes are present", () => {
    const expected: Record<string, [tests: number, failures: number, errors: number, skipped: number]> = {
      // 10 expected FAIL tr + 7 expected FAIL boot-data + 10 n/a zero-fill skipped; 3 unexpected PASS + 2 FAIL fail
      "qemu.pc-tcg": [50, 5, 0, 27],
      // cases 4 (CRASH) and 7 (TIMEOUT) on 4 judged requirements are errors; zero-fill n/a, including in those cases
      "qemu.microvm-tcg": [50, 0, 8, 10],
      "reference.v1": [50, 0, 1, 12],
      "reference.v0": [50, 0, 0, 50],
    };
    for (const s of suites) {
      expect([s.tests, s.failures, s.errors, s.skipped].map(Number), s.name).toEqual(expected[s.name]);
      const counted = [s.testcase.length, s.testcase.filter((t) => t.failure).length, s.testcase.filter((t) => t.error).length, s.testcase.filter((t) => t.skipped).length];
      expect(counted, s.name).toEqual(expected[s.name]);
      expect(s.time).toBe("0");
      expect(s.timestamp).toBe("2026-11-21T10:00:00");
      for (const t of s.testcase) expect(t.time).toBe("0");
    }
    const sum = (k: "failures" | "errors" | "skipped"): number => suites.reduce((n, s) => n + Number(s[k]), 0);
    expect([doc.testsuites.failures, doc.testsuites.errors, doc.testsuites.skipped].map(Number)).toEqual([sum("failures"), sum("errors"), sum("skipped")]);
    expect(doc.testsuites.time).toBe("125.500");
  });

  it("an expected deviation is skipped, not failed; unexpected ones fail or error", () => {
    const tr = find("qemu.pc-tcg", "pvh.cpu.tr [must] c00001b58");
    expect(tr.failure).toBeUndefined();
    expect(tr.skipped?.message).toBe("expected deviation: FAIL tr-not-tss: TR is limit 0xffff");
    const upass = find("qemu.pc-tcg", "pvh.interop.boot-data-reserved [interop] c00001b58");
    expect(upass.failure).toMatchObject({ type: "unexpected-pass" });
    expect(upass.failure?.message).toContain("demand FAIL");
    const crash = find("qemu.microvm-tcg", "pvh.cpu.tr [must] c00001b5c");
    expect(crash.error).toMatchObject({ type: "CRASH", message: "QEMU exited before the entry was reached" });
    expect(crash.error?.["#text"]).toContain("replay:   pvh-conformance run --adapter qemu --variant microvm-tcg --seed 7 --case 4");
    expect(find("qemu.microvm-tcg", "pvh.cpu.tr [must] c00001b5f").error).toMatchObject({ type: "TIMEOUT" });
    expect(find("reference.v1", "pvh.cpu.tr [must] c00001b61").error).toMatchObject({ type: "ERROR" });
    expect(find("reference.v1", "pvh.note.in-pt-note [should] c00001b58").skipped?.message).toBe("skipped: the adapter cannot see sections");
    expect(find("reference.v0", "pvh.cpu.tr [must] c00001b58").skipped?.message).toBe("not applicable: no segment has memsz > filesz");
  });

  it("without expectations every bad record is a failure or an error", () => {
    const plain = buildResults({
      requirements: ["pvh.cpu.tr", "pvh.cpu.cr0"],
      columns: [{ adapter: "qemu", variant: "q35-tcg" }],
      cases: 4,
      record: (req, _c, i) => (req === "pvh.cpu.tr" && i > 0 ? { status: "FAIL", code: "tr-not-tss", message: "TR is limit 0xffff", evidence: { expected: "TSS", seen: "limit 0xffff" } } : undefined),
    });
    const s = parse(junitXml(plain)).testsuites.testsuite[0]!;
    expect([s.tests, s.failures, s.errors, s.skipped].map(Number)).toEqual([8, 3, 0, 0]);
    const f = s.testcase.find((t) => t.failure)!;
    expect(f.failure).toMatchObject({ type: "tr-not-tss", message: "TR is limit 0xffff" });
    expect(f.failure?.["#text"]).toMatch(/expected: TSS\nseen: {5}limit 0xffff\n/);
    expect(f.failure?.["#text"]).toContain("vmm:      /usr/bin/qemu-system-x86_64 -machine q35 -kernel '/tmp/k 1.elf' -append 'console=ttyS0 '\\''x'\\'''");
  });

  it("hostile messages are escaped: the file stays well-formed and the text survives", () => {
    const f = find("qemu.pc-tcg", "pvh.start-info.magic [must] c00001b5a").failure!;
    // Characters XML 1.0 forbids are spelled out; everything else comes back as it was.
    const readable = HOSTILE.replace(/[\x00-\x08\x0B\x0C\x1F]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`).replace("\uFFFE", "\\uFFFE").replace("\uD800", "\\uD800");
    expect(f.message).toBe(readable);
    expect(f.type).toBe("magic-mismatch");
    expect(f["#text"]).toContain(`seen:     ${readable}\n`);
    expect(f["#text"]).toContain("detail:   ]]><x/>\n");
    expect(xml).not.toMatch(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/);
    // Hostile case ids, codes and multi-line messages too.
    const evil = buildResults({
      requirements: ["pvh.cpu.tr"],
      columns: [{ adapter: "a\"<&", variant: "v'>\n" }],
      cases: 1,
      record: () => ({ status: "ERROR", code: `x"y<z>&\x01`, message: "line one\nline two\r\n\tthree ]]>" }),
      caseRecord: () => ({ caseId: `c"<&>\x02`, summary: "\x00]]>" }),
    });
    const s = parse(junitXml(evil)).testsuites.testsuite[0]!;
    expect(s.name).toBe("a\"<&.v'>\n");
    expect(s.testcase[0]!.name).toBe(`pvh.cpu.tr [must] c"<&>\\x02`);
    expect(s.testcase[0]!.error).toMatchObject({ type: "ERROR", message: "line one …" });
    expect(s.testcase[0]!.error?.["#text"]).toContain("line two\r\n\tthree ]]>");
    expect(s.testcase[0]!.error?.["#text"]).toContain("\\x00]]>");
  });

  it("writeJunit writes the same document", () => {
    const file = join(dir, "deep", "junit.xml");
    writeJunit(file, results);
    expect(readFileSync(file, "utf8")).toBe(xml);
  });

  it("a 70,000-record run stays well-formed", () => {
    const requirements = Object.keys(sampleResults().run.requirements);
    const big = buildResults({
      requirements: [...requirements, "pvh.cpu.cr0", "pvh.cpu.cr4", "pvh.cpu.cs", "pvh.cpu.ds", "pvh.cpu.es"],
      columns: [{ adapter: "qemu", variant: "pc-tcg" }, { adapter: "qemu", variant: "q35-tcg" }, { adapter: "qemu", variant: "microvm-tcg" }],
      cases: 2334,
      expectations: true,
      record: (req, _c, i) => (i % 7 === 0 ? { status: "FAIL", code: "f", message: `bad <${req}> & ${i}`, evidence: { expected: "x", seen: "y" }, expected: i % 2 ? "FAIL" : "PASS" } : undefined),
    });
    expect(big.records.length).toBeGreaterThan(70_000);
    const out = junitXml(big);
    wellFormed(out);
    const fails = big.records.filter((r) => r.status === "FAIL" && r.expected === "PASS").length;
    expect(out.match(/<testsuites [^>]*failures="(\d+)"/)?.[1]).toBe(String(fails));
  });
});
