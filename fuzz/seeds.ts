/**
 * Seed inputs of the campaigns: generated kernels (generators/), one of each
 * malformed family, bzImages around them in every compression whose tool is on the
 * host, probe reports as the probe prints them, and the first megabyte of the real
 * kernels in the corpus cache when it holds them (skipped when absent).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { boundaryExamples } from "../generators/examples.js";
import { exampleCase } from "../generators/exampleCase.js";
import { malformedFamilies } from "../generators/malformedKernelArb.js";
import { referenceAdapter } from "../adapters/reference/referenceAdapter.js";
import { codecs } from "../src/abi/codecs.js";
import { readBzImage } from "../src/bzimage/readBzImage.js";
import type { Compression } from "../src/compress/Compression.js";
import { decompress } from "../src/compress/decompress.js";
import { detectCompression } from "../src/compress/detectCompression.js";
import { TOOLS } from "../test/compress/_compressors.js";
import { emulateProbe } from "../test/probe/_emulateProbe.js";
import { makeBzImage } from "../test/checkImage/_bzimage.js";

const MIB = 1024 * 1024;
/** How much of a real kernel a seed holds. */
export const REAL_PREFIX = 1 * MIB;
/** How much of a real kernel's compressed payload a decompressor seed holds. */
const REAL_PAYLOAD_PREFIX = 256 * 1024;

let generated: Uint8Array[] | undefined;

/** The boundary examples' kernels (those that differ in the kernel) and one kernel per malformed family. */
export function generatedImages(): Uint8Array[] {
  if (generated) return generated;
  const out: Uint8Array[] = [];
  for (const [name, spec] of boundaryExamples) {
    if (spec.modules || spec.cmdline !== undefined || spec.memoryBytes) continue;
    out.push(exampleCase(name, spec).kernelImage);
  }
  for (const family of Object.keys(malformedFamilies)) {
    out.push(exampleCase(`malformed-${family}`, { malformed: family as keyof typeof malformedFamilies }).kernelImage);
  }
  return (generated = out);
}

const haveTool = (cmd: string): boolean => {
  try {
    execFileSync(cmd, ["--version"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
};

/** The images compressed with the format's tool as Linux's build would; none without the tool. */
function compressedImages(format: Compression): Uint8Array[] {
  const t = TOOLS[format];
  if (!haveTool(t.cmd)) {
    process.stderr.write(`fuzz seeds: no ${t.cmd} (apt-get install ${t.apt}), no ${format} seeds from generated images\n`);
    return [];
  }
  // A few kernels of different shapes: plain, ELF32, many notes, a malformed one.
  const imgs = generatedImages();
  const pick = [imgs[0]!, imgs[1]!, imgs[6]!, imgs.at(-7)!];
  return pick.map((img) => new Uint8Array(execFileSync(t.cmd, t.args, { input: img, maxBuffer: 1 << 28 })));
}

/** vmlinuz files of the corpus cache (linux-image-* packages); none when the cache lacks them. */
export function realKernels(): { name: string; bytes: Uint8Array }[] {
  const root = join(homedir(), ".cache", "pvh-conformance", "corpus");
  if (!existsSync(root)) return [];
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const pkg of readdirSync(root).filter((d) => d.startsWith("linux-image-"))) {
    const boot = join(root, pkg, "boot");
    if (!existsSync(boot)) continue;
    for (const f of readdirSync(boot).filter((f) => f.startsWith("vmlinuz-"))) out.push({ name: f, bytes: new Uint8Array(readFileSync(join(boot, f))) });
  }
  return out;
}

/** The real kernel's compressed payload and its format. */
function realPayload(bytes: Uint8Array): { format: Compression; payload: Uint8Array } | null {
  try {
    const info = readBzImage(bytes);
    const payload = bytes.subarray(info.payloadOffset, info.payloadOffset + info.payloadLength);
    const format = detectCompression(payload);
    return format ? { format, payload } : null;
  } catch {
    return null;
  }
}

/** The first `n` bytes of the decompressed vmlinux. */
async function vmlinuxPrefix(format: Compression, payload: Uint8Array, n: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const c of decompress(format, payload, { maxOutput: 1 << 30 })) {
    parts.push(c);
    total += c.length;
    if (total >= n) break;
  }
  return new Uint8Array(Buffer.concat(parts).subarray(0, n));
}

/** A real kernel's first megabyte with payload_length cut to what is left, so check-image reaches its decompressor. */
function fitPayload(prefix: Uint8Array): Uint8Array {
  const out = prefix.slice();
  const c = codecs.setupHeader();
  const view = new DataView(out.buffer);
  const setupSects = out[c.base + c.field("setup_sects").offset] || 4;
  const at = c.base + c.field("payload_offset").offset;
  const payloadOffset = (setupSects + 1) * 512 + view.getUint32(at, true);
  if (payloadOffset < out.length) view.setUint32(c.base + c.field("payload_length").offset, out.length - payloadOffset, true);
  return out;
}

export async function elfSeeds(): Promise<Uint8Array[]> {
  const out = [...generatedImages()];
  for (const k of realKernels()) {
    const p = realPayload(k.bytes);
    if (p) out.push(await vmlinuxPrefix(p.format, p.payload, REAL_PREFIX));
  }
  return out;
}

function bzImagesOfGenerated(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const img = generatedImages()[0]!;
  for (const format of Object.keys(TOOLS) as Compression[]) {
    for (const payload of compressedImages(format).slice(0, 2)) out.push(makeBzImage(payload, img.length, { kernelVersion: `6.1.0-fuzz (${format})` }));
  }
  return out;
}

export async function bzImageSeeds(): Promise<Uint8Array[]> {
  const out = bzImagesOfGenerated();
  const payload = new Uint8Array(64);
  out.push(makeBzImage(payload, 64, { version: 0x0207 }), makeBzImage(payload, 64, { version: 0x020c }));
  for (const k of realKernels()) out.push(k.bytes.slice(0, REAL_PREFIX));
  return out;
}

export async function checkImageSeeds(): Promise<Uint8Array[]> {
  const out = [...generatedImages(), ...bzImagesOfGenerated()];
  for (const k of realKernels()) out.push(fitPayload(k.bytes.subarray(0, REAL_PREFIX)));
  return out;
}

export async function compressedSeeds(format: Compression): Promise<Uint8Array[]> {
  const out = compressedImages(format);
  for (const k of realKernels()) {
    const p = realPayload(k.bytes);
    if (p?.format === format) out.push(p.payload.slice(0, REAL_PAYLOAD_PREFIX));
  }
  return out;
}

export async function probeSeeds(): Promise<Uint8Array[]> {
  const c = exampleCase("fuzz-probe", {
    plan: { entryCode: "probe", segments: [{ gapPages: 0, filesz: 6000, tail: 3000, flags: "RX" }, { gapPages: 1, filesz: 100, tail: 0, flags: "RW" }], entryFraction: 0.5 },
    cmdline: "console=ttyS0 probe=yes",
    modules: [{ size: 3000, cmdline: "first" }, { size: 0 }],
  });
  const lines = emulateProbe(c, await referenceAdapter.boot(c, "v1"));
  const text = lines.join("\n");
  const enc = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
  return [
    enc(text),
    // As Xen's console prefixes a guest's lines, with serial CRLFs.
    enc(lines.map((l) => `(d0) ${l}`).join("\r\n")),
    // Cut before the END line: an unfinished report.
    enc(lines.slice(0, -3).join("\n")),
  ];
}
