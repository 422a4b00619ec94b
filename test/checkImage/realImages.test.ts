import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBzImage } from "../../src/bzimage/readBzImage.js";
import { checkImage } from "../../src/checkImage/checkImage.js";
import type { ImageReport } from "../../src/checkImage/ImageReport.js";
import { fetchDebianPackage } from "../../src/corpus/fetchDebianPackage.js";
import { inCI } from "../_support/requireTool.js";
import { readelfNotes } from "../_support/readelfNotes.js";
import { readFileSync } from "node:fs";
import { readElf } from "../../src/elf/readElf.js";

/**
 * Real PVH images from Debian, fetched with apt-get download into a cache outside
 * the repository (PVH_CORPUS_DIR, default ~/.cache/pvh-conformance/corpus).
 */
interface RealImage {
  name: string;
  pkg: string;
  /** The Debian release it comes from, when not the host's (fetched with a private apt state). */
  suite?: string;
  path: (root: string) => string;
  /** CLI that turns the payload into vmlinux, for the readelf oracle (bzImages only). */
  unpack?: string[];
  format: ImageReport["format"];
  compression: string | null;
  entry: number;
  /** e_machine of the ELF a loader is given (the vmlinux, for a bzImage). */
  machine: number;
  /** The findings pinned for this image. */
  findings: string[];
  /** The Xen notes pinned for this image, as check-image lists them (name, value, where), when they do not move between builds. */
  notes?: string[];
}

const EM_386 = 3;
const EM_X86_64 = 62;

const images: RealImage[] = [
  {
    name: "Debian linux-image-amd64 vmlinuz",
    pkg: "linux-image-amd64",
    path: (root) => join(root, "boot", readdirSync(join(root, "boot")).find((f) => f.startsWith("vmlinuz"))!),
    unpack: ["xz", "-dc", "--single-stream"],
    format: "bzimage",
    compression: "xz",
    entry: 0x1000850,
    machine: EM_X86_64,
    findings: [],
  },
  {
    name: "Debian linux-image-cloud-amd64 vmlinuz",
    pkg: "linux-image-cloud-amd64",
    path: (root) => join(root, "boot", readdirSync(join(root, "boot")).find((f) => f.startsWith("vmlinuz"))!),
    unpack: ["lz4", "-dc"],
    format: "bzimage",
    compression: "lz4",
    entry: -1, // pinned below from readelf, since the cloud build's entry moves between updates
    machine: EM_X86_64,
    findings: [],
  },
  {
    name: "xen-shim from xen-utils-4.17",
    pkg: "xen-utils-4.17",
    path: (root) => join(root, "usr", "lib", "xen-4.17", "boot", "xen-shim"),
    format: "elf32",
    compression: null,
    entry: 0x6279f2,
    machine: EM_386,
    // Xen images carry multiboot headers on purpose (Xen boots them as PVH guests itself).
    findings: ["warning pvh.image.no-multiboot"],
  },
  {
    // OVMF built to start through the PVH entry (the firmware-on-PVH case): an ELF64
    // whose e_machine is EM_386, one 4 MiB PT_LOAD at 1 MiB, one note, no sections.
    name: "CLOUDHV.fd from sid's cloudhv-efi-x86-64 (OVMF)",
    pkg: "cloudhv-efi-x86-64",
    suite: "sid",
    path: (root) => join(root, "usr", "share", "cloudhv-efi-x86-64", "CLOUDHV.fd"),
    format: "elf64",
    compression: null,
    entry: 0x4fffd0,
    machine: EM_386,
    findings: [],
    notes: ["PHYS32_ENTRY 0x4fffd0 [PT_NOTE segment 1]"],
  },
];

const work = mkdtempSync(join(tmpdir(), "pvh-real-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("check-image on real Debian images", () => {
  const files = new Map<string, string>();
  let unavailable: string | undefined;
  beforeAll(async () => {
    const roots = new Map<string, string>();
    try {
      for (const img of images) roots.set(img.name, (await fetchDebianPackage(img.pkg, img.suite ? { suite: img.suite } : {})).root);
    } catch (err) {
      // Only the download may fail softly, and only outside CI.
      if (inCI) throw err;
      unavailable = `apt-get download failed: ${(err as Error).message.split("\n")[0]}`;
      console.warn(`skipping real images: ${unavailable}`);
      return;
    }
    for (const img of images) files.set(img.name, img.path(roots.get(img.name)!));
  }, 900_000);

  it.for(images.map((i) => [i.name, i] as const))("%s: valid, notes and e_machine as readelf shows them", { timeout: 120_000 }, async ([, img], ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const file = files.get(img.name)!;
    const r = await checkImage(file);
    expect(r.format).toBe(img.format);
    expect(r.compression).toBe(img.compression);
    expect(r.findings.map((f) => `${f.severity} ${f.requirement}`)).toEqual(img.findings);
    expect(r.verdict).toBe("valid");

    // The oracle: readelf -n on the ELF (decompressed by the Debian CLI for bzImages).
    let elfFile = file;
    if (img.unpack) {
      const bytes = readFileSync(file);
      const info = readBzImage(bytes);
      const payload = bytes.subarray(info.payloadOffset, info.payloadOffset + info.payloadLength);
      elfFile = join(work, `${img.pkg}.vmlinux`);
      let vmlinux: Buffer;
      try {
        vmlinux = execFileSync(img.unpack[0]!, img.unpack.slice(1), { input: payload, maxBuffer: 1 << 30, stdio: ["pipe", "pipe", "ignore"] });
      } catch (err) {
        // lz4 and xz complain about the 4 size bytes Linux appends, after writing everything.
        vmlinux = (err as { stdout: Buffer }).stdout;
      }
      writeFileSync(elfFile, vmlinux);
    }
    const oracle = readelfNotes(elfFile).filter((n) => n.owner === "Xen");
    const ours = r.notes.filter((n) => n.owner === "Xen");
    // readelf prints every Xen note's data raw; if parsing its output broke, say so.
    expect(oracle.length).toBeGreaterThan(0);
    expect(oracle.filter((n) => n.desc === undefined)).toEqual([]);
    expect(ours.map((n) => n.descsz)).toEqual(oracle.map((n) => n.descsz));
    ours.forEach((n, i) => {
      if (oracle[i]!.desc !== undefined) expect(n.desc, `${n.name}`).toBe(oracle[i]!.desc);
    });
    const entryNote = oracle.find((n) => /0x00000012/.test(n.type))!;
    const le = Buffer.from(entryNote.desc!, "hex");
    const oracleEntry = le.length === 8 ? Number(le.readBigUInt64LE(0)) : le.readUInt32LE(0);
    expect(r.entry).toBe(oracleEntry);
    if (img.entry >= 0) expect(r.entry).toBe(img.entry);
    if (img.notes) expect(ours.map((n) => `${n.name} ${n.value} [${n.in.join(", ")}]`)).toEqual(img.notes);

    // e_machine, by the project's reader and by readelf -h.
    const elf = readElf(new Uint8Array(readFileSync(elfFile)));
    // Every bzImage here holds an ELF64 vmlinux.
    expect(elf.header.class).toBe(img.format === "elf32" ? 32 : 64);
    expect(elf.header.machine).toBe(img.machine);
    const machineLine = /^\s*Machine:\s*(.*)$/m.exec(execFileSync("readelf", ["-h", elfFile], { encoding: "utf8" }))?.[1];
    expect(machineLine).toBe(img.machine === EM_386 ? "Intel 80386" : "Advanced Micro Devices X86-64");
  });
});
