import { codecs } from "../abi/codecs.js";
import { bootData } from "./bootData.js";
import { fail, hex, notApplicable, pass, type Check } from "./Check.js";
import { bootDataRanges, type Placed } from "./layout.js";

const ONE_GIB = 0x4000_0000;
const FOUR_GIB = 0x1_0000_0000;
const LINUX_E820_COPY = 128;
const TYPE_RAM = 1;
/** Legacy VGA and BIOS area: ROM or shadowed ROM on PCs, not dependable RAM. */
const ROM_AREA = { start: 0xa_0000, end: 0x10_0000 };

const showRange = (r: Placed): string => `${r.what} ${hex(r.start)}-${hex(r.end)}`;

export const interopChecks: Check[] = [
  {
    requirement: "pvh.interop.version-1",
    run: ({ obs }) => {
      const b = bootData(obs);
      if (!b.info) return notApplicable("pvh.interop.version-1", "no readable start_info");
      const n = b.info.memmap_entries ?? 0;
      return b.version >= 1 && n > 0
        ? pass("pvh.interop.version-1")
        : fail("pvh.interop.version-1", "no-memmap", `start_info version ${b.version} with ${n} memory map entries: Linux on a non-Xen VMM cannot find its memory`, { expected: "version >= 1 and memmap_entries > 0", seen: `version ${b.version}, memmap_entries ${n}` });
    },
  },
  {
    requirement: "pvh.interop.low-tables",
    run: (input) => {
      // Without a readable start_info, where its tables lie is unknown: no PASS on that.
      if (!bootData(input.obs).info) return notApplicable("pvh.interop.low-tables", "no readable start_info: where its tables lie is unknown");
      const high = bootDataRanges(input).filter((r) => ["start_info", "memmap", "modlist"].includes(r.what) && r.end > ONE_GIB);
      return high.length === 0
        ? pass("pvh.interop.low-tables")
        : fail("pvh.interop.low-tables", "table-above-1g", `${high.map(showRange).join(", ")} above 1 GiB`, { expected: "below 0x40000000", seen: high.map(showRange).join(", "), address: high[0]!.start });
    },
  },
  {
    requirement: "pvh.interop.addresses-32bit",
    run: (input) => {
      const b = bootData(input.obs);
      if (!b.info) return notApplicable("pvh.interop.addresses-32bit", "no readable start_info: where the command line and module 0 lie is unknown");
      const high = bootDataRanges(input).filter((r) => ["cmdline", "module 0"].includes(r.what) && r.end > FOUR_GIB);
      // Module 0's address is in the modlist: unreadable, only a command line above 4 GiB can be judged.
      if (high.length === 0 && b.info.nr_modules > 0 && !b.modlist.readable) return notApplicable("pvh.interop.addresses-32bit", "the modlist is not readable: where module 0 lies is unknown");
      return high.length === 0
        ? pass("pvh.interop.addresses-32bit")
        : fail("pvh.interop.addresses-32bit", "above-4g", `${high.map(showRange).join(", ")} above 4 GiB`, { expected: "below 0x100000000", seen: high.map(showRange).join(", "), address: high[0]!.start });
    },
  },
  {
    requirement: "pvh.interop.memmap-limit",
    run: ({ obs }) => {
      const b = bootData(obs);
      if (!b.info) return notApplicable("pvh.interop.memmap-limit", "no readable start_info");
      if (b.version < 1) return notApplicable("pvh.interop.memmap-limit", "no memory map in version 0");
      if (b.truncated) return notApplicable("pvh.interop.memmap-limit", "start_info is cut short before memmap_entries");
      const n = b.info.memmap_entries ?? 0;
      return n <= LINUX_E820_COPY
        ? pass("pvh.interop.memmap-limit", `${n} entries`)
        : fail("pvh.interop.memmap-limit", "memmap-too-long", `${n} memory map entries; Linux copies ${LINUX_E820_COPY}`, { expected: `<= ${LINUX_E820_COPY}`, seen: String(n) });
    },
  },
  {
    requirement: "pvh.interop.memmap-disjoint",
    run: ({ obs }) => {
      const b = bootData(obs);
      if (!b.memmap.readable || b.memmap.entries.length === 0) return notApplicable("pvh.interop.memmap-disjoint", "no memory map");
      // The order is not judged (no guest relies on it); empty entries overlap nothing.
      const m = b.memmap.entries.map((e, i) => ({ e, i })).filter((x) => x.e.size > 0n).sort((x, y) => (x.e.addr < y.e.addr ? -1 : x.e.addr > y.e.addr ? 1 : x.i - y.i));
      for (let k = 1; k < m.length; k++) {
        const prev = m[k - 1]!;
        const cur = m[k]!;
        if (cur.e.addr < prev.e.addr + prev.e.size) {
          return fail("pvh.interop.memmap-disjoint", "memmap-overlap", `entries ${prev.i} (${hex(prev.e.addr)}+${hex(prev.e.size)}) and ${cur.i} (${hex(cur.e.addr)}+${hex(cur.e.size)}) overlap`, {
            expected: "disjoint entries",
            seen: `${hex(prev.e.addr)}-${hex(prev.e.addr + prev.e.size)} type ${prev.e.type}, ${hex(cur.e.addr)}-${hex(cur.e.addr + cur.e.size)} type ${cur.e.type}`,
            address: Number(cur.e.addr),
          });
        }
      }
      return pass("pvh.interop.memmap-disjoint");
    },
  },
  {
    requirement: "pvh.interop.boot-data-reserved",
    run: (input) => {
      const m = bootData(input.obs).memmap.entries;
      if (m.length === 0) return notApplicable("pvh.interop.boot-data-reserved", "no memory map to mark boot data in");
      const ram = m.filter((e) => e.type === TYPE_RAM).map((e) => ({ s: Number(e.addr), t: Number(e.addr + e.size) }));
      const exposed = bootDataRanges(input).filter((r) => r.end > r.start && ram.some((e) => r.start < e.t && e.s < r.end));
      // Where the modules lie is in the modlist: unreadable, they cannot be judged, so no PASS.
      const info = bootData(input.obs).info;
      if (exposed.length === 0 && info && info.nr_modules > 0 && !bootData(input.obs).modlist.readable) return notApplicable("pvh.interop.boot-data-reserved", "the modlist is not readable: where the modules lie is unknown");
      return exposed.length === 0
        ? pass("pvh.interop.boot-data-reserved")
        : fail("pvh.interop.boot-data-reserved", "boot-data-in-ram", `${exposed.map((r) => r.what).join(", ")} lie in memory the map reports as RAM`, { expected: "boot data outside RAM entries", seen: exposed.map(showRange).join(", "), address: exposed[0]!.start });
    },
  },
  {
    requirement: "pvh.interop.start-info-writable",
    run: ({ obs }) => {
      const b = bootData(obs);
      const ram = obs.ram ?? [];
      // The whole structure its version defines must be writable, not only what could be read.
      const end = b.at + (b.info ? codecs.startInfo().size(Math.min(b.version, 1)) : 4);
      let inRam: boolean;
      let inRom: boolean;
      if (obs.writable) {
        // The adapter knows what is writable (QEMU's flat view): trust it, shadowed BIOS RAM included.
        inRam = obs.writable.some((r) => b.at >= r.start && end <= r.end);
        inRom = !inRam && b.at < ROM_AREA.end && end > ROM_AREA.start;
      } else {
        inRam = ram.some((r) => b.at >= r.start && end <= r.end);
        inRom = b.at < ROM_AREA.end && end > ROM_AREA.start;
      }
      return inRam && !inRom
        ? pass("pvh.interop.start-info-writable")
        : fail("pvh.interop.start-info-writable", "start-info-not-ram", `start_info at ${hex(b.at)} is ${inRom ? "in the legacy ROM/VGA area" : "outside writable guest RAM"}`, { expected: "start_info in plain guest RAM", seen: `${hex(b.at)}-${hex(end)}`, address: b.at });
    },
  },
  {
    requirement: "pvh.interop.empty-modlist",
    run: ({ obs }) => {
      const info = bootData(obs).info;
      if (!info) return notApplicable("pvh.interop.empty-modlist", "no readable start_info");
      if (info.nr_modules !== 0) return notApplicable("pvh.interop.empty-modlist", "modules present");
      return info.modlist_paddr === 0n
        ? pass("pvh.interop.empty-modlist")
        : fail("pvh.interop.empty-modlist", "modlist-without-modules", `nr_modules is 0 but modlist_paddr is ${hex(info.modlist_paddr)}`, { expected: "modlist_paddr 0", seen: hex(info.modlist_paddr) });
    },
  },
  {
    requirement: "pvh.interop.rsdp-present",
    run: ({ obs }) => {
      const info = bootData(obs).info;
      if (!info) return notApplicable("pvh.interop.rsdp-present", "no readable start_info");
      return info.rsdp_paddr !== 0n
        ? pass("pvh.interop.rsdp-present")
        : fail("pvh.interop.rsdp-present", "no-rsdp", "rsdp_paddr is 0", { expected: "an RSDP address", seen: "0" });
    },
  },
];
