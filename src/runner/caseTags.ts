import { analyzeKernel } from "../checkImage/analyzeKernel.js";
import type { BootCase } from "../model/BootCase.js";

const GIB = 2 ** 30;

/**
 * Facts about a case, read from its image and configuration, that explain how a
 * loader treats it: expectations name them to say which cases a known deviation
 * covers (e.g. "QEMU misreads PT_NOTE segments with p_align 8").
 */
export function caseTags(c: BootCase): string[] {
  const tags = new Set<string>();
  if (c.replay.example) tags.add(`example:${c.replay.example}`);
  if (c.kernel.malformed) tags.add(`malformed:${c.kernel.malformed}`);
  tags.add(`elf${c.kernel.elfClass}`);
  const a = analyzeKernel(c.kernelImage);
  if (a.ok) {
    const notes = a.elf.segmentNotes;
    if (notes.length > 1) tags.add("several-pt-note");
    if (notes.some((r) => r.align === 8)) tags.add("note-align-8");
    for (const r of notes) {
      const i = r.notes.findIndex((n) => n.type === 18 && n.name === "Xen");
      // A loader that walks each PT_NOTE looking for the entry note must stop at
      // the end of a segment that has none (QEMU 7.2 does not).
      if (i < 0) tags.add("note-segment-without-entry");
      if (i < 0) continue;
      const n = r.notes[i]!;
      tags.add(`entry-desc-${n.descsz}`);
      if (i === r.notes.length - 1) tags.add("entry-note-last");
      if (notes.indexOf(r) > 0) tags.add("entry-note-not-first-segment");
      // linux-loader keeps what it read from the last PT_NOTE segment only.
      if (notes.indexOf(r) < notes.length - 1) tags.add("entry-note-not-last-segment");
    }
    // SUPPORTED_FEATURES (type 17) words, OR-ed over every such note as Xen's libelf does,
    // without XENFEAT_dom0 (bit 11, xen/include/public/features.h): the kernel says it
    // cannot be a dom0, which Xen's dom0 builder heeds. A descriptor that is not whole
    // 32-bit words counts as 0.
    const features = notes.flatMap((r) => r.notes).filter((n) => n.name === "Xen" && n.type === 17);
    if (features.length > 0) {
      let word0 = 0;
      for (const n of features) if (n.desc.length >= 4 && n.desc.length % 4 === 0) word0 |= n.desc[0]! | (n.desc[1]! << 8);
      if ((word0 & 0x800) === 0) tags.add("supported-features-without-dom0");
    }
    if (a.facts.reloc) tags.add("reloc-note");
    if (a.elf.programHeaders.some((p) => p.type === 1 && p.vaddr !== p.paddr)) tags.add("vaddr-differs");
    if (a.elf.sectionTable === "absent") tags.add("no-sections");
  }
  if (c.modules.length) tags.add("modules");
  if (c.modules.some((m) => m.size === 0)) tags.add("module-empty");
  if (c.memoryBytes > 4 * GIB) tags.add("memory-above-4g");
  else if (c.memoryBytes > 3 * GIB) tags.add("memory-3g-4g");
  if (c.cmdline === null) tags.add("no-cmdline");
  else if (c.cmdline === "") tags.add("empty-cmdline");
  else {
    if (/^\s/.test(c.cmdline)) tags.add("cmdline-leading-space");
    if (/\s$/.test(c.cmdline)) tags.add("cmdline-trailing-space");
  }
  return [...tags].sort();
}
