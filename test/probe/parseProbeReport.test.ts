import { describe, expect, it } from "vitest";
import { exampleCase } from "../../generators/exampleCase.js";
import { referenceAdapter } from "../../adapters/reference/referenceAdapter.js";
import { bootData } from "../../src/checks/bootData.js";
import { SEGMENT_NAMES } from "../../src/model/CpuState.js";
import { parseProbeReport } from "../../probe/parseProbeReport.js";
import { ProbeReportError, type ProbeProblem } from "../../probe/ProbeReportError.js";
import { emulateProbe, frame } from "./_emulateProbe.js";

const c = exampleCase("parse", {
  plan: { entryCode: "probe", segments: [{ gapPages: 0, filesz: 6000, tail: 3000, flags: "RX" }, { gapPages: 1, filesz: 100, tail: 0, flags: "RW" }], entryFraction: 0.5 },
  cmdline: "console=ttyS0 probe=yes",
  modules: [{ size: 3000, cmdline: "first" }, { size: 0 }, { size: 70000, cmdline: "third module" }],
});
const obs = await referenceAdapter.boot(c, "v1");
const lines = emulateProbe(c, obs);

function problems(text: string | string[]): ProbeProblem[] {
  try {
    parseProbeReport(text);
  } catch (err) {
    if (err instanceof ProbeReportError) return err.problems;
    throw err;
  }
  throw new Error("parsed without a problem");
}

describe("parseProbeReport", () => {
  it("decodes every line of a whole report", () => {
    const r = parseProbeReport(lines.join("\n"));
    const cpu = obs.cpu!;
    expect(r.lines).toBe(lines.length - 1);
    expect(r.eip).toBe(cpu.eip);
    expect(r.registers).toEqual({ eax: cpu.eax, ebx: cpu.ebx, ecx: cpu.ecx, edx: cpu.edx, esi: cpu.esi, edi: cpu.edi, ebp: cpu.ebp, esp: cpu.esp });
    expect([r.eflags, r.cr0, r.cr3, r.cr4, r.efer]).toEqual([cpu.eflags, cpu.cr0, cpu.cr3, cpu.cr4, BigInt(cpu.efer)]);
    expect([r.gdtr, r.idtr]).toEqual([cpu.gdtr, cpu.idtr]);
    for (const n of SEGMENT_NAMES) {
      const { unusable: _, ...want } = cpu.segments[n];
      if (n === "ldtr") expect(r.segments[n].state).toBeNull();
      else expect(r.segments[n].state, n).toEqual(want);
    }
    const b = bootData(obs);
    expect(r.startInfo?.fields).toEqual(b.info);
    expect(r.modlist).toEqual(b.modlist.entries);
    expect(r.memmap).toEqual(b.memmap.entries);
    expect(Buffer.from(r.cmdline!.bytes).toString()).toBe("console=ttyS0 probe=yes");
    expect(r.moduleCmdlines.map((s) => (s ? Buffer.from(s.bytes).toString() : null))).toEqual(["first", null, "third module"]);
    expect(r.modules.map((m) => [m.status, m.size, m.crc32])).toEqual(c.modules.map((m) => ["hashed", m.size, m.crc32]));
    expect(r.loads.map((l) => [l.filesz, l.memsz, l.crc32, l.firstNonZero])).toEqual(c.kernel.segments.map((s) => [s.filesz, s.memsz, s.crc32, null]));
    expect(r.faults).toEqual([]);
  });

  it("finds the report among other output: Xen's prefixes, serial noise, lines of other programs", () => {
    const noisy = lines.flatMap((l, i) => [
      `(XEN) [   1.${i}] (d0) ${l}`,
      i % 7 === 0 ? "(XEN) *** Serial input to DOM0 (type 'CTRL-a' three times to switch input)" : "\u0000\u00ff~garbage",
      i % 11 === 0 ? "PVHP is mentioned here but this is not a frame" : "",
    ]);
    expect(parseProbeReport(noisy.join("\r\n"))).toEqual(parseProbeReport(lines.join("\n")));
  });

  it("takes a line garbled in one log from the other log of the same run", () => {
    const com1 = [...lines];
    com1[5] = com1[5]!.replace(/[0-9a-f](?= \*)/, (d) => (d === "0" ? "1" : "0"));
    const e9 = lines.filter((_, i) => i !== 9);
    expect(parseProbeReport([e9.join("\n"), com1.join("\n")])).toEqual(parseProbeReport(lines.join("\n")));
  });

  it("reports a line whose checksum fails as missing and garbled", () => {
    const bad = [...lines];
    bad[3] = bad[3]!.replace(/ \*[0-9a-f]{8}$/, " *00000000");
    expect(problems(bad.join("\n"))).toEqual([{ kind: "missing", seq: 3 }, { kind: "bad-checksum", seq: 3, text: bad[3] }]);
    const flipped = [...lines];
    flipped[4] = flipped[4]!.replace("EFLAGS", "EFLAGZ");
    expect(problems(flipped.join("\n"))).toContainEqual({ kind: "missing", seq: 4 });
  });

  it("reports noise inside a line as a garbled line", () => {
    const bad = [...lines];
    bad[10] = bad[10]!.slice(0, 20) + "\u0007(XEN) tick" + bad[10]!.slice(20);
    expect(problems(bad.join("\n"))).toEqual([{ kind: "missing", seq: 10 }, { kind: "bad-checksum", seq: 10, text: bad[10] }]);
  });

  it("reports a missing END line as unfinished, with what it had", () => {
    const cut = lines.slice(0, 40).join("\n");
    let err: unknown;
    try {
      parseProbeReport(cut);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProbeReportError);
    const e = err as ProbeReportError;
    expect(e.problems).toEqual([{ kind: "no-end" }]);
    expect(e.unfinished).toBe(true);
    expect(e.lines).toBe(40);
    expect(e.message).toContain("no END line");
  });

  it("reports lines missing before END, and lines past its count", () => {
    const gap = lines.filter((_, i) => i !== 12 && i !== 13);
    expect(problems(gap.join("\n"))).toEqual([{ kind: "missing", seq: 12 }, { kind: "missing", seq: 13 }]);
    const extra = [...lines.slice(0, -1), frame(lines.length - 1, "EIP 00000000"), lines.at(-1)!];
    expect(problems(extra.join("\n"))).toContainEqual({ kind: "bad-line", seq: lines.length - 1, reason: `numbered past the END count ${lines.length - 1}` });
  });

  it("reports a log with no report at all, and two different reports in one log", () => {
    expect(problems("SeaBIOS (version 1.16.2)\nBooting from ROM..\n")).toEqual([{ kind: "no-report" }]);
    const other = [...lines];
    other[1] = frame(1, "EIP 00000001");
    expect(problems([lines.join("\n"), other.join("\n")])).toContainEqual({ kind: "conflict", seq: 1 });
  });

  it("reports an exception outside a guarded phase (FATAL, no END) as unfinished", () => {
    const fatal = [...lines.slice(0, 20), frame(20, "FATAL 0d 00100abc 00000000")];
    expect(problems(fatal.join("\n"))).toEqual([{ kind: "fatal", vector: 13, eip: 0x100abc, errorCode: 0 }, { kind: "no-end" }]);
  });

  it("reads a FAULT line instead of EFER, and refuses a report of another format", () => {
    const i = lines.findIndex((l) => l.includes(" EFER "));
    const faulted = [...lines];
    faulted[i] = frame(i, "FAULT 1 0d 00100123 00000000");
    const r = parseProbeReport(faulted.join("\n"));
    expect(r.efer).toBeNull();
    expect(r.faults).toEqual([{ phase: "EFER", vector: 13, eip: 0x100123, errorCode: 0 }]);
    const v2 = [...lines];
    v2[0] = frame(0, "PROBE 2 000013c0");
    expect(problems(v2.join("\n"))).toEqual([{ kind: "bad-line", seq: 0, reason: "report format 2; this parser reads 1" }]);
  });

  it("decodes a segment from its descriptor when LAR refuses the selector (RPL > DPL), and from LSL's limit", () => {
    const i = lines.findIndex((l) => / DS /.test(l));
    const seg = [...lines];
    // Data, read/write, accessed, DPL 0, present, D/B, G; base 0x12345678; limit 0xfffff pages; RPL 3 refused by LAR.
    seg[i] = frame(i, "DS 0013 6 00000000 ffffffff 5678ffff 12cf9334");
    const ds = parseProbeReport(seg.join("\n")).segments.ds;
    expect(ds.lar).toBeNull();
    expect(ds.state).toEqual({ selector: 0x13, base: 0x12345678, limit: 0xffffffff, type: 3, s: 1, dpl: 0, present: true, db: 1, l: 0, g: 1, avl: 0 });
  });

  // Found reading the parser for its fuzz target, and by the probe campaign once it mutated
  // numbers in text as numbers (test/fuzz-corpus/probe/): a line number or END count far past
  // the lines there are made the parser list every missing line one by one
  // (5,000,000 lines: 18 s and 445 MB; an END of 10^10: no end).
  it("lists at most 256 missing lines and counts the rest, whatever the numbers say", () => {
    const MAX_LISTED_MISSING = 256;
    // (A number far larger, such as an END of 10^20, ran forever: test/fuzz-corpus/probe/ holds one, run with a time limit.)
    const far = [frame(0, "PROBE 1 000013c0"), frame(100_000, "EIP 00000000"), frame("END", "100001")];
    const ps = problems(far.join("\n"));
    const missing = ps.filter((p) => p.kind === "missing");
    expect(missing).toHaveLength(MAX_LISTED_MISSING);
    expect(missing.at(-1)).toEqual({ kind: "missing", seq: MAX_LISTED_MISSING });
    expect(ps).toContainEqual({ kind: "missing-more", count: 100_001 - 2 - MAX_LISTED_MISSING });
    // A gap just over the limit: the listed ones and the exact rest.
    const gap = lines.filter((_, i) => i === 0 || i > MAX_LISTED_MISSING + 3);
    const g = problems(gap.join("\n"));
    expect(g.filter((p) => p.kind === "missing")).toHaveLength(MAX_LISTED_MISSING);
    expect(g).toContainEqual({ kind: "missing-more", count: 3 });
    expect(problems(lines.filter((_, i) => i !== 7).join("\n"))).toEqual([{ kind: "missing", seq: 7 }]);
  });

  // Found the same way: a value of hundreds of hex digits is Infinity to parseInt, and
  // BigInt(Infinity) threw a RangeError out of the parser.
  it("refuses a value longer than the probe's 32-bit words as a bad line", () => {
    const i = lines.findIndex((l) => l.includes(" EFER "));
    const long = [...lines];
    long[i] = frame(i, `EFER ${"f".repeat(300)} 00000000`);
    expect(problems(long.join("\n"))).toEqual([{ kind: "bad-line", seq: i, reason: "EFER value 0 has 300 hex digits, more than 8" }]);
    const m = lines.findIndex((l) => / MEM /.test(l));
    const mem = [...lines];
    mem[m] = frame(m, `MEM ${"1".repeat(9)} 00`);
    expect(problems(mem.join("\n"))).toEqual([{ kind: "bad-line", seq: m, reason: "MEM wants an address of at most 8 hex digits and whole bytes" }]);
  });
});
