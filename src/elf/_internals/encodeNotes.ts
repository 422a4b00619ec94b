import { NHDR } from "./structs.js";
import { noteDescOffset, noteNextOffset } from "./noteLayout.js";
import { writeField } from "./fieldIO.js";

export type NoteInput =
  /**
   * A well-formed note. A string name is UTF-8 encoded; a NUL terminator is
   * appended and counted in namesz, as the gABI requires. "" means "no name"
   * (namesz 0, as the gABI says for an absent name).
   */
  | { name: string | Uint8Array; type: number; desc?: Uint8Array }
  /**
   * A record written verbatim: `nameBytes` and `desc` are placed (and padded)
   * by their real lengths, while the header says `namesz`/`descsz` (default:
   * the real lengths). Use it for missing terminators, lying sizes, etc.
   */
  | { raw: { type: number; nameBytes: Uint8Array; desc?: Uint8Array; namesz?: number; descsz?: number } };

export interface EncodedNote {
  type: number;
  namesz: number;
  descsz: number;
  nameBytes: Uint8Array;
  desc: Uint8Array;
}

export interface NoteLayout extends EncodedNote {
  /** File offset of the record. */
  offset: number;
  /** File offset where the descriptor bytes were written. */
  descOffset: number;
  /** Bytes the record occupies including padding. */
  size: number;
}

const utf8 = new TextEncoder();

export function encodeNote(n: NoteInput): EncodedNote {
  if ("raw" in n) {
    const desc = n.raw.desc ?? new Uint8Array(0);
    return {
      type: n.raw.type,
      namesz: n.raw.namesz ?? n.raw.nameBytes.length,
      descsz: n.raw.descsz ?? desc.length,
      nameBytes: n.raw.nameBytes,
      desc,
    };
  }
  const raw = typeof n.name === "string" ? utf8.encode(n.name) : n.name;
  const nameBytes = raw.length === 0 ? new Uint8Array(0) : new Uint8Array(raw.length + 1);
  nameBytes.set(raw);
  const desc = n.desc ?? new Uint8Array(0);
  return { type: n.type, namesz: nameBytes.length, descsz: desc.length, nameBytes, desc };
}

/** Padded size of a record, computed from the bytes actually written. */
export function encodedNoteSize(e: EncodedNote, padding: number): number {
  return noteNextOffset(e.nameBytes.length, e.desc.length, padding);
}

/** Writes records back to back from `offset`; returns their layouts. */
export function writeNotes(
  view: DataView,
  bytes: Uint8Array,
  offset: number,
  notes: readonly EncodedNote[],
  padding: number,
  littleEndian: boolean,
): NoteLayout[] {
  const out: NoteLayout[] = [];
  let at = offset;
  for (const e of notes) {
    writeField(view, at, NHDR.fields.n_namesz, littleEndian, e.namesz);
    writeField(view, at, NHDR.fields.n_descsz, littleEndian, e.descsz);
    writeField(view, at, NHDR.fields.n_type, littleEndian, e.type);
    bytes.set(e.nameBytes, at + NHDR.size);
    const descOffset = at + noteDescOffset(e.nameBytes.length, padding);
    bytes.set(e.desc, descOffset);
    const size = encodedNoteSize(e, padding);
    out.push({ ...e, offset: at, descOffset, size });
    at += size;
  }
  return out;
}
