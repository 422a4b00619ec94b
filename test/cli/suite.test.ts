import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/_internals/packageRoot.js";
import { readResults } from "../../src/results/readResults.js";
import { qemuReleasesUnderTest } from "../_support/qemuReleases.js";
import { inCI } from "../_support/requireTool.js";

const RELEASES = await qemuReleasesUnderTest();
const both = RELEASES.every((r) => r.skip === undefined);
const built = existsSync(join(packageRoot(), "dist", "adapters", "qemu", "qemuRelease.js"));
if (!built && inCI) throw new Error("CI: dist/ is missing; npm ci must build it (prepare script)");
const dir = mkdtempSync(join(tmpdir(), "pvh-suite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const suite = (...args: string[]) =>
  spawnSync(process.execPath, [join(packageRoot(), "scripts", "suite.mjs"), ...args], { encoding: "utf8", timeout: 600_000 });
const small = ["--cases", "2", "--seed", "1", "--skip-examples", "--skip-allure", "--shrink", "0", "-q"];

describe.skipIf(!built || !both)("npm run suite: each QEMU release in its own run, each gated on its own expectations", () => {
  it("runs the host's 7.2 into DIR and the fetched 10.0 into DIR/qemu-10.0, and exits 0 on Debian's builds", () => {
    const out = join(dir, "both");
    const r = suite(...small, "--machine", "pc", "--out", out);
    expect(r.status, r.stderr.slice(-2000) + r.stdout.slice(-2000)).toBe(0);
    const first = readResults(join(out, "results.json")).run.adapters.find((a) => a.id === "qemu")!;
    const second = readResults(join(out, "qemu-10.0", "results.json")).run.adapters;
    expect(first.version).toMatch(/^QEMU emulator version 7\.2\./);
    expect(second.map((a) => a.id)).toEqual(["qemu"]);
    expect(second[0]!.version).toMatch(/^QEMU emulator version 10\.0\.2 /);
    // Each run was gated, each by a file of its own version: two gate lines, no run without a file.
    expect(r.stdout.match(/^gate: 0 new deviation\(s\), 0 unexpected pass\(es\), \d+ expected deviation\(s\)/gm)).toHaveLength(2);
    expect(r.stdout).not.toContain("no expectations file given is for");
    // Then the two releases side by side, told (not gated): the totals, and the page.
    expect(r.stderr).toMatch(/\nQEMU 7\.2 → 10\.0: \d+ regressed, \d+ fixed, \d+ still failing \(/);
    expect(existsSync(join(out, "compare-qemu", "compare.html"))).toBe(true);
    expect(existsSync(join(out, "compare-qemu", "compare.json"))).toBe(true);
  }, 900_000);

  it("a run that names its loaders is run once", () => {
    const out = join(dir, "once");
    const r = suite(...small, "--adapter", "reference", "--out", out);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(existsSync(join(out, "results.json"))).toBe(true);
    expect(existsSync(join(out, "qemu-10.0"))).toBe(false);
  }, 300_000);
});
