import { crc32 } from "../src/_internals/crc32.js";

// "PVHP <body> *<crc>" as probe.S frames a line (probe/parseProbeReport.ts reads the same shape).
const FRAME = /PVHP ([^*\r\n]*?) \*[0-9a-fA-F]{8}/g;

/**
 * Give every frame of console text the CRC-32 its body has, so a mutated line is
 * judged on what it says rather than dropped at the checksum.
 */
export function fixFrameCrcs(text: string): string {
  return text.replace(FRAME, (_m, body: string) => {
    const framed = `PVHP ${body}`;
    return `${framed} *${crc32(Buffer.from(framed, "latin1")).toString(16).padStart(8, "0")}`;
  });
}
