import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { liveChildren } from "../../adapters/_internals/children.js";
import { qemuAdapter } from "../../adapters/qemu/qemuAdapter.js";
import { VmmDescriptor } from "../../adapters/vmm/VmmDescriptor.js";
import { commandFor, vmmAdapter } from "../../adapters/vmm/vmmAdapter.js";
import { exampleCase } from "../../generators/exampleCase.js";
import { generateCase } from "../../generators/generateCase.js";
import { judge } from "../../src/checks/judge.js";
import { main } from "../../src/cli/main.js";
import { packageRoot } from "../../src/_internals/packageRoot.js";
import type { Results } from "../../src/results/Results.js";
import { skipUnlessTool } from "../_support/requireTool.js";

const root = packageRoot();
const descriptor = (name: string): string => join(root, "descriptors", `${name}.json`);
const scratch = mkdtempSync(join(tmpdir(), "pvh-vmmtest-"));
afterAll(() => {
  vmmAdapter.configure!({ vmm: "", vmmBinary: "", bootTimeoutMs: 0 });
  rmSync(scratch, { recursive: true, force: true });
});
afterEach(() => {
  expect(liveChildren()).toBe(0);
  expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`pvh-vmm-${process.pid}-`))).toEqual([]);
});

/** A variant of the QEMU descriptor, changed as a test needs. */
function qemuDescriptor(change: (d: Record<string, unknown>) => void): string {
  const d = JSON.parse(readFileSync(descriptor("qemu-probe"), "utf8")) as Record<string, unknown>;
  change(d);
  const f = join(scratch, `d${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(d));
  return f;
}

describe("VMM descriptors", () => {
  it("every shipped descriptor is valid, by zod and by the published JSON Schema", () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(join(root, "spec/schema/vmm-descriptor.schema.json"), "utf8")) as object);
    const files = readdirSync(join(root, "descriptors")).filter((f) => f.endsWith(".json"));
    expect(files.sort()).toEqual(["cloud-hypervisor.json", "firecracker.json", "qemu-probe.json"]);
    for (const f of files) {
      const data = JSON.parse(readFileSync(join(root, "descriptors", f), "utf8")) as unknown;
      expect(VmmDescriptor.safeParse(data).success, f).toBe(true);
      expect(validate(data), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it("fills the command template: a guarded argument only when the case has its value", () => {
    const d = VmmDescriptor.parse(JSON.parse(readFileSync(descriptor("cloud-hypervisor"), "utf8")));
    const v = { kernel: "/s/kernel.elf", initrd: undefined, cmdline: null, memoryMiB: 96, scratch: "/s", binary: "/b/chv" };
    expect(commandFor(d, "default", v)).toEqual(["/b/chv", "--kernel", "/s/kernel.elf", "--memory", "size=96M", "--cpus", "boot=1", "--serial", "tty", "--console", "off"]);
    expect(commandFor(d, "default", { ...v, cmdline: "a b", initrd: "/s/module0.bin" })).toContain("--initramfs");
  });

  it("says why a descriptor cannot run: a missing binary (and that it was never run here), a broken file", async () => {
    vmmAdapter.configure!({ vmm: descriptor("cloud-hypervisor") });
    const av = await vmmAdapter.available();
    expect(av.ok).toBe(false);
    expect(!av.ok && av.reason).toMatch(/cloud-hypervisor is not on PATH.*has not been run here/);
    const bad = join(scratch, "bad.json");
    writeFileSync(bad, JSON.stringify({ format: "pvh-conformance/vmm@1", name: "x" }));
    vmmAdapter.configure!({ vmm: bad });
    const av2 = await vmmAdapter.available();
    expect(!av2.ok && av2.reason).toMatch(/is not a VMM descriptor.*description/);
  });
});

const skip = skipUnlessTool("qemu-system-x86_64", ["--version"], "apt-get install qemu-system-x86");

describe.skipIf(skip !== undefined)("QEMU driven through a descriptor alone", () => {
  beforeAll(() => vmmAdapter.configure!({ vmm: descriptor("qemu-probe"), vmmBinary: "" }));

  it("agrees with the QEMU adapter (gdb stub and QMP) on every requirement the probe can see", async () => {
    expect((await vmmAdapter.available()).ok).toBe(true);
    const caps = vmmAdapter.capabilities("pc");
    let compared = 0;
    for (let i = 0; compared < 6 && i < 40; i++) {
      const c = generateCase(caps, 77, i);
      if (c.kernel.malformed) continue;
      const viaDescriptor = await vmmAdapter.boot(c, "pc");
      const viaGdb = await qemuAdapter.boot(c, "pc-tcg");
      expect(viaDescriptor.outcome, `${c.id}: ${viaDescriptor.message}`).toBe(viaGdb.outcome);
      if (viaGdb.outcome !== "entered") continue;
      compared++;
      const full = new Map(judge(c, viaGdb).map((v) => [v.requirement, `${v.status} ${v.code}`]));
      const seen = judge(c, viaDescriptor).filter((v) => v.code !== "cannot-observe");
      expect(seen.length).toBeGreaterThan(30);
      expect(seen.filter((v) => full.get(v.requirement) !== `${v.status} ${v.code}`).map((v) => `${c.id} ${v.requirement}: descriptor ${v.status} ${v.code}, QEMU adapter ${full.get(v.requirement)}`)).toEqual([]);
    }
    expect(compared).toBe(6);
  }, 600_000);

  it("a refusal is REJECTED with QEMU's words", async () => {
    // QEMU refuses an ELF without the entry note ("Error loading uncompressed kernel without PVH ELF Note").
    const c = exampleCase("no-note", { malformed: "no-entry-note" });
    const o = await vmmAdapter.boot(c, "pc");
    expect(o.outcome).toBe("rejected");
    expect(o.message).toMatch(/qemu-system-x86_64: /);
  }, 60_000);

  it("a VMM that keeps running after the probe's last line is stopped by the adapter", async () => {
    // Without isa-debug-exit the probe's halt loop runs for ever.
    vmmAdapter.configure!({ vmm: qemuDescriptor((d) => void (d["command"] = (d["command"] as unknown[]).filter((a) => a !== "-device" && a !== "isa-debug-exit,iobase=0xf4,iosize=4"))) });
    try {
      const t0 = Date.now();
      const o = await vmmAdapter.boot(exampleCase("plain", { plan: { entryCode: "probe" } }), "pc");
      expect(o.outcome, o.message).toBe("entered");
      expect(Date.now() - t0).toBeLessThan(25_000);
    } finally {
      vmmAdapter.configure!({ vmm: descriptor("qemu-probe") });
    }
  }, 60_000);

  it("a guest that never reports is a TIMEOUT at the descriptor's deadline, with nothing left running", async () => {
    vmmAdapter.configure!({ vmm: qemuDescriptor((d) => void (d["deadlines"] = { bootSeconds: 3, malformedGraceSeconds: 2 })) });
    try {
      // A kernel that only halts at its entry: it never writes a report.
      const o = await vmmAdapter.boot(exampleCase("silent"), "pc");
      expect(o.outcome).toBe("timeout");
      expect(o.message).toMatch(/no complete probe report in 3 s/);
    } finally {
      vmmAdapter.configure!({ vmm: descriptor("qemu-probe") });
    }
  }, 60_000);

  it("run --vmm: the replay command and the reproducer name the descriptor", async () => {
    const out = join(scratch, "run");
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    expect(await main(["run", "--vmm", descriptor("qemu-probe"), "--adapter", "vmm", "--variant", "pc", "--cases", "2", "--skip-examples", "--seed", "2", "--out", out, "-q", "--skip-allure", "--shrink", "0"], io)).toBe(1);
    const r = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Results;
    expect(r.run.adapters[0]!.version).toMatch(/^qemu-probe: QEMU emulator version/);
    expect(r.cases[0]!.replayCommand).toContain(`--vmm ${descriptor("qemu-probe")}`);
    const id = readdirSync(join(out, "repro"))[0]!;
    const sh = readFileSync(join(out, "repro", id, "run.sh"), "utf8");
    expect(sh).toContain(`-debugcon file:"$HERE"/debugcon.log`);
    expect(sh).not.toMatch(/pvh-vmm-\d+-/);
  }, 120_000);
});
