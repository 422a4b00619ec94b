import { probeLayout } from "./probeBytes.js";

/** A loaded segment as the probe is told about it. */
export interface ProbeParamLoad {
  paddr: number;
  filesz: number;
  memsz: number;
}

const MAGIC = 0x70485650; // "PVHp" little endian

/**
 * Write the probe's parameter block: the image's PT_LOAD segments, each as its
 * distance from the entry (so the probe finds them wherever a loader relocated
 * the image), filesz and memsz. `at` is where the probe starts inside `bytes`.
 */
export function fillProbeParams(bytes: Uint8Array, at: number, entry: number, loads: readonly ProbeParamLoad[]): void {
  if (loads.length > probeLayout.maxSegments) throw new Error(`the probe describes at most ${probeLayout.maxSegments} segments, not ${loads.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + at + probeLayout.params, 8 + 12 * probeLayout.maxSegments);
  if (view.getUint32(0, true) !== MAGIC) throw new Error(`no probe parameter block at offset 0x${(at + probeLayout.params).toString(16)}`);
  view.setUint32(4, loads.length, true);
  loads.forEach((l, i) => {
    view.setInt32(8 + 12 * i, l.paddr - entry, true);
    view.setUint32(12 + 12 * i, l.filesz, true);
    view.setUint32(16 + 12 * i, l.memsz, true);
  });
}
