import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../_support/cli.js";
import type { CompareOutput } from "../../src/compare/Compare.js";
import { readResults } from "../../src/results/readResults.js";
import type { Results } from "../../src/results/Results.js";
import { qemuReleasesUnderTest } from "../_support/qemuReleases.js";

// Issue 11: CI runs a small campaign on Debian's QEMU 7.2 (the host's) and 10.0
// (bookworm-backports', fetched), one seed, and compares them with the real binaries.
// What compare says is held against the two results files themselves.

const RELEASES = await qemuReleasesUnderTest();
const skip = RELEASES.find((r) => r.skip !== undefined)?.skip;
const dir = mkdtempSync(join(tmpdir(), "pvh-qemu-compare-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BAD = new Set(["FAIL", "ERROR", "CRASH", "TIMEOUT"]);
/** Requirement ids with a bad record on pc-tcg in one results file. */
const badOn = (r: Results): Set<string> => new Set(r.records.filter((x) => x.variant === "pc-tcg" && BAD.has(x.status)).map((x) => x.requirement));

describe.skipIf(skip !== undefined)("compare on Debian's QEMU 7.2 and 10.0, run here (seed 1, pc, TCG)", () => {
  const runOf = (release: string): string => join(dir, `qemu-${release}`);
  let base: Results;
  let head: Results;
  let doc: CompareOutput;
  let human: { code: number; out: string; err: string };
  beforeAll(async () => {
    // A small campaign: 3 generated cases and every boundary example, on pc with TCG.
    for (const release of ["7.2", "10.0"]) {
      const r = await cli("run", "--adapter", "qemu", "--qemu", release, "--machine", "pc", "--cases", "3", "--seed", "1", "--skip-allure", "--skip-differential", "--shrink", "0", "--quiet", "--out", runOf(release));
      // Exit 1 means deviations (there are known ones); 2 would be a harness or usage error.
      expect(r.code, r.err).toBeLessThan(2);
    }
    base = readResults(join(runOf("7.2"), "results.json"));
    head = readResults(join(runOf("10.0"), "results.json"));
    const j = await cli("compare", "--json", runOf("7.2"), runOf("10.0"), "--out", join(dir, "page"));
    expect(j.code, j.err).toBeLessThan(2);
    doc = JSON.parse(j.out) as CompareOutput;
    human = await cli("compare", runOf("7.2"), runOf("10.0"));
  }, 600_000);

  it("ran the two releases it names, on the same cases", () => {
    expect(base.run.adapters[0]!.version).toMatch(/^QEMU emulator version 7\.2\./);
    expect(head.run.adapters[0]!.version).toMatch(/^QEMU emulator version 10\.0\./);
    expect(doc.inputs.map((i) => i.label)).toEqual([expect.stringMatching(/^qemu 7\.2\./), expect.stringMatching(/^qemu 10\.0\./)]);
    expect(base.cases.map((c) => c.caseId).sort()).toEqual(head.cases.map((c) => c.caseId).sort());
    expect(base.cases.length).toBeGreaterThan(30);
  });

  it("names every requirement whose verdict changed and every one that stayed bad, as the records say", () => {
    const [b, h] = [badOn(base), badOn(head)];
    const cells = new Map(doc.cells.filter((c) => c.variant === "qemu/pc-tcg").map((c) => [c.requirement, c.steps[0]!.change]));
    for (const req of new Set([...b, ...h])) {
      const change = cells.get(req);
      if (b.has(req) && h.has(req)) expect(["still-failing", "regressed"], req).toContain(change);
      else if (h.has(req)) expect(change, req).toBe("regressed");
      else expect(["fixed", "unchecked"], req).toContain(change);
    }
    // And nothing is called bad that the records do not show bad.
    for (const [req, change] of cells) if (change === "still-failing" || change === "regressed") expect(h.has(req), req).toBe(true);
    // The human summary counts the same cells (it lists those that changed alike, such as every
    // requirement of a case QEMU crashed on, in one entry), and exits 1 only on a regression.
    const count = (change: string): number => [...cells.values()].filter((c) => c === change).length;
    expect(human.out).toContain(`\ncompare: ${count("regressed")} regressed, ${count("fixed")} fixed, ${count("still-failing")} still failing\n`);
    if (count("still-failing")) expect(human.out).toContain(`\nstill failing (${count("still-failing")}):\n`);
    expect(human.code).toBe(doc.regressed ? 1 : 0);
  });

  it("TR stays bad on both (limit 0xffff), with the reason, a case and a replay command for each release", () => {
    const tr = doc.cells.find((c) => c.variant === "qemu/pc-tcg" && c.requirement === "pvh.cpu.tr")!;
    expect(tr.steps[0]!.change).toBe("still-failing");
    for (const [i, release] of [[0, "7.2"], [1, "10.0"]] as const) {
      const col = tr.columns[i]!;
      expect(JSON.stringify(col.reasons)).toMatch(/0xffff/);
      const c = col.cases.find((x) => x.status === "FAIL")!;
      expect(c.replay).toContain(`--qemu ${release} `);
      expect(c.message).toMatch(/limit 0xffff/);
    }
    expect(human.out).toMatch(/qemu\/pc-tcg {2}pvh\.cpu\.tr \(must\): \d+\/\d+ bad \(FAIL \d+(, CRASH \d+)?\) → \d+\/\d+ bad/);
  });

  it("writes the page and its document", () => {
    const html = readFileSync(join(dir, "page", "compare.html"), "utf8");
    expect(html).toMatch(/qemu 7\.2\./);
    expect(html).toMatch(/qemu 10\.0\./);
    expect(existsSync(join(dir, "page", "compare.json"))).toBe(true);
  });
});
