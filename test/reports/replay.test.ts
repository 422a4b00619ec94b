import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GdbClient } from "../../adapters/qemu/GdbClient.js";
import { parseInfoRegisters } from "../../adapters/qemu/parseInfoRegisters.js";
import { QmpClient } from "../../adapters/qemu/QmpClient.js";
import { xenAdapter } from "../../adapters/xen/xenAdapter.js";
import { exampleCase } from "../../generators/exampleCase.js";
import { parseProbeReport } from "../../probe/parseProbeReport.js";
import type { Results } from "../../src/results/Results.js";
import { inCI, skipUnlessTool } from "../_support/requireTool.js";

// Every replay command and reproducer a report prints must run its own case again.
// These run them: the replay commands through the built CLI, the VMM reproducers as
// the shell scripts they are.
const root = mkdtempSync(join(tmpdir(), "pvh-replay-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const bin = join(import.meta.dirname, "../../bin/pvh-conformance.js");

function cli(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 600_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
/** A printed replay command, run through the built CLI with its own --out. */
function replay(command: string, out: string): Results {
  expect(command.startsWith("pvh-conformance run ")).toBe(true);
  const r = spawnSync("sh", ["-c", `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} ${command.slice("pvh-conformance ".length)} --out ${JSON.stringify(out)} -q --skip-allure --shrink 0`], { encoding: "utf8", timeout: 600_000 });
  expect(r.status, r.stderr).not.toBe(2);
  return JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Results;
}
const read = (dir: string): Results => JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as Results;
const statuses = (r: Results, caseId: string): string[] => r.records.filter((x) => x.caseId === caseId).map((x) => `${x.requirement}=${x.status}`).sort();

describe("replay commands", () => {
  it("a boundary example replays by name, in results.json, junit.xml and matrix.html alike", () => {
    const first = join(root, "example");
    expect(cli(["run", "--adapter", "reference", "--variant", "v0", "--case", "example:cmdline-4KiB", "--out", first, "-q", "--skip-allure", "--shrink", "0"]).status).toBe(1);
    const r = read(first);
    expect(r.cases).toHaveLength(1);
    const c = r.cases[0]!;
    expect(c.replayCommand).toBe("pvh-conformance run --adapter reference --variant v0 --seed 1 --case example:cmdline-4KiB".replace("--seed 1", `--seed ${r.run.seed}`));
    // Before, the reports printed "--case <index>", which names a generated case.
    expect(readFileSync(join(first, "junit.xml"), "utf8")).toContain(c.replayCommand!);
    expect(readFileSync(join(first, "matrix.html"), "utf8")).toContain(c.replayCommand!);
    const again = replay(c.replayCommand!, join(root, "example-again"));
    expect(again.cases.map((x) => x.caseId)).toEqual([c.caseId]);
    expect(statuses(again, c.caseId)).toEqual(statuses(r, c.caseId));
  });

  it("a --kernel case replays with its own command line, initrd and memory", () => {
    const k = exampleCase("user", { cmdline: null });
    const kernel = join(root, "my kernel.elf");
    const initrd = join(root, "initrd.img");
    writeFileSync(kernel, k.kernelImage);
    writeFileSync(initrd, Buffer.alloc(5000, 7));
    const first = join(root, "kernel");
    expect(cli(["run", "--adapter", "reference", "--variant", "v0", "--kernel", kernel, "--append", "console=hvc0 it's", "--initrd", initrd, "--memory", "96", "--out", first, "-q", "--skip-allure", "--shrink", "0"]).status).toBe(1);
    const r = read(first);
    const c = r.cases[0]!;
    expect(c.replayCommand).toContain("--append 'console=hvc0 it'\\''s'");
    expect(c.replayCommand).toContain(`--initrd ${initrd}`);
    expect(c.replayCommand).toContain("--memory 96");
    expect(readFileSync(join(first, "junit.xml"), "utf8")).toContain("--memory 96");
    const again = replay(c.replayCommand!, join(root, "kernel-again"));
    expect(again.cases.map((x) => [x.caseId, x.summary])).toEqual([[c.caseId, c.summary]]);
    expect(statuses(again, c.caseId)).toEqual(statuses(r, c.caseId));
  });
});

const qemuSkip = skipUnlessTool("qemu-system-x86_64", ["--version"], "apt-get install qemu-system-x86");

/** Runs a reproducer's run.sh in its own process group; returns a stop function. */
function startScript(script: string): { stop: () => void; exited: () => boolean; stderr: () => string } {
  const child = spawn("sh", [script], { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  let gone = false;
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  child.once("exit", () => (gone = true));
  return {
    stop: () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    },
    exited: () => gone,
    stderr: () => err,
  };
}

async function waitFor<T>(what: string, ms: number, f: () => T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(qemuSkip !== undefined)("VMM reproducers run their own case", () => {
  it("QEMU: repro/<case>/run.sh starts the same machine, paused, and the gdb stub stops it at the case's entry", async () => {
    const out = join(root, "qemu");
    // TR's limit fails on every QEMU case, so the first case gets a reproducer.
    expect(cli(["run", "--adapter", "qemu", "--variant", "pc-tcg", "--cases", "1", "--skip-examples", "--seed", "3", "--out", out, "-q", "--skip-allure", "--shrink", "0"]).status).toBe(1);
    const id = readdirSync(join(out, "repro"))[0]!;
    const dir = join(out, "repro", id);
    const entry = (JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) as { kernel: { entry: number } }).kernel.entry;
    const run = readFileSync(join(dir, "run.sh"), "utf8");
    expect(run).not.toMatch(/\/tmp\/pvh-qemu-/);
    const p = startScript(join(dir, "run.sh"));
    try {
      await waitFor("gdb.sock", 20_000, () => (existsSync(join(dir, "gdb.sock")) ? true : p.exited() ? (() => { throw new Error(`run.sh ended: ${p.stderr()}`); })() : undefined));
      const gdb = await GdbClient.connect(join(dir, "gdb.sock"), 10_000);
      await gdb.breakpoint(entry, false);
      const stop = await gdb.continueUntilStop(30_000);
      expect(stop.kind).toBe("stopped");
      const qmp = await QmpClient.connect(join(dir, "qmp.sock"), 10_000);
      expect(parseInfoRegisters(await qmp.hmp("info registers")).eip).toBe(entry);
    } finally {
      p.stop();
    }
  }, 120_000);

  it("Xen: repro/<case>/run.sh boots the copied hypervisor and the probe reports the case's entry on Xen's console", async (ctx) => {
    const av = await xenAdapter.available();
    if (!av.ok) {
      if (inCI) throw new Error(`CI: ${av.reason}`);
      return ctx.skip(av.reason);
    }
    const out = join(root, "xen");
    // Xen hands over start_info version 0: pvh.interop.version-1 fails, so the case gets a reproducer.
    expect(cli(["run", "--adapter", "xen", "--cases", "1", "--skip-examples", "--seed", "3", "--out", out, "-q", "--skip-allure", "--shrink", "0"]).status).toBe(1);
    const id = readdirSync(join(out, "repro"))[0]!;
    const dir = join(out, "repro", id);
    const run = readFileSync(join(dir, "run.sh"), "utf8");
    expect(run).not.toMatch(/\/tmp\/pvh-xen-/);
    expect(run).not.toMatch(/\.cache\/pvh-conformance/);
    const p = startScript(join(dir, "run.sh"));
    try {
      const text = await waitFor("the probe's report on Xen's console", 120_000, () => {
        const f = join(dir, "console.log");
        const t = existsSync(f) ? readFileSync(f, "latin1") : "";
        if (t.includes("(d0) PVHP END ")) return t;
        if (p.exited()) throw new Error(`run.sh ended before the probe reported: ${p.stderr()}\n${t.slice(-2000)}`);
        return undefined;
      });
      const lines = text.split("\n").filter((l) => l.startsWith("(d0) ")).map((l) => l.slice(5).replace(/\r$/, ""));
      const report = parseProbeReport(lines);
      const entry = (JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) as { kernel: { entry: number } }).kernel.entry;
      expect(report.eip).toBe(entry);
    } finally {
      p.stop();
    }
  }, 600_000);
});
