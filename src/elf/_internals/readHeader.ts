import { ELF } from "../ELF.js";
import { ElfError } from "../ElfError.js";
import type { ElfHeader } from "../elfTypes.js";
import { readStruct } from "./fieldIO.js";
import { needAsNumber, type Source } from "./source.js";
import { EHDR, IDENT } from "./structs.js";

function requireRange(src: Source, offset: bigint, size: bigint, what: string): void {
  const status = src.check(offset, size);
  if (status === "ok") return;
  const end = offset + size;
  if (status === "need-more") {
    throw new ElfError("need-more", `${what} needs bytes up to ${end}, have ${src.available}`, {
      offset,
      need: needAsNumber(end),
    });
  }
  throw new ElfError("truncated", `${what} ends at ${end}, past the end of the file (${src.fileSize})`, { offset });
}

export function readHeader(src: Source): ElfHeader {
  const b = src.bytes;
  // Checked on whatever is there first, so a non-ELF prefix is rejected
  // at once instead of asking the caller for more of it.
  const magicSeen = Math.min(ELF.MAGIC.length, src.available);
  for (let i = 0; i < magicSeen; i++) {
    if (b[IDENT.fields.ei_mag.offset + i] !== ELF.MAGIC[i]) {
      throw new ElfError("bad-magic", "not an ELF file (magic is not 7f 45 4c 46)", { offset: BigInt(i) });
    }
  }
  requireRange(src, 0n, BigInt(ELF.EI_NIDENT), "e_ident");

  const eiClass = b[IDENT.fields.ei_class.offset] ?? 0;
  const eiData = b[IDENT.fields.ei_data.offset] ?? 0;
  let cls: 32 | 64;
  if (eiClass === ELF.ELFCLASS32) cls = 32;
  else if (eiClass === ELF.ELFCLASS64) cls = 64;
  else throw new ElfError("bad-class", `EI_CLASS is ${eiClass}, expected 1 (ELF32) or 2 (ELF64)`, { offset: 4n });
  // Big-endian files are parsed too (x86 never uses them, but the cost is a
  // flag, and refusing would hide what a malformed test image really says).
  if (eiData !== ELF.ELFDATA2LSB && eiData !== ELF.ELFDATA2MSB) {
    throw new ElfError("bad-data", `EI_DATA is ${eiData}, expected 1 (LSB) or 2 (MSB)`, { offset: 5n });
  }
  const littleEndian = eiData === ELF.ELFDATA2LSB;

  const struct = EHDR[cls];
  requireRange(src, 0n, BigInt(struct.size), `ELF${cls} file header`);
  const h = readStruct(src.view, 0, struct, littleEndian);
  return {
    class: cls,
    data: eiData,
    littleEndian,
    identVersion: b[IDENT.fields.ei_version.offset] ?? 0,
    osabi: b[IDENT.fields.ei_osabi.offset] ?? 0,
    abiversion: b[IDENT.fields.ei_abiversion.offset] ?? 0,
    type: Number(h.e_type),
    machine: Number(h.e_machine),
    version: Number(h.e_version),
    entry: h.e_entry,
    phoff: h.e_phoff,
    shoff: h.e_shoff,
    flags: Number(h.e_flags),
    ehsize: Number(h.e_ehsize),
    phentsize: Number(h.e_phentsize),
    phnum: Number(h.e_phnum),
    shentsize: Number(h.e_shentsize),
    shnum: Number(h.e_shnum),
    shstrndx: Number(h.e_shstrndx),
  };
}

export { requireRange };
