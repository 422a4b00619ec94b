import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/_internals/packageRoot.js";
import { jsonSchemas, publishedSchemas } from "../../src/publishedSchemas.js";
import { loadSpec } from "../../src/spec/loadSpec.js";
import { RequirementCatalogue, sourceProblems, specFiles, type SpecFileName } from "../../src/spec/schemas.js";

const root = packageRoot();
const names = Object.keys(specFiles) as SpecFileName[];
const readJson = (...p: string[]): unknown => JSON.parse(readFileSync(join(root, ...p), "utf8"));

describe("spec/ data and its published JSON Schemas", () => {
  it.each(Object.keys(publishedSchemas))("spec/schema/%s.schema.json matches the zod source (run npm run spec:export)", (name) => {
    expect(readJson("spec", "schema", `${name}.schema.json`)).toEqual(jsonSchemas()[name]);
  });

  it.each(names)("ajv validates spec/%s.json against its published schema", (name) => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(readJson("spec", "schema", `${name}.schema.json`) as object);
    const ok = validate(readJson("spec", `${name}.json`));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(names)("zod (the source) accepts spec/%s.json, refinements included", (name) => {
    expect(() => specFiles[name].parse(readJson("spec", `${name}.json`))).not.toThrow();
  });

  it("ajv rejects a catalogue entry that breaks the schema (the schema has teeth)", () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(readJson("spec", "schema", "requirements.schema.json") as object);
    const cat = readJson("spec", "requirements.json") as { requirements: Record<string, unknown>[] };
    const bad = structuredClone(cat);
    bad.requirements[0]!["level"] = "may";
    expect(validate(bad)).toBe(false);
    const badId = structuredClone(cat);
    badId.requirements[0]!["id"] = "PVH.Cpu.TR";
    expect(validate(badId)).toBe(false);
  });
});

describe("requirement catalogue", () => {
  const { requirements } = loadSpec().requirements;

  it("has unique ids", () => {
    const ids = requirements.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("points every source at a document of the table, pinned at one revision, with an anchor of that document's form", () => {
    const { documents } = loadSpec().requirements;
    expect(sourceProblems({ documents, requirements })).toEqual([]);
    for (const [name, d] of Object.entries(documents)) expect(d.revision, name).toMatch(/^(commit:[0-9a-f]{7,40}|tag:\S+|edition:\S.*)$/);
    // Every document is cited by a requirement or a field table (an unused one would pin nothing).
    const { layouts, notes } = loadSpec();
    const tables = [...Object.entries(layouts.enums).map(([id, e]) => ({ id, source: e.source })), ...layouts.structures.map((t) => ({ id: t.name, source: t.source })), { id: "notes", source: notes.source }];
    expect(sourceProblems({ documents, requirements: tables })).toEqual([]);
    const cited = new Set([...requirements, ...tables].map((r) => r.source.split("#")[0]));
    expect(Object.keys(documents).filter((d) => !cited.has(d) && !requirements.some((r) => r.note?.includes(d)))).toEqual([]);
  });

  it("rejects a source that names no document, or an anchor the document's form does not allow (the check has teeth)", () => {
    const cat = structuredClone(loadSpec().requirements);
    const withSource = (id: string, source: string) => ({ ...cat, requirements: cat.requirements.map((r) => (r.id === id ? { ...r, source } : r)) });
    // The anchors before the audit: pvh.pandoc is cited by line, and it has no anchor "tr".
    expect(sourceProblems(withSource("pvh.cpu.tr", "pvh.pandoc#tr"))).toEqual(['pvh.cpu.tr: anchor "tr" is not of the form lines that pvh.pandoc is cited by']);
    expect(sourceProblems(withSource("pvh.cpu.tr", "xen-pvh-guest#memmap"))).toEqual(["pvh.cpu.tr: source xen-pvh-guest#memmap names no document of the table"]);
    expect(sourceProblems(withSource("pvh.cpu.tr", "pvh.pandoc#L29-L20"))).toEqual(["pvh.cpu.tr: line range L29-L20 runs backwards"]);
    expect(sourceProblems(withSource("pvh.interop.cpl0", "linux-pvh-head#L12-L14"))).toHaveLength(1);
    expect(sourceProblems(withSource("pvh.rsdp.valid", "acpi#5.2.5"))).toEqual([]);
    // zod, the source of the published schema, applies the same rule.
    expect(RequirementCatalogue.safeParse(withSource("pvh.cpu.tr", "pvh.pandoc#tr")).success).toBe(false);
    expect(RequirementCatalogue.safeParse(cat).success).toBe(true);
  });

  it("says why a requirement has no check, and only of one that has none", () => {
    const unchecked = requirements.filter((r) => r.unchecked !== undefined).map((r) => r.id);
    expect(unchecked).toEqual(["pvh.mtrr.ram-wb"]);
  });

  it("covers the kernel-side and loader-side areas of the ABI", () => {
    const areas = new Set(requirements.map((r) => r.id.split(".")[1]));
    for (const a of ["image", "note", "load", "start-info", "cmdline", "modlist", "module", "rsdp", "memmap", "cpu", "interop"]) {
      expect(areas, a).toContain(a);
    }
    // Every entry register the text defines has its own requirement.
    for (const reg of ["eip", "ebx", "cr0", "cr4", "cs", "ds", "es", "ss", "tr", "eflags"]) {
      expect(requirements.map((r) => r.id)).toContain(`pvh.cpu.${reg}`);
    }
    expect(requirements.filter((r) => r.level === "interop").length).toBeGreaterThanOrEqual(9);
  });
});

describe("note catalogue", () => {
  const { notes } = loadSpec().notes;
  it("lists every Xen note type from 0 to 19 once", () => {
    expect(notes.map((n) => n.type).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
  it("describes PHYS32_ENTRY and PHYS32_RELOC as the ABI does", () => {
    expect(notes.find((n) => n.type === 18)?.descriptor).toEqual({ kind: "numeric", sizes: [4, 8] });
    const reloc = notes.find((n) => n.type === 19)?.descriptor;
    expect(reloc).toMatchObject({ kind: "structured", layout: "u32-list", fields: ["align", "min", "max"] });
  });
});
