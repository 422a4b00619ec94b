import { loadSpec } from "../spec/loadSpec.js";
import { structCodec } from "./structCodec.js";

function constOf(structure: string, field: string): number {
  const f = structCodec(structure).field(field).spec;
  if (!f.const) throw new Error(`${structure}.${field} has no const in the spec`);
  return Number.parseInt(f.const, 16);
}

/** Named values that code needs, each read from spec/ rather than written again. */
export const abi = {
  get startInfoMagic(): number {
    return constOf("hvm_start_info", "magic");
  },
  get memmapTypes(): Map<number, string> {
    const e = loadSpec().layouts.enums["memmap_type"];
    if (!e || !("values" in e)) throw new Error("spec: memmap_type enum missing");
    return new Map(Object.entries(e.values).map(([k, v]) => [Number(k), v]));
  },
  get sifFlags(): Map<number, string> {
    const e = loadSpec().layouts.enums["sif_flags"];
    if (!e || !("bits" in e)) throw new Error("spec: sif_flags enum missing");
    return new Map(Object.entries(e.bits).map(([k, v]) => [1 << Number(k), v]));
  },
};
