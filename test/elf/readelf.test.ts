import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildElf, type ElfSpec, type NoteInput } from "../../src/elf/buildElf.js";
import { ELF } from "../../src/elf/ELF.js";
import type { ElfFile, ElfNoteRegion } from "../../src/elf/elfTypes.js";
import { readElf } from "../../src/elf/readElf.js";
import { SEED, cName, specArb } from "./_arbitraries.js";
import { findReadelf, parseReadelf, runReadelf, splitByFile, type ReadelfNoteGroup, type ReadelfView } from "./_readelf.js";

const PT_NAMES: Record<number, string> = { 0: "NULL", 1: "LOAD", 4: "NOTE", [ELF.PT_GNU_STACK]: "GNU_STACK" };
const SHT_NAMES: Record<number, string> = { 0: "NULL", 1: "PROGBITS", 3: "STRTAB", 7: "NOTE", 8: "NOBITS" };
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const phFlags = (f: number): string => (f & ELF.PF_R ? "R" : " ") + (f & ELF.PF_W ? "W" : " ") + (f & ELF.PF_X ? "E" : " ");
const shFlags = (f: bigint): string =>
  (f & BigInt(ELF.SHF_WRITE) ? "W" : "") + (f & BigInt(ELF.SHF_ALLOC) ? "A" : "") + (f & BigInt(ELF.SHF_EXECINSTR) ? "X" : "");

/** readelf -n shows SHT_NOTE sections if there are any (non-core files), else PT_NOTE segments. */
function regionsReadelfShows(elf: ElfFile): ElfNoteRegion[] {
  const useSections =
    elf.header.type !== ELF.ET_CORE && elf.sectionTable === "ok" && elf.sectionHeaders.some((s) => s.type === ELF.SHT_NOTE);
  // process_notes_at() returns before printing anything for an empty region.
  return (useSections ? elf.sectionNotes : elf.segmentNotes).filter((r) => r.size > 0n);
}

function expectedGroups(elf: ElfFile): ReadelfNoteGroup[] {
  return regionsReadelfShows(elf).map((r) => ({
    section: r.source.kind === "section" ? r.source.name : undefined,
    offset: r.source.kind === "segment" ? r.offset : undefined,
    length: r.source.kind === "segment" ? r.size : undefined,
    notes: r.notes.map((n) => ({ owner: n.namesz === 0 ? "(NONE)" : cName(n.nameBytes), descsz: n.descsz, desc: hex(n.desc) })),
  }));
}

function compare(elf: ElfFile, view: ReadelfView): void {
  expect(view.header.get("Class")).toBe(`ELF${elf.header.class}`);
  expect(BigInt(view.header.get("Entry point address") ?? "-1")).toBe(elf.header.entry);
  expect(view.header.get("Number of program headers")).toBe(String(elf.header.phnum));
  expect(view.header.get("Number of section headers")).toBe(String(elf.header.shnum));

  expect(view.phdrs).toEqual(
    elf.programHeaders.map((p) => ({
      type: PT_NAMES[p.type] ?? `?${p.type}`,
      offset: p.offset,
      vaddr: p.vaddr,
      paddr: p.paddr,
      filesz: p.filesz,
      memsz: p.memsz,
      flags: phFlags(p.flags),
      align: p.align,
    })),
  );
  expect(view.shdrs).toEqual(
    elf.sectionHeaders.map((s) => ({
      index: s.index,
      name: s.name ?? "?",
      type: SHT_NAMES[s.type] ?? `?${s.type}`,
      addr: s.addr,
      offset: s.offset,
      size: s.size,
      flags: shFlags(s.flags),
      align: s.addralign,
    })),
  );
  expect(view.noteGroups).toEqual(expectedGroups(elf));
}

const readelf = findReadelf();
const inCI = process.env.CI === "true";
const workDir = readelf ? mkdtempSync(join(tmpdir(), "pvh-elf-readelf-")) : undefined;
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Writes images and runs one readelf over each batch; returns parsed views in order. */
function readelfViews(cmd: string, images: Uint8Array[], tag: string): ReadelfView[] {
  const views: ReadelfView[] = [];
  for (let start = 0; start < images.length; start += 100) {
    const files = images.slice(start, start + 100).map((bytes, i) => {
      const f = join(workDir!, `${tag}-${start + i}.elf`);
      writeFileSync(f, bytes);
      return f;
    });
    const r = runReadelf(cmd, ["-W", "-h", "-l", "-S", "-n", ...files]);
    expect(r.stderr).toBe("");
    const byFile = files.length === 1 ? new Map([[files[0]!, r.stdout]]) : splitByFile(r.stdout);
    for (const f of files) {
      const text = byFile.get(f);
      expect(text, `readelf output for ${f}`).toBeDefined();
      views.push(parseReadelf(text!));
    }
  }
  return views;
}

describe("readElf agrees with GNU readelf", () => {
  if (!readelf) {
    if (inCI) {
      it("GNU readelf is available (required when CI=true)", () => {
        throw new Error("readelf not found on PATH (install binutils or set READELF)");
      });
    } else {
      it.skip("skipped: GNU readelf not found on PATH (install binutils or set READELF)", () => {});
    }
    return;
  }
  const cmd = readelf;
  const specs = fc.sample(specArb, { seed: SEED, numRuns: 300 });

  it("on 300 generated images: file header, program headers, section headers, notes", () => {
    const images = specs.map((s) => buildElf(s).bytes);
    const views = readelfViews(cmd, images, "gen");
    // Make sure the sample really covers what it is meant to.
    const elfs = images.map((b) => readElf(b));
    expect(elfs.filter((e) => e.header.class === 32).length).toBeGreaterThan(50);
    expect(elfs.filter((e) => e.sectionTable === "absent" && e.segmentNotes.some((r) => r.notes.length > 0)).length).toBeGreaterThan(30);
    expect(elfs.filter((e) => e.segmentNotes.length >= 2).length).toBeGreaterThan(30);
    expect(elfs.filter((e) => e.segmentNotes.some((r) => r.align === 8 && r.notes.length > 1)).length).toBeGreaterThan(30);
    elfs.forEach((elf, i) => compare(elf, views[i]!));
  });

  it("on the PT_NOTE segments of the same images (ET_CORE makes readelf walk segments)", () => {
    const withNotes = specs.filter((s) => (s.segments ?? []).some((g) => g.kind === "note" && g.notes.length > 0));
    expect(withNotes.length).toBeGreaterThan(100);
    const images = withNotes.map((s) => buildElf({ ...s, overrides: { ehdr: { e_type: ELF.ET_CORE } } }).bytes);
    const views = readelfViews(cmd, images, "core");
    images.forEach((bytes, i) => {
      const elf = readElf(bytes);
      expect(elf.header.type).toBe(ELF.ET_CORE);
      expect(views[i]!.noteGroups).toEqual(expectedGroups(elf));
    });
  });

  it("on malformed note regions: same records before the bad one, same complaint at the same offset", () => {
    type Mode = "shrink" | "namesz" | "descsz" | "align";
    const cases = fc.sample(
      fc.record({
        spec: specArb.filter((s) => (s.segments ?? []).some((g) => g.kind === "note" && g.notes.length > 0)),
        mode: fc.constantFrom<Mode>("shrink", "namesz", "descsz", "align"),
        cut: fc.integer({ min: 1, max: 1000 }),
        huge: fc.integer({ min: 0x1000, max: 0xffffffff }),
        badAlign: fc.constantFrom(5n, 16n, 0x1000n, 1n << 40n),
      }),
      { seed: SEED + 1, numRuns: 120 },
    );
    let seen = 0;
    const codes = new Set<string>();
    for (const [n, c] of cases.entries()) {
      const segs = [...(c.spec.segments ?? [])];
      const target = segs.findIndex((g) => g.kind === "note" && g.notes.length > 0);
      const seg = segs[target]!;
      if (seg.kind !== "note") continue;
      // readelf shows either sections or segments; keep the target visible in both.
      segs[target] = { ...seg, section: true };
      if (c.mode === "namesz" || c.mode === "descsz") {
        const bad: NoteInput = {
          raw: { type: 18, nameBytes: new TextEncoder().encode("Xen\0"), desc: new Uint8Array(4), [c.mode]: c.huge },
        };
        segs[target] = { ...seg, section: true, notes: [...seg.notes, bad] };
      }
      // Only the target region is broken, so readelf's warning (on stderr) belongs to it.
      const spec: ElfSpec = { ...c.spec, class: c.spec.class, segments: segs, noteSections: [], sections: c.spec.sections };
      const first = buildElf(spec);
      const l = first.layout.segments[target]!;
      const secIdx = l.sectionIndex;
      let overrides = {};
      if (c.mode === "shrink") {
        const last = l.notes[l.notes.length - 1]!;
        const size = l.filesz - (1 + (c.cut % (last.size - 1)));
        overrides = { phdrs: { [target]: { p_filesz: size } }, ...(secIdx ? { shdrs: { [secIdx]: { sh_size: size } } } : {}) };
      } else if (c.mode === "align") {
        overrides = {
          phdrs: { [target]: { p_align: c.badAlign } },
          ...(secIdx ? { shdrs: { [secIdx]: { sh_addralign: c.badAlign } } } : {}),
        };
      }
      if (c.spec.class === 32 && c.badAlign > 0xffffffffn && c.mode === "align") continue;
      const { bytes } = buildElf({ ...spec, overrides });
      const elf = readElf(bytes);
      const file = join(workDir!, `bad-${n}.elf`);
      writeFileSync(file, bytes);
      const r = runReadelf(cmd, ["-W", "-n", file]);
      const view = parseReadelf(r.stdout);
      const shown = regionsReadelfShows(elf);
      const broken = shown.filter((x) => x.problems.length > 0);
      expect(broken.length, `case ${n} (${c.mode})`).toBe(1);
      const region = broken[0]!;
      const problem = region.problems[0]!;
      // Groups readelf printed: a bad-alignment region still gets its "Displaying notes" line.
      expect(view.noteGroups, `case ${n} (${c.mode})`).toEqual(expectedGroups(elf));
      const rel = problem.offset! - region.offset;
      switch (problem.code) {
        case "note-name-overflow":
        case "note-desc-overflow":
          // printf("%#tx") prints zero without the 0x.
          expect(r.stderr).toContain(`note with invalid namesz and/or descsz found at offset ${rel === 0n ? "0" : `0x${rel.toString(16)}`}\n`);
          break;
        case "note-header-truncated":
          expect(r.stderr).toMatch(new RegExp(`Corrupt note: only ${region.size - rel} bytes? remains?`));
          break;
        case "note-bad-align":
          expect(r.stderr).toContain(`Corrupt note: alignment ${region.declaredAlign}, expecting 4 or 8`);
          break;
        default:
          throw new Error(`case ${n}: unexpected problem ${problem.code}`);
      }
      seen++;
      codes.add(problem.code);
    }
    expect(seen).toBeGreaterThan(80);
    expect([...codes].sort()).toEqual(["note-bad-align", "note-desc-overflow", "note-header-truncated", "note-name-overflow"]);
  });
});
