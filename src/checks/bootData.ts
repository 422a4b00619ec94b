import { codecs } from "../abi/codecs.js";
import type { MemmapEntry, ModlistEntry, StartInfo } from "../abi/types.js";
import type { GuestMemory } from "../model/GuestMemory.js";
import type { Observation } from "../model/Observation.js";

export interface CString {
  at: number;
  /** The bytes before the NUL, or everything read when there was none. */
  bytes: Uint8Array;
  terminated: boolean;
  /** Whether the bytes were readable at all. */
  readable: boolean;
}

/** start_info and what it points at, decoded once per observation for all checks. */
export interface BootData {
  at: number;
  /** Null when start_info is not readable guest memory. */
  info: StartInfo | null;
  version: number;
  size: number;
  /**
   * Version 1 or later, but only version 0's part is readable (start_info runs off the
   * end of memory): `info` then holds version 0's fields and the memory map is unknown.
   */
  truncated: boolean;
  /**
   * The tables as start_info describes them. `readable` is false when the whole table
   * (all nr_modules or memmap_entries of it, not only the entries decoded) is not guest
   * memory, or when it is missing (address 0) or unknown: then `entries` is not the table.
   * At most MAX_ENTRIES entries are decoded.
   */
  modlist: { entries: ModlistEntry[]; readable: boolean };
  memmap: { entries: MemmapEntry[]; readable: boolean };
  cmdline: CString | null;
  moduleCmdlines: (CString | null)[];
}

/** Longest string a check reads while looking for a NUL (the suite's cmdlines reach 64 KiB). */
export const MAX_STRING = 1 << 20;
const MAX_ENTRIES = 4096;

export function readCString(memory: GuestMemory, at: number, max = MAX_STRING): CString {
  const parts: Uint8Array[] = [];
  let total = 0;
  const chunk = 4096;
  while (total < max) {
    const want = Math.min(chunk - ((at + total) % chunk), max - total);
    const b = memory.read(at + total, want);
    if (!b) break;
    const nul = b.indexOf(0);
    if (nul >= 0) {
      parts.push(b.subarray(0, nul));
      total += nul;
      return { at, bytes: Buffer.concat(parts, total), terminated: true, readable: true };
    }
    parts.push(b);
    total += b.length;
  }
  return { at, bytes: Buffer.concat(parts, total), terminated: false, readable: total > 0 || memory.has(at, 1) };
}

const cache = new WeakMap<Observation, BootData>();

export function bootData(obs: Observation): BootData {
  const seen = cache.get(obs);
  if (seen) return seen;
  const data = decode(obs);
  cache.set(obs, data);
  return data;
}

function decode(obs: Observation): BootData {
  const mem = obs.memory!;
  const at = obs.cpu!.ebx;
  const si = codecs.startInfo();
  const head = mem.read(at, si.size(0));
  const empty: BootData = {
    at, info: null, version: 0, size: 0, truncated: false,
    modlist: { entries: [], readable: false }, memmap: { entries: [], readable: false },
    cmdline: null, moduleCmdlines: [],
  };
  if (!head) return empty;
  const version = si.readVersion(head) ?? 0;
  // Unknown later versions are promised backwards compatible: read what version 1 defines.
  const known = Math.min(version, 1);
  const full = mem.read(at, si.size(known));
  // Cut short: version 0's fields still lead to the command line and the modules.
  const truncated = !full;
  const info = full ? si.decode(full, 0, known) : si.decode(head, 0, 0);

  const modlist = table(mem, info.nr_modules, info.modlist_paddr, codecs.modlistEntry());
  const memmap: BootData["memmap"] = truncated
    ? { entries: [], readable: false }
    : known >= 1
      ? table(mem, info.memmap_entries ?? 0, info.memmap_paddr ?? 0n, codecs.memmapEntry())
      : { entries: [], readable: true };

  const cmdline = info.cmdline_paddr === 0n ? null : readCString(mem, Number(info.cmdline_paddr));
  const moduleCmdlines = modlist.entries.map((e) => (e.cmdline_paddr === 0n ? null : readCString(mem, Number(e.cmdline_paddr))));
  return { at, info, version, size: truncated ? si.size(0) : si.size(known), truncated, modlist, memmap, cmdline, moduleCmdlines };
}

/** A table of `count` entries at `paddr`: readable only when all of it is guest memory. */
function table<T>(mem: GuestMemory, count: number, paddr: bigint, codec: { size(): number; decode(b: Uint8Array, at: number): T }): { entries: T[]; readable: boolean } {
  if (count === 0) return { entries: [], readable: true };
  if (paddr === 0n) return { entries: [], readable: false };
  const size = codec.size();
  if (!mem.has(Number(paddr), count * size)) return { entries: [], readable: false };
  const n = Math.min(count, MAX_ENTRIES);
  const b = mem.read(Number(paddr), n * size);
  if (!b) return { entries: [], readable: false };
  return { entries: Array.from({ length: n }, (_, i) => codec.decode(b, i * size)), readable: true };
}
