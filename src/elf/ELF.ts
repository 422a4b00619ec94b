/**
 * Numeric constants, named as in the specifications they come from.
 * gABI: https://www.sco.com/developers/gabi/latest/ (ch4.eheader, ch4.sheader, ch5.pheader).
 * Machine numbers: gABI ch4.eheader e_machine table.
 * XEN_ELFNOTE_PHYS32_ENTRY: Xen public header xen/include/public/elfnote.h.
 * Extended numbering (PN_XNUM, section 0 sh_size/sh_link/sh_info): gABI
 * ch4.sheader "Section Header Table Entry: Index 0" and Oracle Solaris
 * Linkers and Libraries Guide, "Extended Section Header".
 */
export const ELF = Object.freeze({
  EI_NIDENT: 16,
  MAGIC: Object.freeze([0x7f, 0x45, 0x4c, 0x46] as const),
  ELFCLASS32: 1,
  ELFCLASS64: 2,
  ELFDATA2LSB: 1,
  ELFDATA2MSB: 2,
  EV_CURRENT: 1,

  ET_NONE: 0,
  ET_REL: 1,
  ET_EXEC: 2,
  ET_DYN: 3,
  ET_CORE: 4,

  EM_386: 3,
  EM_X86_64: 62,

  PT_NULL: 0,
  PT_LOAD: 1,
  PT_DYNAMIC: 2,
  PT_INTERP: 3,
  PT_NOTE: 4,
  PT_SHLIB: 5,
  PT_PHDR: 6,
  PT_TLS: 7,
  PT_GNU_STACK: 0x6474e551,

  PF_X: 1,
  PF_W: 2,
  PF_R: 4,

  SHT_NULL: 0,
  SHT_PROGBITS: 1,
  SHT_SYMTAB: 2,
  SHT_STRTAB: 3,
  SHT_NOTE: 7,
  SHT_NOBITS: 8,

  SHF_WRITE: 1,
  SHF_ALLOC: 2,
  SHF_EXECINSTR: 4,

  SHN_UNDEF: 0,
  SHN_LORESERVE: 0xff00,
  SHN_XINDEX: 0xffff,
  PN_XNUM: 0xffff,

  XEN_ELFNOTE_PHYS32_ENTRY: 18,
});
