import { codecs } from "../src/abi/codecs.js";
import { EHDR, NHDR, PHDR, SHDR } from "../src/elf/_internals/structs.js";
import type { Field } from "./mutate.js";

/**
 * Where the length, offset and count fields of an input are, so mutations hit them
 * more often than chance would. The layouts come from the project's own tables
 * (src/elf/_internals/structs.ts, spec/layouts.json through codecs); a field past
 * the end of the input is left out.
 */
const MAX_TABLE_ENTRIES = 16;
const MAX_NOTES = 8;

const width = (w: number): Field["width"] | null => (w === 1 || w === 2 || w === 4 || w === 8 ? w : null);

function push(out: Field[], b: Uint8Array, offset: number, w: number, le: boolean): void {
  const ww = width(w);
  if (ww && offset >= 0 && offset + ww <= b.length) out.push({ offset, width: ww, littleEndian: le });
}

function readUint(b: Uint8Array, offset: number, w: number, le: boolean): number {
  let v = 0;
  for (let i = 0; i < w; i++) v = v * 256 + (b[le ? offset + w - 1 - i : offset + i] ?? 0);
  return v;
}

const isElf = (b: Uint8Array): boolean => b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

export function elfFields(b: Uint8Array, base = 0): Field[] {
  const out: Field[] = [];
  const v = b.subarray(base);
  if (!isElf(v)) return out;
  push(out, b, base + 4, 1, true); // EI_CLASS
  push(out, b, base + 5, 1, true); // EI_DATA
  const cls = v[4] === 1 ? 32 : 64;
  const le = v[5] !== 2;
  const eh = EHDR[cls];
  for (const f of eh.order) if (f.kind === "uint") push(out, b, base + f.offset, f.width, le);
  const u = (off: number, w: number): number => readUint(v, off, w, le);
  const phoff = u(eh.fields.e_phoff.offset, eh.fields.e_phoff.width);
  const phentsize = u(eh.fields.e_phentsize.offset, 2) || PHDR[cls].size;
  const phnum = Math.min(u(eh.fields.e_phnum.offset, 2), MAX_TABLE_ENTRIES);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + PHDR[cls].size > v.length) break;
    for (const f of PHDR[cls].order) push(out, b, base + at + f.offset, f.width, le);
    // The first notes of a PT_NOTE segment (p_type 4).
    if (u(at, 4) === 4) {
      let n = u(at + PHDR[cls].fields.p_offset.offset, PHDR[cls].fields.p_offset.width);
      for (let k = 0; k < MAX_NOTES && n + NHDR.size <= v.length; k++) {
        for (const f of NHDR.order) push(out, b, base + n + f.offset, f.width, le);
        const namesz = u(n, 4);
        const descsz = u(n + 4, 4);
        n += NHDR.size + ((namesz + 3) & ~3) + ((descsz + 3) & ~3);
      }
    }
  }
  const shoff = u(eh.fields.e_shoff.offset, eh.fields.e_shoff.width);
  const shentsize = u(eh.fields.e_shentsize.offset, 2) || SHDR[cls].size;
  const shnum = Math.min(u(eh.fields.e_shnum.offset, 2), MAX_TABLE_ENTRIES);
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    if (at + SHDR[cls].size > v.length) break;
    for (const f of SHDR[cls].order) push(out, b, base + at + f.offset, f.width, le);
  }
  return out;
}

const BZ_FIELDS = ["setup_sects", "boot_flag", "header", "version", "kernel_version", "payload_offset", "payload_length"];

export function bzImageFields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  const c = codecs.setupHeader();
  for (const name of BZ_FIELDS) {
    const f = c.field(name);
    push(out, b, c.base + f.offset, f.size, true);
  }
  // The payload's own header: its first bytes (the compression magic and flags).
  const pm = ((b[c.base + c.field("setup_sects").offset] || 4) + 1) * 512;
  const po = pm + readUint(b, c.base + c.field("payload_offset").offset, 4, true);
  for (let i = 0; i < 16; i += 4) push(out, b, po + i, 4, true);
  return out;
}

/** ELF or bzImage fields, whichever the input looks like. */
export function imageFields(b: Uint8Array): Field[] {
  return isElf(b) ? elfFields(b) : bzImageFields(b);
}
