import { firstNonZero } from "../_internals/firstNonZero.js";
import { fail, hex, notApplicable, pass, type Check, type CheckInput } from "./Check.js";
import { loadDelta } from "./layout.js";

const WINDOW = 16;

/** The image's file bytes that a physical address range of an unrelocated load would hold. */
function fileBytesAt(input: CheckInput, paddr: number, len: number): Uint8Array | null {
  const seg = input.bootCase.kernel.segments.find((s) => paddr >= s.paddr && paddr + len <= s.paddr + s.filesz);
  if (!seg) return null;
  const off = seg.offset + (paddr - seg.paddr);
  return input.bootCase.kernelImage.subarray(off, off + len);
}

export const loadChecks: Check[] = [
  {
    requirement: "pvh.cpu.eip",
    run: (input) => {
      const { bootCase, obs } = input;
      const eip = obs.cpu!.eip;
      const entry = bootCase.kernel.entry;
      if (!bootCase.kernel.reloc) {
        return eip === entry
          ? pass("pvh.cpu.eip")
          : fail("pvh.cpu.eip", "eip-not-entry", `execution starts at ${hex(eip)}, the note's entry is ${hex(entry)}`, { expected: hex(entry), seen: hex(eip), address: eip });
      }
      // Relocated: EIP must land on the entry's code wherever the image went.
      const seg = bootCase.kernel.segments.find((s) => entry >= s.paddr && entry < s.paddr + s.filesz);
      const len = seg ? Math.min(WINDOW, seg.paddr + seg.filesz - entry) : WINDOW;
      const want = fileBytesAt(input, entry, len);
      const seen = obs.memory!.read(eip, len);
      if (want && seen && Buffer.compare(Buffer.from(want), Buffer.from(seen)) === 0) return pass("pvh.cpu.eip", `relocated by ${hex(eip - entry)}`);
      return fail("pvh.cpu.eip", "eip-not-entry-code", `the code at EIP ${hex(eip)} is not the image's entry code`, {
        expected: want ? Buffer.from(want).toString("hex") : "entry bytes",
        seen: seen ? Buffer.from(seen).toString("hex") : "unreadable",
        address: eip,
      });
    },
  },
  {
    requirement: "pvh.load.segments",
    run: (input) => {
      const { bootCase, obs } = input;
      const d = loadDelta(input);
      for (const [i, s] of bootCase.kernel.segments.entries()) {
        const at = s.paddr + d;
        const crc = obs.memory!.crc32(at, s.filesz) ?? undefined;
        if (crc !== s.crc32) {
          let first = -1;
          const bytes = obs.memory!.read(at, s.filesz);
          const want = fileBytesAt(input, s.paddr, s.filesz);
          if (bytes && want) first = bytes.findIndex((b, k) => b !== want[k]);
          return fail("pvh.load.segments", "segment-bytes", `segment ${i} is not at ${hex(at)}${first >= 0 ? ` (first difference at ${hex(at + first)})` : ""}`, {
            expected: `${s.filesz} file bytes with crc32 ${hex(s.crc32)} at ${hex(at)}`,
            seen: crc === undefined ? "unreadable" : `crc32 ${hex(crc)}`,
            address: first >= 0 ? at + first : at,
          });
        }
      }
      return pass("pvh.load.segments", d ? `relocated by ${hex(d)}` : "at p_paddr");
    },
  },
  {
    requirement: "pvh.load.zero-fill",
    run: (input) => {
      const { bootCase, obs } = input;
      const d = loadDelta(input);
      const tails = bootCase.kernel.segments.filter((s) => s.memsz > s.filesz);
      if (tails.length === 0) return notApplicable("pvh.load.zero-fill", "no segment has memsz > filesz");
      for (const s of tails) {
        const at = s.paddr + d + s.filesz;
        const bytes = obs.memory!.read(at, s.memsz - s.filesz);
        const nz = bytes ? firstNonZero(bytes) : -2;
        if (nz !== -1) {
          return fail("pvh.load.zero-fill", "tail-not-zero", nz === -2 ? `tail at ${hex(at)} is unreadable` : `byte at ${hex(at + nz)} in the zero-filled tail is ${hex(bytes![nz]!)}`, {
            expected: `${s.memsz - s.filesz} zero bytes at ${hex(at)}`,
            seen: nz === -2 ? "unreadable" : `non-zero at ${hex(at + nz)}`,
            address: nz >= 0 ? at + nz : at,
          });
        }
      }
      return pass("pvh.load.zero-fill", `${tails.length} tail(s) zero`);
    },
  },
  {
    requirement: "pvh.load.reloc-only-with-note",
    run: (input) => {
      const { bootCase, obs } = input;
      if (bootCase.kernel.reloc) return notApplicable("pvh.load.reloc-only-with-note", "the image carries PHYS32_RELOC");
      const d = obs.cpu!.eip - bootCase.kernel.entry;
      const s = bootCase.kernel.segments[0]!;
      const holds = (addr: number): boolean => obs.memory!.crc32(addr, s.filesz) === s.crc32;
      if (d !== 0 && holds(s.paddr + d)) {
        return fail("pvh.load.reloc-only-with-note", "relocated-without-note", `the image was moved by ${hex(d)} though it has no PHYS32_RELOC note`, {
          expected: `segment 0 at p_paddr ${hex(s.paddr)}`,
          seen: `segment 0 at ${hex(s.paddr + d)}`,
          address: s.paddr + d,
        });
      }
      // EIP off the entry is pvh.cpu.eip's FAIL; the image did not move with it.
      if (d !== 0) return pass("pvh.load.reloc-only-with-note", "no sign of relocation (EIP is judged by pvh.cpu.eip)");
      // Entered at the entry: a PASS needs the image seen where it belongs, not only no sign of a move.
      if (holds(s.paddr)) return pass("pvh.load.reloc-only-with-note");
      return notApplicable("pvh.load.reloc-only-with-note", `segment 0 is not found at its p_paddr ${hex(s.paddr)} (pvh.load.segments judges where it went)`);
    },
  },
  {
    requirement: "pvh.load.reloc-constraints",
    run: (input) => {
      const { bootCase } = input;
      const r = bootCase.kernel.reloc;
      if (!r) return notApplicable("pvh.load.reloc-constraints", "the image carries no PHYS32_RELOC");
      const d = loadDelta(input);
      if (d === 0) return notApplicable("pvh.load.reloc-constraints", "the image was not relocated");
      const segs = bootCase.kernel.segments;
      const start = Math.min(...segs.map((s) => s.paddr)) + d;
      const last = Math.max(...segs.map((s) => s.paddr + s.memsz)) + d - 1;
      const p: string[] = [];
      if (start % r.align !== 0) p.push(`start ${hex(start)} is not a multiple of ${hex(r.align)}`);
      if (start < r.min) p.push(`start ${hex(start)} is below the minimum ${hex(r.min)}`);
      if (last > r.max) p.push(`last byte ${hex(last)} is above the maximum ${hex(r.max)}`);
      return p.length === 0
        ? pass("pvh.load.reloc-constraints", `relocated to ${hex(start)}`)
        : fail("pvh.load.reloc-constraints", "reloc-outside-constraints", p.join("; "), { expected: `align ${hex(r.align)}, within [${hex(r.min)}, ${hex(r.max)}]`, seen: `${hex(start)}-${hex(last)}`, address: start });
    },
  },
];
