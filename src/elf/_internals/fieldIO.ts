import type { Field, Struct } from "./structs.js";

// Callers check bounds before calling; a RangeError escaping from here is a
// reader bug, and the hostile-input tests exist to catch exactly that.
export function readUint(view: DataView, offset: number, width: number, littleEndian: boolean): bigint {
  switch (width) {
    case 1:
      return BigInt(view.getUint8(offset));
    case 2:
      return BigInt(view.getUint16(offset, littleEndian));
    case 4:
      return BigInt(view.getUint32(offset, littleEndian));
    case 8:
      return view.getBigUint64(offset, littleEndian);
    default:
      throw new RangeError(`unsupported field width ${width}`);
  }
}

export function readStruct<N extends string>(
  view: DataView,
  base: number,
  struct: Struct<N>,
  littleEndian: boolean,
): Record<N, bigint> {
  const out = {} as Record<N, bigint>;
  for (const f of struct.order) {
    if (f.kind === "uint") out[f.name] = readUint(view, base + f.offset, f.width, littleEndian);
  }
  return out;
}

export function writeUint(
  view: DataView,
  offset: number,
  width: number,
  littleEndian: boolean,
  value: bigint | number,
  what: string,
): void {
  const v = typeof value === "bigint" ? value : BigInt(value);
  if (v < 0n || v >= 1n << BigInt(width * 8)) {
    throw new RangeError(`${what}: value ${value} does not fit in ${width} byte(s)`);
  }
  switch (width) {
    case 1:
      view.setUint8(offset, Number(v));
      return;
    case 2:
      view.setUint16(offset, Number(v), littleEndian);
      return;
    case 4:
      view.setUint32(offset, Number(v), littleEndian);
      return;
    case 8:
      view.setBigUint64(offset, v, littleEndian);
      return;
    default:
      throw new RangeError(`unsupported field width ${width}`);
  }
}

export function writeField(
  view: DataView,
  base: number,
  field: Field,
  littleEndian: boolean,
  value: bigint | number | Uint8Array,
): void {
  if (field.kind === "bytes" || value instanceof Uint8Array) {
    if (!(value instanceof Uint8Array)) {
      throw new TypeError(`${field.name} is a byte array field; pass a Uint8Array`);
    }
    if (value.length > field.width) {
      throw new RangeError(`${field.name}: ${value.length} bytes do not fit in ${field.width}`);
    }
    new Uint8Array(view.buffer, view.byteOffset + base + field.offset, field.width).fill(0).set(value);
    return;
  }
  writeUint(view, base + field.offset, field.width, littleEndian, value, field.name);
}
