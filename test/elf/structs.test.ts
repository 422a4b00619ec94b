import { describe, expect, it } from "vitest";
import { buildElf } from "../../src/elf/buildElf.js";
import { EHDR, IDENT, NHDR, PHDR, SHDR } from "../../src/elf/_internals/structs.js";

// Sizes and a few offsets restated from the gABI figures, as an independent
// check on the accumulated tables (Elf32_Ehdr 52, Elf64_Ehdr 64, ...).
describe("structure tables", () => {
  it("have the gABI sizes", () => {
    expect([EHDR[32].size, EHDR[64].size]).toEqual([52, 64]);
    expect([PHDR[32].size, PHDR[64].size]).toEqual([32, 56]);
    expect([SHDR[32].size, SHDR[64].size]).toEqual([40, 64]);
    expect([IDENT.size, NHDR.size]).toEqual([16, 12]);
  });

  it("place the fields where the C structs do", () => {
    expect([EHDR[32].fields.e_phoff.offset, EHDR[64].fields.e_phoff.offset]).toEqual([28, 32]);
    expect([EHDR[32].fields.e_shstrndx.offset, EHDR[64].fields.e_shstrndx.offset]).toEqual([50, 62]);
    expect([PHDR[32].fields.p_flags.offset, PHDR[64].fields.p_flags.offset]).toEqual([24, 4]);
    expect([PHDR[32].fields.p_align.offset, PHDR[64].fields.p_align.offset]).toEqual([28, 48]);
    expect([SHDR[32].fields.sh_addralign.offset, SHDR[64].fields.sh_addralign.offset]).toEqual([32, 48]);
    expect([IDENT.fields.ei_class.offset, IDENT.fields.ei_data.offset, IDENT.fields.ei_pad.offset]).toEqual([4, 5, 9]);
  });
});

describe("buildElf refuses specs it cannot encode", () => {
  it("values too wide for ELF32", () => {
    expect(() => buildElf({ class: 32, entry: 1n << 32n })).toThrow(RangeError);
    expect(() => buildElf({ class: 32, segments: [{ kind: "load", vaddr: 1n << 33n, data: new Uint8Array(1) }] })).toThrow(RangeError);
  });

  it("note sections without section headers, unknown flag letters, patches outside the image", () => {
    expect(() => buildElf({ class: 64, sections: "none", noteSections: [{ notes: [] }] })).toThrow(/section headers/);
    expect(() => buildElf({ class: 64, segments: [{ kind: "load", vaddr: 0, data: new Uint8Array(1), flags: "RQ" }] })).toThrow(/flags/);
    expect(() => buildElf({ class: 64, patch: (p) => p.phdr(1000, "p_type", 1) })).toThrow(RangeError);
  });
});
