import { crc32 } from "../../src/_internals/crc32.js";
import type { BootCase } from "../../src/model/BootCase.js";
import { SEGMENT_NAMES, type SegmentState } from "../../src/model/CpuState.js";
import type { Observation } from "../../src/model/Observation.js";
import { probeLayout } from "../../probe/probeBytes.js";

/** probe.S's bounds. */
const MAXSTR = 0x10400;
const MAX_ENTRIES = 4096;
const MAX_MODULE = 0x10000000;
const FOUR_GIB = 0x1_0000_0000;

const h = (v: number | bigint, digits = 8): string => (typeof v === "bigint" ? v : BigInt(v >>> 0)).toString(16).padStart(digits, "0");

/** One framed line, as probe.S writes it. */
export function frame(seq: number | "END", body: string): string {
  const text = seq === "END" ? `PVHP END ${body}` : `PVHP ${seq} ${body}`;
  return `${text} *${h(crc32(Buffer.from(text, "latin1")))}`;
}

/** The descriptor a segment cache would have been loaded from (Intel SDM Vol. 3A, Figure 3-8). */
export function descriptorOf(s: SegmentState): { lo: number; hi: number } {
  const raw = s.g ? s.limit >>> 12 : s.limit;
  const lo = ((s.base & 0xffff) << 16) | (raw & 0xffff);
  const hi = (s.base & 0xff000000) | ((s.base >>> 16) & 0xff) | (s.type << 8) | (s.s << 12) | (s.dpl << 13) | (Number(s.present) << 15) | (raw & 0xf0000) | (s.avl << 20) | (s.l << 21) | (s.db << 22) | (s.g << 23);
  return { lo: lo >>> 0, hi: hi >>> 0 };
}

/**
 * What the probe would print for an entered observation: the same walk as probe.S
 * (boot data, loads from the case's segments relative to EIP, modules), with each
 * segment's descriptor taken to be in the GDT as the cache holds it (a null
 * selector names none). Reads outside what the observation answers are left out.
 */
export function emulateProbe(c: BootCase, obs: Observation): string[] {
  const cpu = obs.cpu!;
  const mem = obs.memory!;
  const body: string[] = [];
  const line = (s: string): void => void body.push(s);
  line(`PROBE 1 ${h(probeLayout.size)}`);
  line(`EIP ${h(cpu.eip)}`);
  line(`GPRA ${[cpu.eax, cpu.ebx, cpu.ecx, cpu.edx].map((v) => h(v)).join(" ")}`);
  line(`GPRB ${[cpu.esi, cpu.edi, cpu.ebp, cpu.esp].map((v) => h(v)).join(" ")}`);
  line(`EFLAGS ${h(cpu.eflags)}`);
  line(`CR ${h(cpu.cr0)} ${h(cpu.cr3)} ${h(cpu.cr4)}`);
  line(`GDTR ${h(cpu.gdtr.base)} ${h(cpu.gdtr.limit, 4)}`);
  line(`IDTR ${h(cpu.idtr.base)} ${h(cpu.idtr.limit, 4)}`);
  for (const name of SEGMENT_NAMES) {
    const s = cpu.segments[name];
    if ((s.selector & ~3) === 0 || s.unusable) {
      line(`${name.toUpperCase()} ${h(s.selector, 4)} 0 ${h(0)} ${h(0)} ${h(0)} ${h(0)}`);
      continue;
    }
    const d = descriptorOf(s);
    line(`${name.toUpperCase()} ${h(s.selector, 4)} 7 ${h(d.hi & 0x00f0ff00)} ${h(s.limit)} ${h(d.lo)} ${h(d.hi)}`);
  }
  line(`EFER ${h(BigInt(cpu.efer) >> 32n)} ${h(BigInt(cpu.efer) & 0xffffffffn)}`);

  const dump = (addr: number, len: number): void => {
    len = Math.min(len, FOUR_GIB - addr);
    for (let at = addr; at < addr + len; at += 16) {
      const n = Math.min(16, addr + len - at);
      const b = mem.read(at, n);
      if (b) line(`MEM ${h(at)} ${Buffer.from(b).toString("hex")}`);
    }
  };
  const dumpString = (addr: number): void => {
    let n = 0;
    const bound = Math.min(MAXSTR, FOUR_GIB - addr);
    let found = false;
    for (; n < bound; n++) {
      const b = mem.read(addr + n, 1);
      if (!b) break;
      if (b[0] === 0) {
        found = true;
        break;
      }
    }
    const len = found ? n + 1 : n;
    const end = Math.min(Math.ceil((addr + len) / 4096) * 4096, FOUR_GIB);
    dump(addr, end - addr);
  };
  const u32 = (addr: number): number | null => {
    const b = mem.read(addr, 4);
    return b ? new DataView(b.buffer, b.byteOffset).getUint32(0, true) : null;
  };

  dump(cpu.eip, 32);
  const si = cpu.ebx;
  const version = u32(si + 4) ?? 0;
  dump(si, version >= 1 ? 56 : 40);
  const modlistAt = (): { at: number; n: number } => {
    const at = u32(si + 16) ?? 0;
    return (u32(si + 20) ?? 1) === 0 && at !== 0 ? { at, n: Math.min(u32(si + 12) ?? 0, MAX_ENTRIES) } : { at, n: 0 };
  };
  const ml = modlistAt();
  dump(ml.at, ml.n * 32);
  if (version >= 1 && u32(si + 44) === 0 && (u32(si + 40) ?? 0) !== 0) dump(u32(si + 40)!, Math.min(u32(si + 48) ?? 0, MAX_ENTRIES) * 24);
  if (u32(si + 28) === 0 && (u32(si + 24) ?? 0) !== 0) dumpString(u32(si + 24)!);
  if (u32(si + 36) === 0 && (u32(si + 32) ?? 0) !== 0) {
    const r = u32(si + 32)!;
    const rev = mem.read(r + 15, 1)?.[0] ?? 0;
    const len = u32(r + 20) ?? 0;
    dump(r, rev >= 2 && len > 36 && len <= 4096 ? len : 36);
  }
  for (let i = 0; i < ml.n; i++) {
    const e = ml.at + 32 * i;
    if (u32(e + 20) === 0 && (u32(e + 16) ?? 0) !== 0) dumpString(u32(e + 16)!);
  }

  const delta = cpu.eip - c.kernel.entry;
  c.kernel.segments.forEach((s, i) => {
    const at = s.paddr + delta;
    const tail = mem.read(at + s.filesz, s.memsz - s.filesz);
    const nz = tail ? tail.findIndex((b) => b !== 0) : 0;
    line(`LOAD ${h(i, 1)} ${h(at)} ${h(s.filesz)} ${h(s.memsz)} ${h(mem.crc32(at, s.filesz) ?? 0)} ${h(nz < 0 ? 0xffffffff : nz)}`);
  });
  for (let i = 0; i < ml.n; i++) {
    const e = ml.at + 32 * i;
    const [addr = 0, addrHi = 0, size = 0, sizeHi = 0] = [0, 4, 8, 12].map((o) => u32(e + o) ?? 0);
    const status = sizeHi !== 0 || size > MAX_MODULE ? 2 : addrHi !== 0 || addr + size >= FOUR_GIB ? 1 : 0;
    const crc = status === 0 ? (mem.crc32(addr, size) ?? 0) : 0;
    line(`MOD ${h(i, 4)} ${h(addr)} ${h(size)} ${status} ${h(crc)}`);
  }
  return [...body.map((b, i) => frame(i, b)), frame("END", String(body.length))];
}
