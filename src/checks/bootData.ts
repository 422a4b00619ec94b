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
    at, info: null, version: 0, size: 0,
    modlist: { entries: [], readable: false }, memmap: { entries: [], readable: false },
    cmdline: null, moduleCmdlines: [],
  };
  if (!head) return empty;
  const version = si.readVersion(head) ?? 0;
  // Unknown later versions are promised backwards compatible: read what version 1 defines.
  const known = Math.min(version, 1);
  const full = mem.read(at, si.size(known));
  if (!full) return { ...empty, info: si.decode(head, 0, 0), version, size: si.size(0) };
  const info = si.decode(full, 0, known);

  const ml = codecs.modlistEntry();
  const modlist = { entries: [] as ModlistEntry[], readable: true };
  const n = Math.min(info.nr_modules, MAX_ENTRIES);
  if (n > 0 && info.modlist_paddr !== 0n) {
    const b = mem.read(Number(info.modlist_paddr), n * ml.size());
    if (b) for (let i = 0; i < n; i++) modlist.entries.push(ml.decode(b, i * ml.size()));
    else modlist.readable = false;
  }

  const mm = codecs.memmapEntry();
  const memmap = { entries: [] as MemmapEntry[], readable: true };
  const m = Math.min(info.memmap_entries ?? 0, MAX_ENTRIES);
  if (known >= 1 && m > 0 && info.memmap_paddr !== 0n) {
    const b = mem.read(Number(info.memmap_paddr), m * mm.size());
    if (b) for (let i = 0; i < m; i++) memmap.entries.push(mm.decode(b, i * mm.size()));
    else memmap.readable = false;
  }

  const cmdline = info.cmdline_paddr === 0n ? null : readCString(mem, Number(info.cmdline_paddr));
  const moduleCmdlines = modlist.entries.map((e) => (e.cmdline_paddr === 0n ? null : readCString(mem, Number(e.cmdline_paddr))));
  return { at, info, version, size: si.size(known), modlist, memmap, cmdline, moduleCmdlines };
}
