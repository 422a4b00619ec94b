import { loadSpec } from "../spec/loadSpec.js";
import type { Field, FieldType, Structure } from "../spec/schemas.js";

const SIZE: Record<Exclude<FieldType, "bytes">, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

export interface CompiledField {
  name: string;
  /** Offset from the start of the structure (the spec's offset less the structure's base). */
  offset: number;
  size: number;
  type: FieldType;
  since: number;
  spec: Field;
}

/** A field's value: u8/u16/u32 as number, u64 as bigint (so no address loses bits), bytes as Uint8Array. */
export type FieldValue = number | bigint | Uint8Array;

/**
 * Decoder and encoder of one structure of spec/layouts.json. Everything about the
 * layout (offsets, sizes, which version has which field) comes from the spec; this
 * is the only place that turns a field table into byte positions.
 */
export class StructCodec<T extends object = Record<string, FieldValue>> {
  readonly fields: readonly CompiledField[];
  readonly base: number;
  readonly versionField: CompiledField | undefined;
  private readonly byName: Map<string, CompiledField>;

  constructor(readonly structure: Structure) {
    this.base = structure.base ? Number.parseInt(structure.base, 16) : 0;
    this.fields = structure.fields.map((f) => ({
      name: f.name,
      offset: Number.parseInt(f.offset, 16) - this.base,
      size: f.type === "bytes" ? f.length! : SIZE[f.type],
      type: f.type,
      since: f.since ?? 0,
      spec: f,
    }));
    this.byName = new Map(this.fields.map((f) => [f.name, f]));
    this.versionField = structure.versionField ? this.byName.get(structure.versionField) : undefined;
    if (structure.versionField && !this.versionField) {
      throw new Error(`layout ${structure.name}: versionField ${structure.versionField} is not a field`);
    }
  }

  get name(): string {
    return this.structure.name;
  }

  field(name: string): CompiledField {
    const f = this.byName.get(name);
    if (!f) throw new Error(`layout ${this.name} has no field ${name}`);
    return f;
  }

  /** Fields present in a version (all fields when version is undefined). */
  fieldsOf(version?: number): CompiledField[] {
    return version === undefined ? [...this.fields] : this.fields.filter((f) => f.since <= version);
  }

  /** Size in bytes of the structure as a version defines it (every field when undefined). */
  size(version?: number): number {
    let end = 0;
    for (const f of this.fieldsOf(version)) end = Math.max(end, f.offset + f.size);
    return end;
  }

  /** The version recorded in the bytes, when the structure has a version field. */
  readVersion(bytes: Uint8Array, at = 0): number | undefined {
    const vf = this.versionField;
    if (!vf) return undefined;
    if (at + vf.offset + vf.size > bytes.length) return undefined;
    if (vf.type === "bytes") return undefined;
    return Number(readField(view(bytes), at + vf.offset, vf.type));
  }

  /**
   * Decode at `at`. With a version field and no explicit version, the version read
   * from the bytes decides which fields exist, capped to the newest the spec knows
   * ("newer versions are backwards compatible", so unknown tails are ignored).
   * Throws RangeError when the bytes are too short for the fields of that version.
   */
  decode(bytes: Uint8Array, at = 0, version?: number): T {
    const v = version ?? this.readVersion(bytes, at);
    const fields = this.fieldsOf(v);
    const need = at + this.size(v);
    if (need > bytes.length) {
      throw new RangeError(`${this.name}: needs ${this.size(v)} bytes at ${at}, buffer has ${bytes.length - at}`);
    }
    const dv = view(bytes);
    const out: Record<string, FieldValue> = {};
    for (const f of fields) out[f.name] = f.type === "bytes" ? bytes.slice(at + f.offset, at + f.offset + f.size) : readField(dv, at + f.offset, f.type);
    return out as T;
  }

  /** Encode into a fresh buffer of size(version). Missing fields are zero. */
  encode(values: Partial<T>, version?: number): Uint8Array {
    const out = new Uint8Array(this.size(version));
    this.encodeInto(values, out, 0, version);
    return out;
  }

  encodeInto(values: Partial<T>, target: Uint8Array, at = 0, version?: number): void {
    const dv = view(target);
    const vals = values as Record<string, FieldValue | undefined>;
    for (const f of this.fieldsOf(version)) {
      const value = vals[f.name];
      if (f.type === "bytes") {
        const b = value instanceof Uint8Array ? value : new Uint8Array(0);
        if (b.length > f.size) throw new RangeError(`${this.name}.${f.name}: ${b.length} bytes do not fit in ${f.size}`);
        target.fill(0, at + f.offset, at + f.offset + f.size);
        target.set(b, at + f.offset);
        continue;
      }
      writeField(dv, at + f.offset, f.type, value instanceof Uint8Array ? 0 : (value ?? 0), `${this.name}.${f.name}`);
    }
  }
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function readField(dv: DataView, at: number, type: Exclude<FieldType, "bytes">): number | bigint {
  switch (type) {
    case "u8":
      return dv.getUint8(at);
    case "u16":
      return dv.getUint16(at, true);
    case "u32":
      return dv.getUint32(at, true);
    case "u64":
      return dv.getBigUint64(at, true);
  }
}

const MAX: Record<Exclude<FieldType, "bytes">, bigint> = { u8: 0xffn, u16: 0xffffn, u32: 0xffffffffn, u64: 0xffffffffffffffffn };

function writeField(dv: DataView, at: number, type: Exclude<FieldType, "bytes">, value: number | bigint, what: string): void {
  const big = typeof value === "bigint" ? value : BigInt(value);
  if (big < 0n || big > MAX[type]) throw new RangeError(`${what}: ${value} does not fit in ${type}`);
  switch (type) {
    case "u8":
      dv.setUint8(at, Number(big));
      return;
    case "u16":
      dv.setUint16(at, Number(big), true);
      return;
    case "u32":
      dv.setUint32(at, Number(big), true);
      return;
    case "u64":
      dv.setBigUint64(at, big, true);
      return;
  }
}

const codecs = new Map<string, StructCodec<object>>();

/** The codec of a structure named in spec/layouts.json (built once, then shared). */
export function structCodec<T extends object>(name: string): StructCodec<T> {
  let c = codecs.get(name);
  if (!c) {
    const s = loadSpec().layouts.structures.find((x) => x.name === name);
    if (!s) throw new Error(`spec/layouts.json has no structure ${name}`);
    c = new StructCodec(s);
    codecs.set(name, c);
  }
  return c as StructCodec<T>;
}
