import { loadSpec } from "../spec/loadSpec.js";
import type { NoteKind } from "../spec/schemas.js";

/** The parts of a note record the decoder needs. */
export interface RawNote {
  type: number;
  desc: Uint8Array;
}

export type DecodedValue =
  | { kind: "numeric"; value: bigint }
  | { kind: "string"; value: string }
  | { kind: "bitmap"; bits: number[] }
  | { kind: "structured"; values: Record<string, bigint>; given: string[] }
  | { kind: "pairs"; pairs: [bigint, bigint][] }
  | { kind: "raw"; bytes: string };

export interface DecodedXenNote {
  type: number;
  /** Catalogue name (PHYS32_ENTRY), or UNKNOWN_<type>. */
  name: string;
  value: DecodedValue;
  /** Human rendering of the value. */
  display: string;
  /** Ways the descriptor departs from its catalogue format; empty when well-formed. */
  problems: string[];
}

let byType: Map<number, NoteKind> | undefined;
function catalogue(): Map<number, NoteKind> {
  byType ??= new Map(loadSpec().notes.notes.map((n) => [n.type, n]));
  return byType;
}

const hex = (v: bigint | number): string => "0x" + v.toString(16);
const rawHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function le(b: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i] ?? 0);
  return v;
}

/** Decode a Xen note's descriptor by the catalogue in spec/notes.json. Never throws. */
export function decodeXenNote(note: RawNote): DecodedXenNote {
  const kind = catalogue().get(note.type);
  const d = note.desc;
  if (!kind) {
    return { type: note.type, name: `UNKNOWN_${note.type}`, value: { kind: "raw", bytes: rawHex(d) }, display: rawHex(d), problems: [] };
  }
  const base = { type: note.type, name: kind.name };
  const desc = kind.descriptor;
  switch (desc.kind) {
    case "numeric": {
      const sizes = desc.sizes ?? [4, 8];
      if (!sizes.includes(d.length)) {
        return {
          ...base,
          value: { kind: "raw", bytes: rawHex(d) },
          display: rawHex(d) || "(empty)",
          problems: [`numeric descriptor of ${d.length} bytes; ${sizes.join(" or ")} expected`],
        };
      }
      const value = le(d, 0, d.length);
      return { ...base, value: { kind: "numeric", value }, display: hex(value), problems: [] };
    }
    case "string": {
      const nul = d.indexOf(0);
      const text = Buffer.from(d.subarray(0, nul < 0 ? d.length : nul)).toString("latin1");
      const problems: string[] = [];
      if (nul < 0) problems.push("string descriptor is not NUL-terminated");
      if (!/^[\x20-\x7e]*$/.test(text)) problems.push("string descriptor is not printable ASCII");
      return { ...base, value: { kind: "string", value: text }, display: JSON.stringify(text), problems };
    }
    case "bitmap": {
      const problems = d.length % 4 === 0 ? [] : [`bitmap of ${d.length} bytes is not whole 32-bit words`];
      const bits: number[] = [];
      for (let i = 0; i < d.length * 8; i++) if ((d[i >> 3]! >> (i & 7)) & 1) bits.push(i);
      return { ...base, value: { kind: "bitmap", bits }, display: bits.length ? `bits ${bits.join(",")}` : "none", problems };
    }
    case "structured": {
      if (desc.layout === "u32-list") {
        const problems: string[] = [];
        if (d.length % 4 !== 0) problems.push(`descriptor of ${d.length} bytes is not whole 32-bit values`);
        if (d.length > desc.fields.length * 4) problems.push(`descriptor of ${d.length} bytes holds more than ${desc.fields.length} 32-bit values`);
        const values: Record<string, bigint> = {};
        const given: string[] = [];
        desc.fields.forEach((f, i) => {
          if ((i + 1) * 4 <= d.length) {
            values[f] = le(d, i * 4, 4);
            given.push(f);
          } else if (desc.defaults?.[f] !== undefined) {
            values[f] = BigInt(desc.defaults[f]!);
          }
        });
        const display = desc.fields
          .filter((f) => values[f] !== undefined)
          .map((f) => `${f}=${hex(values[f]!)}${given.includes(f) ? "" : " (default)"}`)
          .join(" ");
        return { ...base, value: { kind: "structured", values, given }, display, problems };
      }
      // numeric-pairs: pairs of equal-width numbers; 8-byte members when the size allows.
      const width = d.length % 16 === 0 ? 8 : d.length % 8 === 0 ? 4 : 0;
      if (width === 0 || d.length === 0) {
        return { ...base, value: { kind: "raw", bytes: rawHex(d) }, display: rawHex(d), problems: [`descriptor of ${d.length} bytes is not ${desc.fields.join("/")} pairs`] };
      }
      const pairs: [bigint, bigint][] = [];
      for (let at = 0; at < d.length; at += 2 * width) pairs.push([le(d, at, width), le(d, at + width, width)]);
      const display = pairs.map(([a, b]) => `${desc.fields[0]}=${hex(a)} ${desc.fields[1]}=${hex(b)}`).join("; ");
      return { ...base, value: { kind: "pairs", pairs }, display, problems: [] };
    }
  }
}
