import type { ElfFile } from "../elf/elfTypes.js";
import { crc32 } from "../_internals/crc32.js";
import type { SegmentFacts } from "./BootCase.js";

const PT_LOAD = 1;

/** The facts of an image's loaded segments that the checks compare guest memory with. */
export function segmentFacts(elf: ElfFile, image: Uint8Array): SegmentFacts[] {
  return elf.programHeaders
    .filter((p) => p.type === PT_LOAD && p.memsz > 0n)
    .map((p) => ({
      paddr: Number(p.paddr),
      offset: Number(p.offset),
      filesz: Number(p.filesz),
      memsz: Number(p.memsz),
      flags: p.flags,
      align: Number(p.align),
      crc32: crc32(image.subarray(Number(p.offset), Number(p.offset + p.filesz))),
    }));
}
