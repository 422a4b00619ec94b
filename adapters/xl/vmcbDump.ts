import type { SegmentName, SegmentState } from "../../src/model/CpuState.js";

/** The segments the VMCB dump lists, by the names it prints. */
const NAMES: Record<string, SegmentName> = { CS: "cs", DS: "ds", SS: "ss", ES: "es", FS: "fs", GS: "gs", LDTR: "ldtr", TR: "tr" };

/**
 * A segment from Xen's VMCB dump: `sel attr limit base` in hex, as Xen's
 * svm_vmcb_dump prints them (xen/arch/x86/hvm/svm/svmdebug.c, svm_dump_sel). `attr`
 * is Xen's 12-bit segment attribute word (struct segment_register): type in bits 0-3,
 * S 4, DPL 5-6, P 7, AVL 8, L 9, D/B 10, G 11, the layout of the VMCB's own field
 * (AMD APM Vol. 2, 15.5.1); the limit is the VMCB's, already in bytes.
 */
export function segmentFromVmcb(sel: number, attr: number, limit: number, base: number): SegmentState {
  return {
    selector: sel,
    base,
    limit,
    type: attr & 0xf,
    s: (attr >> 4) & 1,
    dpl: (attr >> 5) & 3,
    present: ((attr >> 7) & 1) === 1,
    avl: (attr >> 8) & 1,
    l: (attr >> 9) & 1,
    db: (attr >> 10) & 1,
    g: (attr >> 11) & 1,
  };
}

/**
 * The segment registers of each domain in the console text of Xen's `v` debug key
 * (`xl debug-keys v`: ">>> Domain N <<<", then per vCPU the VMCB, its selectors as
 * `  CS: 0000 0c9b ffffffff 0000000000000000`). Only vCPU 0 is kept. Lines may carry
 * Xen's "(XEN) " prefix.
 */
export function parseVmcbDump(lines: readonly string[]): Map<number, Partial<Record<SegmentName, SegmentState>>> {
  const out = new Map<number, Partial<Record<SegmentName, SegmentState>>>();
  let domain: number | null = null;
  let vcpu: number | null = null;
  for (const raw of lines) {
    const line = raw.replace(/^\(XEN\)\s?/, "");
    const d = />>> Domain (\d+) <<</.exec(line);
    if (d) {
      domain = Number(d[1]);
      vcpu = null;
      continue;
    }
    if (/\*{10}/.test(line)) {
      domain = null;
      continue;
    }
    const v = /^\s*VCPU (\d+)\s*$/.exec(line);
    if (v) {
      vcpu = Number(v[1]);
      continue;
    }
    if (domain === null || vcpu !== 0) continue;
    // Xen's format since 4.12 or so; older ones printed "sel=0x..., attr=0x..., limit=0x..., base=0x...".
    const s =
      /^\s*(CS|DS|SS|ES|FS|GS|LDTR|TR): ([0-9a-f]{4}) ([0-9a-f]{4}) ([0-9a-f]{8}) ([0-9a-f]{16})\s*$/.exec(line) ??
      /^\s*(CS|DS|SS|ES|FS|GS|LDTR|TR): sel=0x([0-9a-f]{4}), attr=0x([0-9a-f]{4}), limit=0x([0-9a-f]{8}), base=0x([0-9a-f]{16})\s*$/.exec(line);
    if (!s) continue;
    const base = BigInt(`0x${s[5]!}`);
    if (base > BigInt(Number.MAX_SAFE_INTEGER)) continue;
    const segs = out.get(domain) ?? {};
    segs[NAMES[s[1]!]!] = segmentFromVmcb(parseInt(s[2]!, 16), parseInt(s[3]!, 16), parseInt(s[4]!, 16), Number(base));
    out.set(domain, segs);
  }
  return out;
}
