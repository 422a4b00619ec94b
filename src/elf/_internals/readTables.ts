import { ELF } from "../ELF.js";
import { ElfError } from "../ElfError.js";
import type {
  ElfHeader,
  ElfProblem,
  ElfProgramHeader,
  ElfSectionHeader,
  ElfSectionTableStatus,
} from "../elfTypes.js";
import { readStruct } from "./fieldIO.js";
import { needAsNumber, type Source } from "./source.js";
import { PHDR, SHDR, type ShdrField } from "./structs.js";

type Section0 = Record<ShdrField, bigint> | "need-more" | undefined;

/**
 * Section header 0 carries the real counts when they overflow the ELF header
 * fields (extended numbering, see ELF.ts). Unreadable -> undefined, like
 * readelf, which then keeps the header values.
 */
export function readSection0(src: Source, header: ElfHeader): Section0 {
  const struct = SHDR[header.class];
  if (header.shoff === 0n || header.shentsize < struct.size) return undefined;
  const status = src.check(header.shoff, BigInt(struct.size));
  if (status === "need-more") return "need-more";
  if (status === "past-eof") return undefined;
  return readStruct(src.view, Number(header.shoff), struct, header.littleEndian);
}

export interface Counts {
  phnum: number;
  shnum: bigint;
  shstrndx: number;
  /** The section count depends on section 0, which is not in the prefix yet. */
  shnumUnknown: boolean;
}

export function resolveCounts(src: Source, header: ElfHeader, sh0: Section0): Counts {
  const sh0Size = BigInt(SHDR[header.class].size);
  let phnum = header.phnum;
  if (header.phnum === ELF.PN_XNUM) {
    if (sh0 === "need-more") {
      const end = header.shoff + sh0Size;
      throw new ElfError("need-more", "e_phnum is PN_XNUM; the real count is in section header 0", {
        offset: header.shoff,
        need: needAsNumber(end),
      });
    }
    // sh_info is 32 bits, so the count can exceed e_phnum's 16.
    if (sh0 !== undefined && sh0.sh_info !== 0n) phnum = Number(sh0.sh_info);
  }
  let shnum = 0n;
  let shnumUnknown = false;
  if (header.shoff !== 0n) {
    if (header.shnum !== 0) shnum = BigInt(header.shnum);
    else if (sh0 === "need-more") shnumUnknown = true;
    else if (sh0 !== undefined) shnum = sh0.sh_size;
  }
  let shstrndx = header.shstrndx;
  if (shstrndx === ELF.SHN_XINDEX && sh0 !== undefined && sh0 !== "need-more") shstrndx = Number(sh0.sh_link);
  return { phnum, shnum, shstrndx, shnumUnknown };
}

export function readProgramHeaders(src: Source, header: ElfHeader, phnum: number): ElfProgramHeader[] {
  if (phnum === 0) return [];
  const struct = PHDR[header.class];
  if (header.phentsize < struct.size) {
    throw new ElfError(
      "bad-phentsize",
      `e_phentsize is ${header.phentsize}, smaller than an ELF${header.class} program header (${struct.size})`,
    );
  }
  const tableSize = BigInt(phnum) * BigInt(header.phentsize);
  const status = src.check(header.phoff, tableSize);
  const end = header.phoff + tableSize;
  if (status === "past-eof") {
    throw new ElfError(
      "phdr-out-of-bounds",
      `program header table [${header.phoff}, ${end}) (${phnum} x ${header.phentsize}) runs past the end of the file (${src.fileSize})`,
      { offset: header.phoff },
    );
  }
  if (status === "need-more") {
    throw new ElfError("need-more", `program header table ends at ${end}`, {
      offset: header.phoff,
      need: needAsNumber(end),
    });
  }
  // In bounds, so it fits in a safe integer and the loop is bounded by the file size.
  const base = Number(header.phoff);
  const out: ElfProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = base + i * header.phentsize;
    const p = readStruct(src.view, at, struct, header.littleEndian);
    out.push({
      index: i,
      headerOffset: at,
      type: Number(p.p_type),
      flags: Number(p.p_flags),
      offset: p.p_offset,
      vaddr: p.p_vaddr,
      paddr: p.p_paddr,
      filesz: p.p_filesz,
      memsz: p.p_memsz,
      align: p.p_align,
    });
  }
  return out;
}

export function readSectionHeaders(
  src: Source,
  header: ElfHeader,
  counts: Counts,
  problems: ElfProblem[],
): { status: ElfSectionTableStatus; headers: ElfSectionHeader[] } {
  if (header.shoff === 0n) return { status: "absent", headers: [] };
  if (counts.shnumUnknown) {
    problems.push({
      code: "need-more",
      offset: header.shoff,
      message: "e_shnum is 0; the section count is in section header 0, which is past the supplied bytes",
    });
    return { status: "unavailable", headers: [] };
  }
  const struct = SHDR[header.class];
  if (counts.shnum === 0n) {
    // e_shnum = 0 with a non-zero e_shoff means "the count is in section 0";
    // if section 0 itself is unreadable, the table is broken, not absent.
    if (header.shnum === 0) {
      const code = header.shentsize < struct.size ? "bad-shentsize" : src.check(header.shoff, BigInt(struct.size)) === "past-eof" ? "shdr-out-of-bounds" : undefined;
      if (code !== undefined) {
        problems.push({
          code,
          offset: header.shoff,
          message: `e_shnum is 0, so the section count is in section header 0 at ${header.shoff}, which cannot be read`,
        });
        return { status: "broken", headers: [] };
      }
    }
    return { status: "absent", headers: [] };
  }
  if (header.shentsize < struct.size) {
    problems.push({
      code: "bad-shentsize",
      offset: undefined,
      message: `e_shentsize is ${header.shentsize}, smaller than an ELF${header.class} section header (${struct.size})`,
    });
    return { status: "broken", headers: [] };
  }
  const tableSize = counts.shnum * BigInt(header.shentsize);
  const status = src.check(header.shoff, tableSize);
  const end = header.shoff + tableSize;
  if (status !== "ok") {
    const past = status === "past-eof";
    problems.push({
      code: past ? "shdr-out-of-bounds" : "need-more",
      offset: header.shoff,
      message: past
        ? `section header table [${header.shoff}, ${end}) runs past the end of the file (${src.fileSize})`
        : `section header table ends at ${end}, past the supplied ${src.available} bytes`,
    });
    return { status: past ? "broken" : "unavailable", headers: [] };
  }
  const base = Number(header.shoff);
  const n = Number(counts.shnum);
  const headers: ElfSectionHeader[] = [];
  for (let i = 0; i < n; i++) {
    const at = base + i * header.shentsize;
    const s = readStruct(src.view, at, struct, header.littleEndian);
    headers.push({
      index: i,
      headerOffset: at,
      nameOffset: Number(s.sh_name),
      name: undefined,
      type: Number(s.sh_type),
      flags: s.sh_flags,
      addr: s.sh_addr,
      offset: s.sh_offset,
      size: s.sh_size,
      link: Number(s.sh_link),
      info: Number(s.sh_info),
      addralign: s.sh_addralign,
      entsize: s.sh_entsize,
    });
  }
  return { status: "ok", headers };
}

// Real section names are short; the cap keeps a hostile table of thousands
// of names pointing into one huge NUL-free string table from going quadratic.
const MAX_SECTION_NAME = 4096;

export function resolveSectionNames(
  src: Source,
  headers: ElfSectionHeader[],
  shstrndx: number,
  problems: ElfProblem[],
): void {
  if (headers.length === 0 || shstrndx === ELF.SHN_UNDEF) return;
  const strtab = headers[shstrndx];
  if (strtab === undefined) {
    problems.push({
      code: "bad-shstrndx",
      offset: undefined,
      message: `e_shstrndx ${shstrndx} is not a valid section index (${headers.length} sections)`,
    });
    return;
  }
  const status = strtab.type === ELF.SHT_NOBITS ? "past-eof" : src.check(strtab.offset, strtab.size);
  if (status !== "ok") {
    problems.push({
      code: status === "need-more" ? "need-more" : "shstrtab-out-of-bounds",
      offset: strtab.offset,
      message:
        status === "need-more"
          ? `section name string table (section ${shstrndx}) is past the supplied bytes`
          : `section name string table (section ${shstrndx}) [${strtab.offset}, +${strtab.size}) is not inside the file`,
    });
    return;
  }
  const start = Number(strtab.offset);
  const size = Number(strtab.size);
  for (const h of headers) {
    if (h.nameOffset >= size) {
      problems.push({
        code: "section-name-out-of-bounds",
        offset: BigInt(h.headerOffset),
        message: `section ${h.index}: sh_name ${h.nameOffset} is past the string table size ${size}`,
      });
      continue;
    }
    const from = start + h.nameOffset;
    const limit = Math.min(start + size, from + MAX_SECTION_NAME);
    const nul = src.bytes.subarray(from, limit).indexOf(0);
    if (nul < 0) {
      problems.push({
        code: "section-name-unterminated",
        offset: BigInt(h.headerOffset),
        message: `section ${h.index}: name at string table offset ${h.nameOffset} has no NUL within the table`,
      });
      continue;
    }
    h.name = latin1(src.bytes.subarray(from, from + nul));
  }
}

export function latin1(bytes: Uint8Array): string {
  let s = "";
  // Chunked: fromCharCode with a huge argument list overflows the stack.
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}
