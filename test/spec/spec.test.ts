import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/_internals/packageRoot.js";
import { jsonSchemas, publishedSchemas } from "../../src/publishedSchemas.js";
import { loadSpec } from "../../src/spec/loadSpec.js";
import { specFiles, type SpecFileName } from "../../src/spec/schemas.js";

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
  const { requirements, sources } = loadSpec().requirements;

  it("has unique ids", () => {
    const ids = requirements.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("names only sources it defines", () => {
    for (const r of requirements) expect(Object.keys(sources), r.id).toContain(r.source.split("#")[0]);
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
