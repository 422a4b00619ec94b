import { codecs } from "../abi/codecs.js";
import { abi } from "../abi/constants.js";
import type { MemmapEntry } from "../abi/types.js";
import { bootData } from "./bootData.js";
import { fail, hex, notApplicable, pass, type Check, type CheckInput } from "./Check.js";
import { kernelRanges } from "./layout.js";

const ONE_MIB = 0x10_0000;
const TYPE_RAM = 1;

const show = (e: MemmapEntry): string => `${hex(e.addr)}+${hex(e.size)} type ${e.type}`;

/** The map, when this start_info has one to judge; else the reason it does not apply. */
function mapOf(input: CheckInput): MemmapEntry[] | string {
  const b = bootData(input.obs);
  if (!b.info) return "no readable start_info";
  if (b.version < 1) return "version 0 has no memory map";
  if (b.truncated) return "start_info is cut short before its memory map fields";
  if ((b.info.memmap_entries ?? 0) === 0) return "memmap_entries is 0";
  if (b.info.memmap_paddr === 0n) return "memmap_paddr is 0";
  if (!b.memmap.readable) return "the memory map is not readable";
  return b.memmap.entries;
}

export const memmapChecks: Check[] = [
  {
    requirement: "pvh.memmap.table",
    run: ({ obs }) => {
      const b = bootData(obs);
      if (!b.info || b.version < 1) return notApplicable("pvh.memmap.table", "no version 1 start_info");
      if (b.truncated) {
        const end = codecs.startInfo().size(1);
        return fail("pvh.memmap.table", "start-info-truncated", `start_info version ${b.version} at ${hex(b.at)} runs off guest memory before its memory map fields`, { expected: `${end} readable bytes at EBX`, seen: `only version 0's ${b.size}`, address: b.at });
      }
      const n = b.info.memmap_entries ?? 0;
      if (n === 0) return pass("pvh.memmap.table", "no map provided (memmap_entries 0)");
      if (b.info.memmap_paddr === 0n) return fail("pvh.memmap.table", "memmap-absent", `memmap_entries is ${n} but memmap_paddr is 0`, { expected: "memmap_paddr != 0", seen: "0" });
      if (!b.memmap.readable) {
        return fail("pvh.memmap.table", "memmap-unreadable", `memory map of ${n} entries at ${hex(b.info.memmap_paddr!)} is not in guest memory`, { expected: "table in RAM", seen: "unreadable", address: Number(b.info.memmap_paddr) });
      }
      return pass("pvh.memmap.table", `${n} entries`);
    },
  },
  {
    requirement: "pvh.memmap.types",
    run: (input) => {
      const map = mapOf(input);
      if (typeof map === "string") return notApplicable("pvh.memmap.types", map);
      const known = abi.memmapTypes;
      const i = map.findIndex((e) => !known.has(e.type));
      return i < 0
        ? pass("pvh.memmap.types")
        : fail("pvh.memmap.types", "memmap-type", `entry ${i} has type ${map[i]!.type}`, { expected: `one of ${[...known.keys()].join(", ")}`, seen: show(map[i]!) });
    },
  },
  {
    requirement: "pvh.memmap.reserved",
    run: (input) => {
      const map = mapOf(input);
      if (typeof map === "string") return notApplicable("pvh.memmap.reserved", map);
      const i = map.findIndex((e) => e.reserved !== 0);
      return i < 0
        ? pass("pvh.memmap.reserved")
        : fail("pvh.memmap.reserved", "reserved-nonzero", `entry ${i} reserved is ${hex(map[i]!.reserved)}`, { expected: "0", seen: hex(map[i]!.reserved) });
    },
  },
  {
    requirement: "pvh.memmap.ram",
    run: (input) => {
      const map = mapOf(input);
      if (typeof map === "string") return notApplicable("pvh.memmap.ram", map);
      const ram = input.obs.ram ?? [];
      const inRam = (s: number, e: number): boolean => ram.some((r) => s >= r.start && e <= r.end);
      const bad = map.find((e) => e.type === TYPE_RAM && !inRam(Number(e.addr), Number(e.addr + e.size)));
      if (bad) {
        return fail("pvh.memmap.ram", "ram-invented", `RAM entry ${show(bad)} lies outside the guest's memory`, {
          expected: `RAM within ${ram.map((r) => `${hex(r.start)}-${hex(r.end)}`).join(", ")}`,
          seen: show(bad),
        });
      }
      // Every byte of guest memory above 1 MiB must be described by some entry.
      for (const r of ram) {
        let at = Math.max(r.start, ONE_MIB);
        const sorted = map.map((e) => ({ s: Number(e.addr), t: Number(e.addr + e.size) })).sort((a, b) => a.s - b.s);
        for (const e of sorted) if (e.s <= at && e.t > at) at = e.t;
        if (at < r.end) {
          return fail("pvh.memmap.ram", "ram-missing", `guest memory from ${hex(at)} is not described by the map`, {
            expected: `${hex(Math.max(r.start, ONE_MIB))}-${hex(r.end)} covered`,
            seen: `gap at ${hex(at)}`,
            address: at,
          });
        }
      }
      // Adjacent RAM entries describe one stretch of RAM: merge them before asking whether it holds the image.
      const ramRuns: { s: number; t: number }[] = [];
      for (const e of map.filter((x) => x.type === TYPE_RAM).map((x) => ({ s: Number(x.addr), t: Number(x.addr + x.size) })).sort((a, b) => a.s - b.s)) {
        const last = ramRuns.at(-1);
        if (last && e.s <= last.t) last.t = Math.max(last.t, e.t);
        else ramRuns.push({ ...e });
      }
      for (const k of kernelRanges(input)) {
        const covered = ramRuns.some((r) => r.s <= k.start && r.t >= k.end);
        if (!covered) return fail("pvh.memmap.ram", "kernel-not-ram", `${k.what} ${hex(k.start)}-${hex(k.end)} is not inside one RAM entry`, { expected: "the loaded image in RAM", seen: map.map(show).join("; "), address: k.start });
      }
      return pass("pvh.memmap.ram");
    },
  },
];
