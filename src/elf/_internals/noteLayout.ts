import { NHDR } from "./structs.js";

/**
 * Note record geometry, shared by the reader and the writer.
 *
 * The record is `namesz, descsz, type` (NHDR) followed by the name and the
 * descriptor, each padded. Padding is computed from the start of the record
 * exactly like binutils include/elf/external.h:
 *   ELF_NOTE_DESC_OFFSET(namesz, align) = ALIGN_UP(12 + namesz, align)
 *   ELF_NOTE_NEXT_OFFSET(namesz, descsz, align)
 *       = ALIGN_UP(ELF_NOTE_DESC_OFFSET(namesz, align) + descsz, align)
 * (The Linux kernel's arch/x86/kernel/elf.c uses the same macros.) For
 * align 4 this is the classic gABI layout; for align 8 the name still starts
 * at offset 12, only the descriptor and the next record are 8-aligned.
 *
 * Values stay below 2^35 (u32 + u32 + small), so plain numbers are exact.
 */
export function alignUp(value: number, align: number): number {
  const r = value % align;
  return r === 0 ? value : value + (align - r);
}

export function noteDescOffset(namesz: number, align: number): number {
  return alignUp(NHDR.size + namesz, align);
}

export function noteNextOffset(namesz: number, descsz: number, align: number): number {
  return alignUp(noteDescOffset(namesz, align) + descsz, align);
}

/**
 * The padding readelf uses for a note region, from its p_align/sh_addralign.
 * binutils readelf.c process_notes_at():
 *   "gABI specifies that notes should be aligned to 4 bytes in 32-bit objects
 *    and to 8 bytes in 64-bit objects. As a Linux extension, we also support
 *    4 byte alignment in 64-bit objects. If section alignment is less than 4,
 *    we treate alignment as 4 bytes."
 *   if (align < 4) align = 4; else if (align != 4 && align != 8) -> "Corrupt note"
 * Note that the ELF class plays no part: an ELF32 region with align 8 is
 * walked with 8-byte padding too. glibc's ld.so applies the same rule to PT_NOTE.
 */
export function noteWalkAlign(declared: bigint): 4 | 8 | undefined {
  if (declared < 4n) return 4;
  if (declared === 4n) return 4;
  if (declared === 8n) return 8;
  return undefined;
}
