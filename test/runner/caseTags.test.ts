import { describe, expect, it } from "vitest";
import { exampleCase } from "../../generators/exampleCase.js";
import { caseTags } from "../../src/runner/caseTags.js";

const gnu = { name: "GNU", type: 3, desc: new Uint8Array(20) };
const linux = { name: "Linux", type: 0x100, desc: new Uint8Array(6) };

describe("caseTags", () => {
  it("tags a plain case by its class and command line, nothing else", () => {
    expect(caseTags(exampleCase("plain"))).toEqual(["elf64", "entry-desc-8", "entry-note-last"]);
  });

  it("marks a PT_NOTE segment that holds no entry note (QEMU 7.2's note walk overruns there)", () => {
    const alone = caseTags(exampleCase("alone", { plan: { notesBefore: [linux], notesAfter: [gnu], noteSegments: 1 } }));
    expect(alone).not.toContain("note-segment-without-entry");
    expect(alone).not.toContain("entry-note-last");
    const split = caseTags(exampleCase("split", { plan: { notesBefore: [linux], notesAfter: [gnu], noteSegments: 3 } }));
    expect(split).toEqual(expect.arrayContaining(["several-pt-note", "note-segment-without-entry", "entry-note-not-first-segment", "entry-note-last"]));
  });

  it("marks an entry note with another PT_NOTE segment after its own (linux-loader keeps only the last segment's answer)", () => {
    const tags = (before: (typeof gnu)[], after: (typeof gnu)[], segments: number) => caseTags(exampleCase("n", { plan: { notesBefore: before, notesAfter: after, noteSegments: segments } }));
    // Segments: Linux | entry | GNU: a segment follows the entry's.
    expect(tags([linux], [gnu], 3)).toContain("entry-note-not-last-segment");
    // Linux | entry: the entry's segment is the last one.
    expect(tags([linux], [], 3)).not.toContain("entry-note-not-last-segment");
    expect(tags([], [], 1)).not.toContain("entry-note-not-last-segment");
  });

  it("names the image's layout and the configuration", () => {
    const c = exampleCase("layout", { plan: { sections: false, elfClass: 32, entryDescSize: 4 }, cmdline: " quiet", modules: [{ size: 0 }] });
    expect(caseTags(c)).toEqual(["cmdline-leading-space", "elf32", "entry-desc-4", "entry-note-last", "module-empty", "modules", "no-sections"]);
    expect(caseTags(exampleCase("nocmd", { cmdline: null }))).toContain("no-cmdline");
    expect(caseTags(exampleCase("empty", { cmdline: "" }))).toContain("empty-cmdline");
    expect(caseTags(exampleCase("trail", { cmdline: "quiet " }))).toEqual(expect.arrayContaining(["cmdline-trailing-space"]));
    expect(caseTags(exampleCase("trail", { cmdline: "quiet " }))).not.toContain("cmdline-leading-space");
    expect(caseTags(c)).not.toContain("cmdline-trailing-space");
  });

  it("marks SUPPORTED_FEATURES without XENFEAT_dom0, over every such note together", () => {
    const features = (word: number) => ({ name: "Xen", type: 17, desc: new Uint8Array(new Uint32Array([word]).buffer) });
    const tags = (...words: number[]) => caseTags(exampleCase("f", { plan: { notesBefore: words.map(features) } }));
    expect(tags(0x1)).toContain("supported-features-without-dom0");
    expect(tags(0x801)).not.toContain("supported-features-without-dom0");
    // One note with the bit is enough: Xen ORs them.
    expect(tags(0x1, 0x800)).not.toContain("supported-features-without-dom0");
    expect(tags(0x800, 0x1)).not.toContain("supported-features-without-dom0");
    expect(tags()).not.toContain("supported-features-without-dom0");
  });
});
