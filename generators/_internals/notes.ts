import fc from "fast-check";
import type { NoteInput } from "../../src/elf/buildElf.js";

const enc = new TextEncoder();
const str = (s: string): Uint8Array => enc.encode(s + "\0");

export function u32le(...values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setUint32(i * 4, v >>> 0, true));
  return b;
}

export function numericDesc(value: bigint, size: 4 | 8): Uint8Array {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  if (size === 4) dv.setUint32(0, Number(value & 0xffffffffn), true);
  else dv.setBigUint64(0, value, true);
  return b;
}

/** Notes real kernels carry beside PHYS32_ENTRY, to surround it with. */
export const otherNoteArb: fc.Arbitrary<NoteInput> = fc.oneof(
  fc.constantFrom("linux", "FreeBSD", "pvh-conformance").map((s) => ({ name: "Xen", type: 6, desc: str(s) })),
  fc.constant({ name: "Xen", type: 5, desc: str("xen-3.0") }),
  fc.constant({ name: "Xen", type: 7, desc: str("2.6") }),
  fc.constant({ name: "Xen", type: 8, desc: str("generic") }),
  fc.constant({ name: "Xen", type: 10, desc: str("!writable_page_tables|pae_pgdir_above_4gb") }),
  fc.constant({ name: "Xen", type: 9, desc: str("yes") }),
  fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }).map((v) => ({ name: "Xen", type: 2, desc: numericDesc(v, 8) })),
  fc.nat().map((v) => ({ name: "Xen", type: 17, desc: u32le(v) })),
  fc.constant({ name: "Xen", type: 14, desc: u32le(1) }),
  fc.uint8Array({ minLength: 20, maxLength: 20 }).map((d) => ({ name: "GNU", type: 3, desc: d })),
  fc.constant({ name: "Linux", type: 0x100, desc: str("6.1.0") }),
);
