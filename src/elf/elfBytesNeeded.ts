import { ELF } from "./ELF.js";
import { ElfError } from "./ElfError.js";
import type { ReadElfOptions } from "./elfTypes.js";
import { readHeader } from "./_internals/readHeader.js";
import { readProgramHeaders, readSection0, resolveCounts } from "./_internals/readTables.js";
import { needAsNumber, Source } from "./_internals/source.js";
import { EHDR, SHDR } from "./_internals/structs.js";

export type ElfBytesNeeded =
  /** `done` is `need <= prefix.length`: the prefix already holds everything listed below. */
  | { need: number; done: boolean }
  | { error: ElfError };

/**
 * How many leading bytes of the file are needed to read its file header, its
 * program header table and the contents of every PT_NOTE segment — what a
 * PVH check needs — so a caller decompressing a large vmlinux can stop early
 * and hand the prefix to `readElf(prefix, { fileSize })`.
 *
 * Call it again each time the prefix grows; the answer only grows and stops
 * once `done`. If the real file ends before `need`, read the whole file with
 * readElf, which then reports the precise malformation. PT_NOTE segments that
 * lie past a known `fileSize` are left out (readElf reports them as problems);
 * with an unknown size, `need` saturates at Number.MAX_SAFE_INTEGER.
 *
 * `options.fileSize`: the full file size if known; default unknown.
 * `options.onRead`: as in ReadElfOptions, told every range read.
 * Section headers and SHT_NOTE sections are deliberately not included: in a
 * vmlinux they sit at the very end of the file.
 */
export function elfBytesNeeded(prefix: Uint8Array, options: Pick<ReadElfOptions, "fileSize" | "onRead"> = {}): ElfBytesNeeded {
  const src = new Source(prefix, options.fileSize ?? Infinity, options.onRead);
  try {
    const header = readHeader(src);
    let need = BigInt(EHDR[header.class].size);
    const sh0 = readSection0(src, header);
    const counts = resolveCounts(src, header, sh0);
    if (header.phnum === ELF.PN_XNUM && header.shoff !== 0n) {
      const end = header.shoff + BigInt(SHDR[header.class].size);
      if (src.check(header.shoff, BigInt(SHDR[header.class].size)) === "ok" && end > need) need = end;
    }
    const phdrs = readProgramHeaders(src, header, counts.phnum);
    if (phdrs.length > 0) {
      const end = header.phoff + BigInt(phdrs.length) * BigInt(header.phentsize);
      if (end > need) need = end;
    }
    for (const ph of phdrs) {
      if (ph.type !== ELF.PT_NOTE) continue;
      if (src.check(ph.offset, ph.filesz) === "past-eof") continue;
      const end = ph.offset + ph.filesz;
      if (end > need) need = end;
    }
    const n = needAsNumber(need);
    return { need: n, done: n <= src.available };
  } catch (e) {
    if (e instanceof ElfError) {
      if (e.code === "need-more" && e.need !== undefined) return { need: e.need, done: false };
      return { error: e };
    }
    throw e;
  }
}
