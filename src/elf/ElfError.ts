/**
 * Fatal reader errors. Only conditions that make the program header table
 * unreadable are fatal; everything past that (sections, notes) is reported as
 * a problem entry on the result instead, so a broken section table never
 * hides the PT_NOTE segments a boot loader would actually use.
 */
export type ElfErrorCode =
  /** The file (or the declared file size) ends before a required structure. */
  | "truncated"
  /** Prefix mode only: the structure lies inside the file but past the prefix. See `need`. */
  | "need-more"
  | "bad-magic"
  /** EI_CLASS is neither ELFCLASS32 nor ELFCLASS64. */
  | "bad-class"
  /** EI_DATA is neither ELFDATA2LSB nor ELFDATA2MSB. */
  | "bad-data"
  /** e_phentsize is smaller than the class's Elf_Phdr while e_phnum > 0. */
  | "bad-phentsize"
  /** The program header table extends past the end of the file. */
  | "phdr-out-of-bounds";

export class ElfError extends Error {
  override readonly name = "ElfError";
  readonly code: ElfErrorCode;
  /** File offset the error is about, when there is one. */
  readonly offset: bigint | undefined;
  /** For "need-more": the prefix length that would let parsing proceed past this point. */
  readonly need: number | undefined;

  constructor(code: ElfErrorCode, message: string, details: { offset?: bigint; need?: number } = {}) {
    super(`${code}: ${message}`);
    this.code = code;
    this.offset = details.offset;
    this.need = details.need;
  }
}
