import type { ElfClass } from "./_internals/structs.js";

export type { ElfClass };

/**
 * The ELF file header. Raw header values are kept as found (e.g. `phnum` is
 * e_phnum even when it is PN_XNUM); the counts actually used after extended
 * numbering are in `ElfFile.counts`. Address/offset-sized fields are bigint in
 * both classes so callers never need to branch on the class.
 */
export interface ElfHeader {
  class: ElfClass;
  /** EI_DATA: 1 = ELFDATA2LSB, 2 = ELFDATA2MSB. */
  data: 1 | 2;
  littleEndian: boolean;
  /** EI_VERSION */
  identVersion: number;
  osabi: number;
  abiversion: number;
  type: number;
  machine: number;
  version: number;
  entry: bigint;
  phoff: bigint;
  shoff: bigint;
  flags: number;
  ehsize: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

export interface ElfProgramHeader {
  index: number;
  /** File offset of this entry in the program header table. */
  headerOffset: number;
  type: number;
  flags: number;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  align: bigint;
}

export interface ElfSectionHeader {
  index: number;
  headerOffset: number;
  /** sh_name: offset into the section name string table. */
  nameOffset: number;
  /** Undefined when there is no usable string table or the offset is bad (see problems). */
  name: string | undefined;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: bigint;
  size: bigint;
  link: number;
  info: number;
  addralign: bigint;
  entsize: bigint;
}

export type ElfProblemCode =
  /** Prefix mode: this part lies inside the file but past the bytes supplied. Not a malformation. */
  | "need-more"
  | "bad-shentsize"
  | "shdr-out-of-bounds"
  | "bad-shstrndx"
  | "shstrtab-out-of-bounds"
  | "section-name-out-of-bounds"
  | "section-name-unterminated"
  /** The note region (segment or section contents) extends past the end of the file. */
  | "note-region-out-of-bounds"
  /** p_align / sh_addralign is neither < 4 nor 4 nor 8; readelf refuses such regions. */
  | "note-bad-align"
  /** Fewer than 12 bytes (one note header) remain in the region. */
  | "note-header-truncated"
  /** namesz (padded) runs past the end of the region. */
  | "note-name-overflow"
  /** descsz (padded) runs past the end of the region. */
  | "note-desc-overflow"
  /** The reader's total note budget (ReadElfOptions.maxNotes) ran out. */
  | "note-limit";

export interface ElfProblem {
  code: ElfProblemCode;
  /** File offset concerned, when there is one. For note records: the record's file offset. */
  offset: bigint | undefined;
  message: string;
}

export interface ElfNote {
  namesz: number;
  descsz: number;
  type: number;
  /**
   * The name bytes without one trailing NUL, each byte mapped to the code unit
   * of the same value (latin1), so nothing is lost or replaced. Embedded NULs
   * are kept: C consumers that strcmp the name see less than this. Decoding is
   * capped at the first 4096 bytes; `nameBytes` always has everything.
   */
  name: string;
  /** namesz > 0 and the last name byte is NUL, as the gABI requires. */
  nameTerminated: boolean;
  /** All namesz bytes, including the terminator. A view into the input buffer. */
  nameBytes: Uint8Array;
  /** descsz bytes. A view into the input buffer (no copy). */
  desc: Uint8Array;
  /** File offset of the note header (namesz word). */
  offset: number;
  /** File offset of the descriptor. */
  descOffset: number;
}

export type ElfNoteSource =
  | { kind: "segment"; index: number }
  | { kind: "section"; index: number; name: string | undefined };

export interface ElfNoteRegion {
  source: ElfNoteSource;
  offset: bigint;
  size: bigint;
  /** p_align or sh_addralign as found. */
  declaredAlign: bigint;
  /**
   * The record padding used to walk this region, decided like binutils
   * readelf: declared < 4 -> 4, 4 -> 4, 8 -> 8, anything else -> not walked.
   */
  align: 4 | 8 | undefined;
  notes: ElfNote[];
  /** At most one entry for malformed records: walking stops at the first one. */
  problems: ElfProblem[];
}

export type ElfSectionTableStatus =
  /** e_shoff is 0 or the table has no entries. */
  | "absent"
  | "ok"
  /** The header fields describing the table are unusable; see problems. */
  | "broken"
  /** Prefix mode: the table lies past the supplied bytes. */
  | "unavailable";

export interface ElfFile {
  header: ElfHeader;
  /** Counts in effect after extended numbering (PN_XNUM, e_shnum = 0, SHN_XINDEX). */
  counts: { phnum: number; shnum: bigint; shstrndx: number };
  programHeaders: ElfProgramHeader[];
  sectionTable: ElfSectionTableStatus;
  sectionHeaders: ElfSectionHeader[];
  /** One region per PT_NOTE program header, in program header order. */
  segmentNotes: ElfNoteRegion[];
  /** One region per SHT_NOTE section header, in section order. */
  sectionNotes: ElfNoteRegion[];
  /** File-level, non-fatal problems (section table, names, note budget). */
  problems: ElfProblem[];
}

export interface ReadElfOptions {
  /**
   * Total size of the file `bytes` is a prefix of. Defaults to bytes.length
   * (the whole file). Pass Infinity when the size is not known yet. Anything
   * past bytes.length but inside fileSize is reported as "need-more", never as
   * truncation.
   */
  fileSize?: number;
  /** Total note records decoded across all regions before giving up. Default 65536. */
  maxNotes?: number;
  /**
   * Called with every byte range [offset, end) the reader reads, once it has found
   * the range inside the supplied bytes. A caller that filled in only some ranges of
   * a long prefix (check-image keeps the headers and the notes of a vmlinux, not its
   * text) learns from it whether those were all the reader looked at.
   */
  onRead?: (offset: bigint, end: bigint) => void;
}
