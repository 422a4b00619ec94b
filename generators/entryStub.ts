import { probeImage } from "../probe/probeImage.js";

/** What a generated kernel runs at its entry. */
export type EntryCode = "halt" | "probe";

/**
 * The code placed at a generated kernel's entry point. By default a halt loop
 * (`hlt; jmp .-1`: F4 EB FD): it keeps the CPU at the entry's doorstep for a
 * debugger. "probe" is the self-reporting probe guest (probe/README.md), for
 * loaders that cannot be stopped at the entry; its parameter block is filled
 * once the image is laid out (fillProbeParams).
 */
export function entryStub(kind: EntryCode = "halt"): Uint8Array {
  return kind === "probe" ? probeImage() : Uint8Array.of(0xf4, 0xeb, 0xfd);
}
