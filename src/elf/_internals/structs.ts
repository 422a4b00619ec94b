/**
 * The on-disk layouts of the ELF structures this toolkit touches, written
 * down exactly once. Both the reader and the writer derive every offset
 * from these tables, so a field's position can never disagree between them.
 *
 * Source: System V Application Binary Interface, generic ABI (gABI),
 * "Object Files" chapter, https://www.sco.com/developers/gabi/latest/
 *   - ch4.eheader.html  "ELF Header" (Elf32_Ehdr / Elf64_Ehdr, e_ident indexes)
 *   - ch4.sheader.html  "Sections"   (Elf32_Shdr / Elf64_Shdr)
 *   - ch5.pheader.html  "Program Header" (Elf32_Phdr / Elf64_Phdr) and
 *                       "Note Section" (namesz, descsz, type words)
 * Data type sizes (gABI "Data Representation"): Elf32_Addr/Off/Word = 4,
 * Half = 2; Elf64_Addr/Off/Xword = 8, Word = 4, Half = 2.
 * The field order is the C struct order; there is no implicit padding in
 * any of these structs, which is why offsets are simply accumulated.
 */

export type FieldKind = "uint" | "bytes";

export interface Field<N extends string = string> {
  readonly name: N;
  readonly offset: number;
  readonly width: number;
  readonly kind: FieldKind;
}

export interface Struct<N extends string> {
  readonly size: number;
  readonly fields: { readonly [K in N]: Field<K> };
  readonly order: readonly Field<N>[];
}

type FieldDecl = readonly [name: string, width: number] | readonly [name: string, width: number, kind: FieldKind];

function defineStruct<const D extends readonly FieldDecl[]>(decls: D): Struct<D[number][0]> {
  type N = D[number][0];
  const order: Field<N>[] = [];
  const fields = {} as Record<N, Field<N>>;
  let offset = 0;
  for (const decl of decls) {
    const f: Field<N> = { name: decl[0] as N, offset, width: decl[1], kind: decl[2] ?? "uint" };
    order.push(f);
    fields[f.name] = f;
    offset += decl[1];
  }
  return Object.freeze({ size: offset, fields: Object.freeze(fields), order: Object.freeze(order) }) as Struct<N>;
}

/** e_ident[] (gABI Figure "e_ident[] Identification Indexes"): class-independent bytes. */
export const IDENT = defineStruct([
  ["ei_mag", 4, "bytes"], // EI_MAG0..EI_MAG3
  ["ei_class", 1], // EI_CLASS = 4
  ["ei_data", 1], // EI_DATA = 5
  ["ei_version", 1], // EI_VERSION = 6
  ["ei_osabi", 1], // EI_OSABI = 7
  ["ei_abiversion", 1], // EI_ABIVERSION = 8
  ["ei_pad", 7, "bytes"], // EI_PAD = 9 .. EI_NIDENT-1
] as const);

const EHDR32_DECL = [
  ["e_ident", 16, "bytes"],
  ["e_type", 2],
  ["e_machine", 2],
  ["e_version", 4],
  ["e_entry", 4],
  ["e_phoff", 4],
  ["e_shoff", 4],
  ["e_flags", 4],
  ["e_ehsize", 2],
  ["e_phentsize", 2],
  ["e_phnum", 2],
  ["e_shentsize", 2],
  ["e_shnum", 2],
  ["e_shstrndx", 2],
] as const;

const EHDR64_DECL = [
  ["e_ident", 16, "bytes"],
  ["e_type", 2],
  ["e_machine", 2],
  ["e_version", 4],
  ["e_entry", 8],
  ["e_phoff", 8],
  ["e_shoff", 8],
  ["e_flags", 4],
  ["e_ehsize", 2],
  ["e_phentsize", 2],
  ["e_phnum", 2],
  ["e_shentsize", 2],
  ["e_shnum", 2],
  ["e_shstrndx", 2],
] as const;

// Elf64_Phdr moves p_flags up next to p_type so the 8-byte fields stay aligned.
const PHDR32_DECL = [
  ["p_type", 4],
  ["p_offset", 4],
  ["p_vaddr", 4],
  ["p_paddr", 4],
  ["p_filesz", 4],
  ["p_memsz", 4],
  ["p_flags", 4],
  ["p_align", 4],
] as const;

const PHDR64_DECL = [
  ["p_type", 4],
  ["p_flags", 4],
  ["p_offset", 8],
  ["p_vaddr", 8],
  ["p_paddr", 8],
  ["p_filesz", 8],
  ["p_memsz", 8],
  ["p_align", 8],
] as const;

const SHDR32_DECL = [
  ["sh_name", 4],
  ["sh_type", 4],
  ["sh_flags", 4],
  ["sh_addr", 4],
  ["sh_offset", 4],
  ["sh_size", 4],
  ["sh_link", 4],
  ["sh_info", 4],
  ["sh_addralign", 4],
  ["sh_entsize", 4],
] as const;

const SHDR64_DECL = [
  ["sh_name", 4],
  ["sh_type", 4],
  ["sh_flags", 8],
  ["sh_addr", 8],
  ["sh_offset", 8],
  ["sh_size", 8],
  ["sh_link", 4],
  ["sh_info", 4],
  ["sh_addralign", 8],
  ["sh_entsize", 8],
] as const;

export const EHDR = { 32: defineStruct(EHDR32_DECL), 64: defineStruct(EHDR64_DECL) } as const;
export const PHDR = { 32: defineStruct(PHDR32_DECL), 64: defineStruct(PHDR64_DECL) } as const;
export const SHDR = { 32: defineStruct(SHDR32_DECL), 64: defineStruct(SHDR64_DECL) } as const;

/**
 * Note entry header: three 4-byte words in both classes. The gABI text says
 * 64-bit objects use 8-byte words, but every producer and consumer in
 * practice (Linux Elf64_Nhdr, binutils Elf_External_Note) uses 4-byte words.
 */
export const NHDR = defineStruct([
  ["n_namesz", 4],
  ["n_descsz", 4],
  ["n_type", 4],
] as const);

export type ElfClass = 32 | 64;
export type IdentField = keyof typeof IDENT.fields;
export type EhdrField = Exclude<keyof (typeof EHDR)[32]["fields"], "e_ident">;
export type PhdrField = keyof (typeof PHDR)[32]["fields"];
export type ShdrField = keyof (typeof SHDR)[32]["fields"];
