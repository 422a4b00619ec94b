import { describe, expect, it } from "vitest";
import { generateCase } from "../../generators/generateCase.js";
import { judge } from "../../src/checks/judge.js";
import type { BootCase } from "../../src/model/BootCase.js";
import { GIB, MIB, type Capabilities } from "../../src/model/Capabilities.js";
import type { Observation } from "../../src/model/Observation.js";
import { mutants } from "../../src/reference/mutants.js";
import { referenceLoad, type ReferenceOptions } from "../../src/reference/referenceLoad.js";
import { judgeProbe } from "../../probe/judgeProbe.js";
import { parseProbeReport } from "../../probe/parseProbeReport.js";
import { probeObservation } from "../../probe/probeObservation.js";
import { emulateProbe, frame } from "./_emulateProbe.js";

const caps: Capabilities = { elfClasses: [32, 64], memory: { min: 32 * MIB, max: 6 * GIB }, maxModules: 8, moduleCmdlines: true, maxCmdline: 65536, relocation: true, malformed: false };
const SEED = 0x70726f62;
const cases: BootCase[] = Array.from({ length: 60 }, (_, i) => generateCase(caps, SEED, i));

function probeVerdicts(c: BootCase, obs: Observation) {
  const report = parseProbeReport(emulateProbe(c, obs).join("\n"));
  const probe = probeObservation(report, { adapter: obs.adapter, variant: obs.variant, ...(obs.ram ? { ram: obs.ram } : {}), ...(obs.writable ? { writable: obs.writable } : {}) });
  return { probe, verdicts: judgeProbe(c, probe) };
}

/** Verdicts the probe's view gives that differ from the full observation's, other than what it says it cannot see. */
function disagreements(c: BootCase, obs: Observation): string[] {
  const { probe, verdicts } = probeVerdicts(c, obs);
  const full = new Map(judge(c, obs).map((v) => [v.requirement, v]));
  const out: string[] = [];
  for (const v of verdicts) {
    const want = full.get(v.requirement)!;
    if (probe.unseen.has(v.requirement) && v.status !== "SKIP") out.push(`${v.requirement}: unseen but ${v.status}`);
    if (v.code === "cannot-observe") continue;
    if (v.status !== want.status || v.code !== want.code) out.push(`${v.requirement}: probe ${v.status} ${v.code} (${v.message.slice(0, 120)}), full ${want.status} ${want.code} (${want.message.slice(0, 120)})`);
  }
  return out;
}

describe("probeObservation: the checks judge the probe's report as they judge the whole guest", () => {
  it.each(["v1", "v1-reloc", "v0"])("reference loader %s: the same verdicts on 60 generated cases", (variant) => {
    const opts: ReferenceOptions = variant === "v0" ? { startInfoVersion: 0 } : variant === "v1-reloc" ? { alwaysRelocate: true } : {};
    for (const c of cases) {
      const obs = { ...referenceLoad(c, opts), variant };
      expect(disagreements(c, obs), c.id).toEqual([]);
    }
  });

  it("every mutant of the reference loader is caught the same way through the probe's report", () => {
    const seen = new Map<string, number>();
    const hidden = new Set<string>();
    for (const m of mutants) {
      const mine = cases.filter((c) => (m.applies ? m.applies(c) : true)).slice(0, 4);
      for (const c of mine) {
        const obs = referenceLoad(c, { ...m.options, faults: m.faults });
        if (obs.outcome !== "entered") continue;
        expect(disagreements(c, obs), `${m.id} on ${c.id}`).toEqual([]);
        seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
        const v = probeVerdicts(c, obs).verdicts.find((x) => x.requirement === m.breaks);
        if (v?.status !== "FAIL") hidden.add(m.id);
      }
    }
    expect(seen.size).toBeGreaterThan(mutants.length - 3);
    // The probe itself catches every fault but one: a memory map put at 4 GiB is out of a 32-bit guest's reach.
    expect([...hidden]).toEqual(["memmap-above-1g"]);
  });

  it("says what it cannot see: TR with a null selector, RAM it was not told, modules beyond its reach", () => {
    const c = cases.find((x) => x.modules.length > 0)!;
    const obs = referenceLoad(c);
    const lines = emulateProbe(c, { ...obs, cpu: { ...obs.cpu!, segments: { ...obs.cpu!.segments, tr: { ...obs.cpu!.segments.tr, selector: 0 } } } });
    const i = lines.findIndex((l) => / MOD 0000 /.test(l));
    const [, seq, , , addr, size] = lines[i]!.split(" ");
    lines[i] = frame(Number(seq), `MOD 0000 ${addr} ${size} 1 00000000`);
    const p = probeObservation(parseProbeReport(lines.join("\n")), { adapter: "reference", variant: "v1" });
    expect([...p.unseen.keys()].sort()).toEqual(["pvh.cpu.tr", "pvh.interop.start-info-writable", "pvh.memmap.ram", "pvh.module.content"]);
    const v = new Map(judgeProbe(c, p).map((x) => [x.requirement, x]));
    expect(v.get("pvh.cpu.tr")).toMatchObject({ status: "SKIP", code: "cannot-observe" });
    expect(v.get("pvh.cpu.tr")!.message).toContain("hidden descriptor cache");
    expect(v.get("pvh.cpu.cs")?.status).toBe("PASS");
  });
});
