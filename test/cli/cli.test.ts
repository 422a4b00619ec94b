import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { exampleCase } from "../../generators/exampleCase.js";
import { packageRoot } from "../../src/_internals/packageRoot.js";
import { cli } from "../_support/cli.js";
import { resultsValidator } from "../../src/results/writeResults.js";
import { inCI } from "../_support/requireTool.js";

const dir = mkdtempSync(join(tmpdir(), "pvh-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = join(dir, "good.elf");
const bad = join(dir, "bad.elf");
writeFileSync(good, exampleCase("good").kernelImage);
writeFileSync(bad, exampleCase("bad", { malformed: "no-entry-note" }).kernelImage);

describe("pvh-conformance check-image", () => {
  it("exit 0 and a human report for a valid image", async () => {
    const r = await cli("check-image", good);
    expect(r.code).toBe(0);
    expect(r.out).toContain("VALID");
    expect(r.out).toContain("PHYS32_ENTRY (18)");
  });

  it("exit 1 when any image is invalid; --json matches the published schema", async () => {
    const r = await cli("check-image", "--json", good, bad);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out) as { file: string; verdict: string; entry: number | null; findings: { requirement: string; severity: string }[] }[];
    const schema = JSON.parse(readFileSync(join(packageRoot(), "spec", "schema", "check-image.schema.json"), "utf8")) as object;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.map((x) => [x.verdict, x.entry === null])).toEqual([["valid", false], ["invalid", true]]);
    expect(json[1]!.findings[0]).toMatchObject({ requirement: "pvh.note.entry.present", severity: "error" });
  });

  it("exit 2 with a message for a missing file, no file, or a bad option", async () => {
    const missing = await cli("check-image", join(dir, "nope"));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot open .*nope/);
    expect((await cli("check-image")).code).toBe(2);
    const opt = await cli("check-image", "--frobnicate", good);
    expect(opt.code).toBe(2);
    expect(opt.err).toContain("--help");
    expect((await cli("check-image", "--max-decompressed", "-5", good)).code).toBe(2);
    expect((await cli("check-image", dir)).code).toBe(2);
  });

  it("--help and unknown commands", async () => {
    expect((await cli("check-image", "--help")).out).toContain("exit status");
    expect((await cli("--help")).out).toContain("check-image");
    expect((await cli("frobnicate")).code).toBe(2);
    expect((await cli("--version")).out).toMatch(/^pvh-conformance \d+\.\d+\.\d+/);
  });
});

describe("pvh-conformance run", () => {
  it("runs the reference loader, prints a summary per requirement, writes results.json valid against its schema", async () => {
    const out = join(dir, "run");
    const r = await cli("run", "--adapter", "reference", "--cases", "40", "--seed", "3", "--out", out, "--quiet");
    // The reports beside results.json are views of it.
    for (const f of ["junit.xml", "matrix.html"]) expect(readFileSync(join(out, f), "utf8").length).toBeGreaterThan(100);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("pvh.cpu.tr");
    expect(r.err).toContain("seed 3");
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { records: { requirement: string; adapter: string; variant: string; caseId: string; status: string; message: string }[]; cases: unknown[] };
    expect(resultsValidator()(results)).toBe(true);
    // 40 generated cases, then the boundary examples.
    expect(results.cases.filter((c) => !(c as { replay: { example?: string } }).replay.example)).toHaveLength(40);
    expect(results.cases.length).toBeGreaterThan(60);
    expect(results.records[0]).toMatchObject({ adapter: "reference", variant: "v1" });
    for (const k of ["requirement", "adapter", "variant", "caseId", "status", "message"]) expect(results.records[0]).toHaveProperty(k);
  });

  it("exits 1 and names a replay command when a variant fails (v0 fails the interop need for a memory map)", async () => {
    const r = await cli("run", "--adapter", "reference", "--variant", "v0", "--cases", "5", "--seed", "4", "--skip-examples", "--out", join(dir, "v0"), "--quiet");
    expect(r.code).toBe(1);
    expect(r.out).toContain("FAIL pvh.interop.version-1");
    expect(r.out).toMatch(/replay: pvh-conformance run --adapter reference --variant v0 --seed 4 --case \d+/);
  });

  it("replays one case by index with the same verdicts", async () => {
    const a = join(dir, "all");
    const one = join(dir, "one");
    await cli("run", "--adapter", "reference", "--cases", "10", "--seed", "9", "--skip-examples", "--out", a, "-q");
    await cli("run", "--adapter", "reference", "--seed", "9", "--case", "7", "--out", one, "-q");
    const all = JSON.parse(readFileSync(join(a, "results.json"), "utf8")) as { records: { caseId: string; requirement: string; status: string }[]; cases: { caseId: string; replay: { index: number } }[] };
    const single = JSON.parse(readFileSync(join(one, "results.json"), "utf8")) as typeof all;
    const id = all.cases.find((c) => c.replay.index === 7)!.caseId;
    expect(single.cases.map((c) => c.caseId)).toEqual([id]);
    expect(single.records.map((r) => [r.requirement, r.status])).toEqual(all.records.filter((r) => r.caseId === id).map((r) => [r.requirement, r.status]));
  });

  it("an --out that cannot take the reports is a usage error before anything boots", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    for (const out of [file, join(file, "sub"), "/proc/pvh-x/y", "/sys/pvh-x"]) {
      const r = await cli("run", "--adapter", "reference", "--cases", "3", "--skip-examples", "--out", out);
      expect(r.code, out).toBe(2);
      expect(r.err, out).toMatch(/--out .*(is not a folder|procfs|sysfs)/);
      expect(r.out, out).not.toContain("records");
    }
  });

  it("refuses arguments that would run nothing or name nothing", async () => {
    const bad: string[][] = [
      ["run", "--case", "example:nope"],
      ["run", "--case", ""],
      ["run", "--cases", ""],
      ["run", "--seed", ""],
      ["run", "--cases", "1000000"],
      ["run", "--kernel", good, "--memory", "0"],
      ["requirements", "--level", "MUST"],
      ["requirements", "--side", "guest"],
    ];
    for (const args of bad) {
      // Only run takes --out: another command must be refused for its own argument.
      const r = await cli(...args, ...(args[0] === "run" ? ["--out", join(dir, "refused")] : []));
      expect(r.code, args.join(" ")).toBe(2);
    }
    expect((await cli("run", "--case", "example:nope", "--out", join(dir, "refused"))).err).toContain('no boundary example named "nope"');
    expect(existsSync(join(dir, "refused"))).toBe(false);
  });

  it("--kernel with an image that is not valid PVH says the loaders are judged on refusing it", async () => {
    const r = await cli("run", "--adapter", "reference", "--kernel", bad, "--skip-allure", "-q", "--out", join(dir, "bad-kernel"));
    expect(r.err).toContain(`note: ${bad} is not a valid PVH image (pvh.note.entry.present`);
    expect(r.err).toContain("the loaders are judged on refusing it");
    const ok = await cli("run", "--adapter", "reference", "--kernel", good, "--skip-allure", "-q", "--out", join(dir, "good-kernel"));
    expect(ok.err).not.toContain("not a valid PVH image");
  });

  it("a file that is not a results.json is named with what is wrong, in words", async () => {
    const d = join(dir, "not-results");
    mkdirSync(d);
    writeFileSync(join(d, "results.json"), "{}");
    const r = await cli("merge", "--out", join(dir, "not-merged"), d);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${join(d, "results.json")} is not a results.json (spec/schema/results.schema.json): (top level) must have required property 'format'`);
  });

  it("usage errors exit 2", async () => {
    expect((await cli("run", "--adapter", "nosuch")).code).toBe(2);
    expect((await cli("run", "--cases", "many")).code).toBe(2);
    expect((await cli("run", "--adapter", "reference", "--variant", "v9")).code).toBe(2);
    const list = await cli("run", "--list");
    expect(list.out).toContain("reference: ");
  });
});

describe("the installed command", () => {
  const bin = join(packageRoot(), "bin", "pvh-conformance.js");
  const built = existsSync(join(packageRoot(), "dist", "src", "cli", "main.js"));
  if (!built && inCI) throw new Error("CI: dist/ is missing; npm ci must build it (prepare script)");
  it.skipIf(!built)("bin/pvh-conformance.js runs the built CLI", () => {
    const help = execFileSync("node", [bin, "--help"], { encoding: "utf8" });
    expect(help).toContain("usage: pvh-conformance");
    const r = spawnSync("node", [bin, "check-image", good], { encoding: "utf8" });
    expect(r.status).toBe(0);
  });
  it.skipIf(!built)("a reader that stops early (| head) ends the command quietly, without an EPIPE trace", () => {
    // `true` exits without reading: every write of the command meets a closed pipe.
    const r = spawnSync("sh", ["-c", `node ${bin} requirements --json | true; node ${bin} requirements | head -1`], { encoding: "utf8" });
    expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(1);
    expect(r.stderr).not.toContain("EPIPE");
  });
});

describe("stopping the command", () => {
  const bin = join(packageRoot(), "bin", "pvh-conformance.js");
  const built = existsSync(join(packageRoot(), "dist", "src", "cli", "main.js"));
  it.skipIf(!built)("SIGTERM stops an in-process reference run at once, not after its last case", async () => {
    const out = mkdtempSync(join(tmpdir(), "pvh-sig-"));
    onTestFinished(() => rmSync(out, { recursive: true, force: true }));
    const child = spawn("node", [bin, "run", "--adapter", "reference", "--cases", "50000", "--seed", "3", "--skip-allure", "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
    // Should the signal not stop it, it must not outlive the test (nor write into a removed folder).
    onTestFinished(() => void child.kill("SIGKILL"));
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const gone = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    // Progress lines mean cases are being judged.
    while (!/\d+\/\d+/.test(stderr) && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGTERM");
    expect(await gone).toBe(143);
    // Stopped mid-run: had the signal waited for the run's end, results.json would be there.
    expect(existsSync(join(out, "results.json"))).toBe(false);
  }, 120_000);

  const qemu = spawnSync("qemu-system-x86_64", ["--version"]).status === 0;
  if (inCI && !qemu) throw new Error("CI: qemu-system-x86_64 is missing; .ci/run must install it");
  it.skipIf(!built || !qemu)("SIGTERM in the middle of QEMU boots leaves no QEMU process and no temporary folder", async () => {
    const out = mkdtempSync(join(tmpdir(), "pvh-sig-"));
    onTestFinished(() => rmSync(out, { recursive: true, force: true }));
    const child = spawn("node", [bin, "run", "--adapter", "qemu", "--machine", "pc", "--cases", "200", "--seed", "3", "-q", "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
    // SIGINT, not SIGKILL: should SIGTERM have failed, its exit hooks still stop the VMMs.
    onTestFinished(() => void child.kill("SIGINT"));
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const prefix = `pvh-qemu-${child.pid}-`;
    // Wait for a boot in flight: its temporary folder exists.
    const t0 = Date.now();
    while (!readdirSync(tmpdir()).some((f) => f.startsWith(prefix)) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(tmpdir()).some((f) => f.startsWith(prefix))).toBe(true);
    const gone = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await gone).toBe(143);
    expect(stderr).toContain("SIGTERM: stopping the VMMs still running");
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith(prefix))).toEqual([]);
    // No QEMU left whose files were in one of those folders.
    const ps = spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout;
    expect(ps.split("\n").filter((l) => l.includes(prefix))).toEqual([]);
  }, 120_000);
});
