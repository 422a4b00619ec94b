import { ELF } from "./ELF.js";
import type { ElfFile, ElfNoteRegion, ElfProblem, ReadElfOptions } from "./elfTypes.js";
import { readHeader } from "./_internals/readHeader.js";
import {
  readProgramHeaders,
  readSection0,
  readSectionHeaders,
  resolveCounts,
  resolveSectionNames,
} from "./_internals/readTables.js";
import { Source } from "./_internals/source.js";
import { walkNoteRegion, type NoteBudget } from "./_internals/walkNotes.js";

const DEFAULT_MAX_NOTES = 65536;

/**
 * Parses an ELF32 or ELF64 image (either byte order) from untrusted bytes.
 *
 * Throws only `ElfError`, and only when the file header or the program header
 * table cannot be read (see ElfErrorCode). Everything else that is wrong —
 * section table, names, note regions, individual note records — is reported
 * in `problems` (file level) or `region.problems` (per note region) and the
 * rest of the file is still parsed.
 *
 * Note and name bytes in the result are views into `bytes`, not copies.
 */
export function readElf(bytes: Uint8Array, options: ReadElfOptions = {}): ElfFile {
  const src = new Source(bytes, options.fileSize, options.onRead);
  const header = readHeader(src);
  const sh0 = readSection0(src, header);
  const counts = resolveCounts(src, header, sh0);
  const programHeaders = readProgramHeaders(src, header, counts.phnum);

  const problems: ElfProblem[] = [];
  const table = readSectionHeaders(src, header, counts, problems);
  resolveSectionNames(src, table.headers, counts.shstrndx, problems);

  const budget: NoteBudget = { remaining: options.maxNotes ?? DEFAULT_MAX_NOTES, exhausted: false };
  const segmentNotes: ElfNoteRegion[] = [];
  for (const ph of programHeaders) {
    if (ph.type !== ELF.PT_NOTE) continue;
    segmentNotes.push(
      walkNoteRegion(src, { kind: "segment", index: ph.index }, ph.offset, ph.filesz, ph.align, header.littleEndian, budget),
    );
  }
  const sectionNotes: ElfNoteRegion[] = [];
  for (const sh of table.headers) {
    if (sh.type !== ELF.SHT_NOTE) continue;
    sectionNotes.push(
      walkNoteRegion(
        src,
        { kind: "section", index: sh.index, name: sh.name },
        sh.offset,
        sh.size,
        sh.addralign,
        header.littleEndian,
        budget,
      ),
    );
  }
  if (budget.exhausted) {
    problems.push({
      code: "note-limit",
      offset: undefined,
      message: `more than ${options.maxNotes ?? DEFAULT_MAX_NOTES} note records; the rest were not decoded`,
    });
  }

  return {
    header,
    counts: { phnum: counts.phnum, shnum: counts.shnum, shstrndx: counts.shstrndx },
    programHeaders,
    sectionTable: table.status,
    sectionHeaders: table.headers,
    segmentNotes,
    sectionNotes,
    problems,
  };
}
