import { codecs } from "../abi/codecs.js";
import { abi } from "../abi/constants.js";
import { bootData, type CString } from "./bootData.js";
import { fail, hex, notApplicable, pass, type Check, type CheckInput } from "./Check.js";
import { bootDataRanges, kernelRanges } from "./layout.js";

/**
 * Every SIF_* bit xen.h defines (lines 874-880 of the pinned revision): PRIVILEGED,
 * INITDOMAIN, MULTIBOOT_MOD, MOD_START_PFN, VIRT_P2M_4TOOLS, and the xen-pm byte.
 */
const DEFINED_FLAGS = 0x1f | (0xff << 8);

/** Wraps a check that needs a readable start_info; without one, the start_info checks say so. */
function withInfo(requirement: string, body: (input: CheckInput) => ReturnType<Check["run"]>): Check {
  return {
    requirement,
    run: (input) => {
      const b = bootData(input.obs);
      if (!b.info) {
        return fail(requirement, "start-info-unreadable", `no start_info is readable at EBX ${hex(b.at)}`, {
          expected: "a start_info in guest memory at EBX",
          seen: `EBX ${hex(b.at)} is not readable guest memory`,
          address: b.at,
        });
      }
      return body(input);
    },
  };
}

const text = (s: CString): string => Buffer.from(s.bytes).toString("latin1");
const preview = (s: string): string => (s.length > 80 ? JSON.stringify(s.slice(0, 80)) + `... (${s.length} chars)` : JSON.stringify(s));

function stringProblem(s: CString): string | undefined {
  if (!s.readable) return `not readable guest memory`;
  if (!s.terminated) return `no NUL within ${s.bytes.length} readable bytes`;
  const bad = s.bytes.findIndex((b) => b >= 0x80);
  if (bad >= 0) return `byte ${hex(s.bytes[bad]!)} at offset ${bad} is not ASCII`;
  return undefined;
}

export const startInfoChecks: Check[] = [
  withInfo("pvh.start-info.magic", ({ obs }) => {
    const b = bootData(obs);
    const want = abi.startInfoMagic;
    return b.info!.magic === want
      ? pass("pvh.start-info.magic")
      : fail("pvh.start-info.magic", "magic-mismatch", `magic is ${hex(b.info!.magic)}`, { expected: hex(want), seen: hex(b.info!.magic), address: b.at });
  }),
  withInfo("pvh.start-info.version", ({ obs }) => {
    const v = bootData(obs).info!.version;
    return v === 0 || v === 1
      ? pass("pvh.start-info.version", `version ${v}`)
      : fail("pvh.start-info.version", "version-unknown", `version is ${v}`, { expected: "0 or 1", seen: String(v) });
  }),
  withInfo("pvh.start-info.flags", ({ obs }) => {
    const f = bootData(obs).info!.flags;
    const unknown = (f & ~DEFINED_FLAGS) >>> 0;
    return unknown === 0
      ? pass("pvh.start-info.flags")
      : fail("pvh.start-info.flags", "flags-unknown", `flags ${hex(f >>> 0)} set ${hex(unknown)}, bits xen.h defines no SIF flag for`, { expected: `flags & ~${hex(DEFINED_FLAGS)} == 0`, seen: hex(f >>> 0) });
  }),
  withInfo("pvh.start-info.reserved", ({ obs }) => {
    const b = bootData(obs);
    if (b.version < 1) return notApplicable("pvh.start-info.reserved", "version 0 has no reserved field");
    return b.info!.reserved === 0
      ? pass("pvh.start-info.reserved")
      : fail("pvh.start-info.reserved", "reserved-nonzero", `reserved is ${hex(b.info!.reserved!)}`, { expected: "0", seen: hex(b.info!.reserved!), address: b.at + codecs.startInfo().field("reserved").offset });
  }),
  {
    requirement: "pvh.start-info.no-zero-address",
    run: ({ obs }) => {
      const b = bootData(obs);
      const atZero: string[] = [];
      if (b.at === 0) atZero.push("start_info (EBX)");
      b.modlist.entries.forEach((e, i) => {
        if (e.paddr === 0n && e.size > 0n) atZero.push(`module ${i}`);
      });
      if (atZero.length === 0 && b.info && !b.modlist.readable) return notApplicable("pvh.start-info.no-zero-address", "the modlist is not readable: where the modules lie is unknown");
      return atZero.length === 0
        ? pass("pvh.start-info.no-zero-address")
        : fail("pvh.start-info.no-zero-address", "item-at-zero", `${atZero.join(", ")} placed at physical address 0, which means "absent"`, { expected: "nothing at address 0", seen: atZero.join(", "), address: 0 });
    },
  },
  withInfo("pvh.start-info.in-ram", (input) => {
    const mem = input.obs.memory!;
    const b = bootData(input.obs);
    const outside = bootDataRanges(input).filter((r) => !mem.has(r.start, r.end - r.start));
    const listed = (what: string): boolean => outside.some((r) => r.what === what);
    if (!b.modlist.readable && !listed("modlist")) outside.push({ what: "modlist", start: Number(b.info!.modlist_paddr), end: Number(b.info!.modlist_paddr) });
    if (b.truncated) outside.push({ what: `start_info's version ${b.version} fields`, start: b.at + b.size, end: b.at + codecs.startInfo().size(1) });
    else if (!b.memmap.readable && !listed("memmap")) outside.push({ what: "memmap", start: Number(b.info!.memmap_paddr ?? 0n), end: Number(b.info!.memmap_paddr ?? 0n) });
    if (b.cmdline && !b.cmdline.readable) outside.push({ what: "cmdline", start: b.cmdline.at, end: b.cmdline.at });
    return outside.length === 0
      ? pass("pvh.start-info.in-ram")
      : fail("pvh.start-info.in-ram", "outside-ram", `${outside.map((r) => `${r.what} at ${hex(r.start)}`).join(", ")} outside guest memory`, {
          expected: "every item inside guest RAM",
          seen: outside.map((r) => `${r.what} ${hex(r.start)}-${hex(r.end)}`).join(", "),
          address: outside[0]!.start,
        });
  }),
  withInfo("pvh.cmdline.terminated", ({ obs }) => {
    const c = bootData(obs).cmdline;
    if (!c) return notApplicable("pvh.cmdline.terminated", "cmdline_paddr is 0");
    const p = stringProblem(c);
    return p === undefined
      ? pass("pvh.cmdline.terminated")
      : fail("pvh.cmdline.terminated", "cmdline-unterminated", `command line at ${hex(c.at)}: ${p}`, { expected: "NUL-terminated ASCII", seen: p, address: c.at });
  }),
  withInfo("pvh.cmdline.content", ({ obs, bootCase }) => {
    const c = bootData(obs).cmdline;
    const want = bootCase.cmdline;
    // What the guest cannot read, or reads on past (no NUL), is not the command line given.
    if (c && (!c.readable || !c.terminated)) {
      const p = stringProblem(c)!;
      return fail("pvh.cmdline.content", "cmdline-unreadable", `the command line at ${hex(c.at)} is ${p}`, { expected: want ? `${preview(want)}, NUL-terminated` : "cmdline_paddr 0 or an empty string", seen: p, address: c.at });
    }
    const seen = c ? text(c) : null;
    if (want === null || want === "") {
      // An empty command line and none at all mean the same to a guest: accept either form.
      return seen === null || seen === ""
        ? pass("pvh.cmdline.content", "no command line given, none handed over")
        : fail("pvh.cmdline.content", "cmdline-invented", `no command line was given, but ${preview(seen)} was handed over`, { expected: "cmdline_paddr 0 or an empty string", seen: preview(seen), address: c!.at });
    }
    if (seen === want) return pass("pvh.cmdline.content", `${want.length} characters`);
    let at = 0;
    const s = seen ?? "";
    while (at < Math.min(s.length, want.length) && s[at] === want[at]) at++;
    return fail("pvh.cmdline.content", "cmdline-differs", seen === null ? "cmdline_paddr is 0 but a command line was given" : `command line differs from the one given at character ${at}`, {
      expected: `${preview(want)} (${want.length} characters)`,
      seen: seen === null ? "cmdline_paddr = 0" : `${preview(s)} (${s.length} characters)`,
      ...(c ? { address: c.at + at } : {}),
    });
  }),
  withInfo("pvh.modlist.count", ({ obs, bootCase }) => {
    const info = bootData(obs).info!;
    const want = bootCase.modules.length;
    if (info.nr_modules !== want) {
      return fail("pvh.modlist.count", "nr-modules", `nr_modules is ${info.nr_modules}, ${want} module(s) were given`, { expected: String(want), seen: String(info.nr_modules) });
    }
    if (want > 0 && info.modlist_paddr === 0n) {
      return fail("pvh.modlist.count", "modlist-absent", `${want} module(s) but modlist_paddr is 0`, { expected: "modlist_paddr != 0", seen: "0" });
    }
    return pass("pvh.modlist.count", `${want} module(s)`);
  }),
  withInfo("pvh.module.content", ({ obs, bootCase }) => {
    const b = bootData(obs);
    if (bootCase.modules.length === 0) return notApplicable("pvh.module.content", "no modules given");
    for (const [i, m] of bootCase.modules.entries()) {
      const e = b.modlist.entries[i];
      if (!e) return fail("pvh.module.content", "module-missing", `module ${i} has no modlist entry`, { expected: `${bootCase.modules.length} entries`, seen: `${b.modlist.entries.length} readable entries` });
      if (e.size !== BigInt(m.size)) {
        return fail("pvh.module.content", "module-size", `module ${i} size is ${e.size}, ${m.size} bytes were given`, { expected: String(m.size), seen: String(e.size), address: Number(e.paddr) });
      }
      const crc = obs.memory!.crc32(Number(e.paddr), m.size);
      if (crc === null) return fail("pvh.module.content", "module-unreadable", `module ${i} at ${hex(e.paddr)} is not readable guest memory`, { expected: "module bytes in RAM", seen: "unreadable", address: Number(e.paddr) });
      if (crc !== m.crc32) {
        return fail("pvh.module.content", "module-bytes", `module ${i} at ${hex(e.paddr)} does not hold the bytes given`, { expected: `crc32 ${hex(m.crc32)}`, seen: `crc32 ${hex(crc)}`, address: Number(e.paddr) });
      }
    }
    return pass("pvh.module.content", `${bootCase.modules.length} module(s) intact`);
  }),
  withInfo("pvh.module.cmdline", ({ obs, bootCase }) => {
    const b = bootData(obs);
    if (bootCase.modules.length === 0) return notApplicable("pvh.module.cmdline", "no modules given");
    const missing: number[] = [];
    for (const [i, m] of bootCase.modules.entries()) {
      const c = b.moduleCmdlines[i];
      if (c === undefined) {
        // A missing entry is pvh.module.content's to report; here it only means nothing to read.
        missing.push(i);
        continue;
      }
      const seen = c === null ? null : text(c);
      const problem = c ? stringProblem(c) : undefined;
      const ok = problem === undefined && (m.cmdline === null || m.cmdline === "" ? seen === null || seen === "" : seen === m.cmdline);
      if (!ok) {
        return fail("pvh.module.cmdline", "module-cmdline", `module ${i} command line ${problem ? `is ${problem}` : "differs"}`, {
          expected: m.cmdline === null ? "0 or an empty string" : preview(m.cmdline),
          seen: seen === null ? "cmdline_paddr = 0" : preview(seen),
          ...(c ? { address: c.at } : {}),
        });
      }
    }
    if (missing.length === bootCase.modules.length) return notApplicable("pvh.module.cmdline", `no modlist entry to read (${b.modlist.readable ? `nr_modules ${b.info!.nr_modules}` : "the modlist is not readable"})`);
    return pass("pvh.module.cmdline", missing.length ? `modules without an entry not judged: ${missing.join(", ")}` : undefined);
  }),
  withInfo("pvh.module.reserved", ({ obs }) => {
    const entries = bootData(obs).modlist.entries;
    if (entries.length === 0) return notApplicable("pvh.module.reserved", "no modlist entries");
    const i = entries.findIndex((e) => e.reserved !== 0n);
    return i < 0
      ? pass("pvh.module.reserved")
      : fail("pvh.module.reserved", "reserved-nonzero", `modlist entry ${i} reserved is ${hex(entries[i]!.reserved)}`, { expected: "0", seen: hex(entries[i]!.reserved) });
  }),
  withInfo("pvh.rsdp.valid", ({ obs }) => {
    const info = bootData(obs).info!;
    if (info.rsdp_paddr === 0n) return notApplicable("pvh.rsdp.valid", "rsdp_paddr is 0");
    const at = Number(info.rsdp_paddr);
    const r = codecs.acpiRsdp();
    const head = obs.memory!.read(at, r.size(0));
    const ev = (seen: string) => ({ expected: 'an RSDP: "RSD PTR ", checksums summing to 0', seen, address: at });
    if (!head) return fail("pvh.rsdp.valid", "rsdp-unreadable", `RSDP at ${hex(at)} is not readable`, ev("unreadable"));
    const sig = Buffer.from(head.subarray(0, 8)).toString("latin1");
    if (sig !== "RSD PTR ") return fail("pvh.rsdp.valid", "rsdp-signature", `RSDP signature is ${JSON.stringify(sig)}`, ev(JSON.stringify(sig)));
    const sum = (b: Uint8Array): number => b.reduce((a, x) => (a + x) & 0xff, 0);
    if (sum(head) !== 0) return fail("pvh.rsdp.valid", "rsdp-checksum", "the RSDP's first 20 bytes do not sum to 0", ev(`sum ${hex(sum(head))}`));
    const rev = r.decode(head, 0, 0).revision;
    if (rev >= 2) {
      const full = obs.memory!.read(at, r.size(2));
      const len = full ? r.decode(full, 0, 2).length ?? 0 : 0;
      const whole = full && len >= r.size(2) ? obs.memory!.read(at, len) : null;
      if (!whole) return fail("pvh.rsdp.valid", "rsdp-length", `revision ${rev} RSDP has an unreadable or short length ${len}`, ev(`length ${len}`));
      if (sum(whole) !== 0) return fail("pvh.rsdp.valid", "rsdp-extended-checksum", "the RSDP's extended checksum is wrong", ev(`sum ${hex(sum(whole))}`));
    }
    return pass("pvh.rsdp.valid", `revision ${rev}`);
  }),
  withInfo("pvh.layout.no-overlap", (input) => {
    const data = bootData(input.obs);
    const all = [...kernelRanges(input), ...bootDataRanges(input)].filter((r) => r.end > r.start);
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        const a = all[i]!;
        const b = all[j]!;
        if (a.start < b.end && b.start < a.end) {
          return fail("pvh.layout.no-overlap", "overlap", `${a.what} and ${b.what} overlap`, {
            expected: "disjoint ranges",
            seen: `${a.what} ${hex(a.start)}-${hex(a.end)}, ${b.what} ${hex(b.start)}-${hex(b.end)}`,
            address: Math.max(a.start, b.start),
          });
        }
      }
    }
    // Where the modules lie is in the modlist: unreadable, they cannot be judged.
    if (!data.modlist.readable) return notApplicable("pvh.layout.no-overlap", "the modlist is not readable: where the modules lie is unknown");
    return pass("pvh.layout.no-overlap", `${all.length} ranges disjoint`);
  }),
];
