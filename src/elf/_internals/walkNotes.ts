import type { ElfNote, ElfNoteRegion, ElfNoteSource, ElfProblem } from "../elfTypes.js";
import { readUint } from "./fieldIO.js";
import { noteDescOffset, noteNextOffset, noteWalkAlign } from "./noteLayout.js";
import { latin1 } from "./readTables.js";
import type { Source } from "./source.js";
import { NHDR } from "./structs.js";

export interface NoteBudget {
  remaining: number;
  exhausted: boolean;
}

const MAX_NAME_DECODE = 4096;

/**
 * Walks one note region with the checks binutils readelf makes in
 * process_notes_at() (PR binutils/15191, PR 17531): a record needs its 12-byte
 * header, and its padded name and padded descriptor must both end inside the
 * region. The first record that fails ends the walk, as in readelf; the
 * records before it are kept.
 */
export function walkNoteRegion(
  src: Source,
  source: ElfNoteSource,
  offset: bigint,
  size: bigint,
  declaredAlign: bigint,
  littleEndian: boolean,
  budget: NoteBudget,
): ElfNoteRegion {
  const notes: ElfNote[] = [];
  const problems: ElfProblem[] = [];
  const align = noteWalkAlign(declaredAlign);
  const region: ElfNoteRegion = { source, offset, size, declaredAlign, align, notes, problems };

  const status = src.check(offset, size);
  if (status !== "ok") {
    problems.push(
      status === "need-more"
        ? { code: "need-more", offset, message: `note region [${offset}, +${size}) is past the supplied ${src.available} bytes` }
        : {
            code: "note-region-out-of-bounds",
            offset,
            message: `note region [${offset}, +${size}) is not inside the file (${src.fileSize} bytes)`,
          },
    );
    return region;
  }
  if (align === undefined) {
    problems.push({
      code: "note-bad-align",
      offset,
      message: `note alignment ${declaredAlign} is not 4 or 8 (or below 4); records cannot be delimited`,
    });
    return region;
  }

  const base = Number(offset);
  const length = Number(size);
  let pos = 0;
  while (pos < length) {
    const at = base + pos;
    const remaining = length - pos;
    if (remaining < NHDR.size) {
      problems.push({
        code: "note-header-truncated",
        offset: BigInt(at),
        message: `only ${remaining} byte(s) left in the region, a note header needs ${NHDR.size}`,
      });
      break;
    }
    const namesz = Number(readUint(src.view, at + NHDR.fields.n_namesz.offset, 4, littleEndian));
    const descsz = Number(readUint(src.view, at + NHDR.fields.n_descsz.offset, 4, littleEndian));
    const type = Number(readUint(src.view, at + NHDR.fields.n_type.offset, 4, littleEndian));
    const descOff = noteDescOffset(namesz, align);
    const next = noteNextOffset(namesz, descsz, align);
    if (descOff > remaining) {
      problems.push({
        code: "note-name-overflow",
        offset: BigInt(at),
        message: `namesz ${namesz} (padded to ${align}) runs past the region end (${remaining} bytes left); type ${type}, descsz ${descsz}`,
      });
      break;
    }
    if (next > remaining) {
      problems.push({
        code: "note-desc-overflow",
        offset: BigInt(at),
        message: `descsz ${descsz} (padded to ${align}) runs past the region end (${remaining} bytes left); type ${type}, namesz ${namesz}`,
      });
      break;
    }
    if (budget.remaining <= 0) {
      budget.exhausted = true;
      problems.push({ code: "note-limit", offset: BigInt(at), message: "note budget exhausted; walk stopped" });
      break;
    }
    budget.remaining--;
    const nameStart = at + NHDR.size;
    const nameBytes = src.bytes.subarray(nameStart, nameStart + namesz);
    const nameTerminated = namesz > 0 && nameBytes[namesz - 1] === 0;
    const nameLen = nameTerminated ? namesz - 1 : namesz;
    notes.push({
      namesz,
      descsz,
      type,
      name: latin1(nameBytes.subarray(0, Math.min(nameLen, MAX_NAME_DECODE))),
      nameTerminated,
      nameBytes,
      desc: src.bytes.subarray(at + descOff, at + descOff + descsz),
      offset: at,
      descOffset: at + descOff,
    });
    pos += next;
  }
  return region;
}
