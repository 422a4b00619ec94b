import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codecs } from "../../src/abi/codecs.js";
import { structCodec, type StructCodec } from "../../src/abi/structCodec.js";
import type { MemmapEntry, ModlistEntry, StartInfo } from "../../src/abi/types.js";
import { loadSpec } from "../../src/spec/loadSpec.js";
import { skipUnlessTool } from "../_support/requireTool.js";

const structures = loadSpec().layouts.structures;

describe("field tables", () => {
  it.each(structures.map((s) => s.name))("%s: fields are contiguous, in order, without overlap", (name) => {
    const c = structCodec(name);
    let end = 0;
    for (const f of c.fields) {
      expect(f.offset, `${name}.${f.name}`).toBe(end);
      end = f.offset + f.size;
    }
  });

  // start_info.h draws version 0 ending at byte 40 (shared/pvh-abi.md's "48" is a slip).
  it("gives the sizes start_info.h states", () => {
    expect(codecs.startInfo().size(0)).toBe(40);
    expect(codecs.startInfo().size(1)).toBe(56);
    expect(codecs.modlistEntry().size()).toBe(32);
    expect(codecs.memmapEntry().size()).toBe(24);
  });

  it("TypeScript views name exactly the spec's fields", () => {
    const startInfo: Record<keyof StartInfo, true> = {
      magic: true, version: true, flags: true, nr_modules: true, modlist_paddr: true, cmdline_paddr: true,
      rsdp_paddr: true, memmap_paddr: true, memmap_entries: true, reserved: true,
    };
    const modlist: Record<keyof ModlistEntry, true> = { paddr: true, size: true, cmdline_paddr: true, reserved: true };
    const memmap: Record<keyof MemmapEntry, true> = { addr: true, size: true, type: true, reserved: true };
    expect(Object.keys(startInfo)).toEqual(codecs.startInfo().fields.map((f) => f.name));
    expect(Object.keys(modlist)).toEqual(codecs.modlistEntry().fields.map((f) => f.name));
    expect(Object.keys(memmap)).toEqual(codecs.memmapEntry().fields.map((f) => f.name));
  });

  const gccSkip = skipUnlessTool("gcc", ["--version"], "apt-get install gcc");
  it.skipIf(gccSkip !== undefined)("agrees with gcc's offsetof on an independent C declaration", () => {
    const dir = mkdtempSync(join(tmpdir(), "pvh-layout-"));
    try {
      const exe = join(dir, "layout");
      execFileSync("gcc", ["-O0", "-o", exe, join(__dirname, "..", "fixtures", "pvh_structs.c")]);
      const c = JSON.parse(execFileSync(exe, { encoding: "utf8" })) as Record<string, [number, number]>;
      const pairs: [string, StructCodec<object>][] = [
        ["start_info_v1", codecs.startInfo()],
        ["modlist_entry", codecs.modlistEntry()],
        ["memmap_entry", codecs.memmapEntry()],
      ];
      for (const [cname, codec] of pairs) {
        for (const f of codec.fields) expect([f.offset, f.size], `${cname}.${f.name}`).toEqual(c[`${cname}.${f.name}`]);
        expect(codec.size(), cname).toBe(c[`sizeof.${cname}`]?.[0]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const u32 = fc.nat({ max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
const params = { seed: 0x5eed, numRuns: 500 };

describe("codecs round-trip (fast-check, fixed seed)", () => {
  it("hvm_start_info v0 and v1", () => {
    const c = codecs.startInfo();
    fc.assert(
      fc.property(fc.constantFrom(0, 1), u32, u32, u64, u64, u64, u64, u32, u32, (version, flags, nr, ml, cl, rsdp, mm, mme, rsv) => {
        const v: StartInfo = { magic: 0x336ec578, version, flags, nr_modules: nr, modlist_paddr: ml, cmdline_paddr: cl, rsdp_paddr: rsdp };
        if (version >= 1) Object.assign(v, { memmap_paddr: mm, memmap_entries: mme, reserved: rsv });
        const bytes = c.encode(v, version);
        expect(bytes.length).toBe(version === 0 ? 40 : 56);
        expect(c.decode(bytes)).toEqual(v);
      }),
      params,
    );
  });

  it("hvm_modlist_entry and hvm_memmap_table_entry, at any offset in a larger buffer", () => {
    fc.assert(
      fc.property(u64, u64, u64, u64, fc.nat(64), (a, b, cc, d, at) => {
        const m = codecs.modlistEntry();
        const buf = new Uint8Array(at + 64);
        const v: ModlistEntry = { paddr: a, size: b, cmdline_paddr: cc, reserved: d };
        m.encodeInto(v, buf, at);
        expect(m.decode(buf, at)).toEqual(v);
        const e = codecs.memmapEntry();
        const w: MemmapEntry = { addr: a, size: b, type: Number(cc & 0xffffffffn), reserved: Number(d & 0xffffffffn) };
        e.encodeInto(w, buf, at);
        expect(e.decode(buf, at)).toEqual(w);
      }),
      params,
    );
  });

  it("decodes a newer version's start_info by the fields it knows (backwards compatible)", () => {
    const c = codecs.startInfo();
    const bytes = new Uint8Array(64);
    c.encodeInto({ magic: 0x336ec578, version: 1, memmap_entries: 3 }, bytes, 0, 1);
    new DataView(bytes.buffer).setUint32(c.field("version").offset, 2, true);
    expect(c.decode(bytes)).toMatchObject({ version: 2, memmap_entries: 3 });
  });

  it("refuses values that do not fit and buffers that are too short", () => {
    const c = codecs.startInfo();
    expect(() => c.encode({ flags: 2 ** 32 } as Partial<StartInfo>, 0)).toThrow(RangeError);
    expect(() => c.decode(new Uint8Array(39), 0, 0)).toThrow(RangeError);
    expect(() => c.decode(new Uint8Array(55), 0, 1)).toThrow(RangeError);
  });
});
