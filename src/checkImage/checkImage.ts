import { open } from "node:fs/promises";
import { assertRegularFile, NotRegularFileError, OPEN_FLAGS } from "../_internals/regularFile.js";
import { BzImageError } from "../bzimage/BzImageError.js";
import { isBzImage, readBzImage } from "../bzimage/readBzImage.js";
import { decompress } from "../compress/decompress.js";
import { DecompressError } from "../compress/DecompressError.js";
import { detectCompression } from "../compress/detectCompression.js";
import { ElfError } from "../elf/ElfError.js";
import { elfBytesNeeded } from "../elf/elfBytesNeeded.js";
import type { ElfFile } from "../elf/elfTypes.js";
import { readElf } from "../elf/readElf.js";
import type { Compression } from "../compress/Compression.js";
import { ELF } from "../elf/ELF.js";
import type { ImageReport } from "./ImageReport.js";
import { PrefixCollector } from "./_internals/PrefixCollector.js";
import { kernelFindings } from "./kernelFindings.js";
import { makeFinding } from "./makeFinding.js";

export interface CheckImageOptions {
  /** Most bytes a bzImage payload may decompress to before it counts as a bomb. */
  maxDecompressed?: number;
  /** Largest file read at all. */
  maxFileSize?: number;
}

export const DEFAULT_MAX_DECOMPRESSED = 512 * 1024 * 1024;
const DEFAULT_MAX_FILE = 1024 * 1024 * 1024;
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** An I/O problem with the file itself (missing, unreadable): a usage error, not a verdict. */
export class ImageReadError extends Error {
  override name = "ImageReadError";
}

function blank(file: string): ImageReport {
  return { file, format: "unknown", compression: null, bzimage: null, verdict: "invalid", entry: null, reloc: null, notes: [], findings: [] };
}

function finish(report: ImageReport): ImageReport {
  report.verdict = report.findings.some((f) => f.severity === "error") ? "invalid" : "valid";
  return report;
}

function applyElf(report: ImageReport, elf: ElfFile, image: Uint8Array): void {
  const facts = kernelFindings(elf, image);
  report.entry = facts.entry;
  report.reloc = facts.reloc;
  report.notes = facts.notes;
  report.findings.push(...facts.findings);
}

function elfFailure(report: ImageReport, err: unknown, where: string): void {
  if (!(err instanceof ElfError)) throw err;
  report.findings.push(makeFinding("pvh.image.elf", `elf-${err.code}`, `${where}${err.message}`));
}

const isElf = (b: Uint8Array): boolean => ELF_MAGIC.every((m, i) => b[i] === m);

/** Check one image given as bytes. Never throws for a malformed image: it becomes findings. */
export async function checkImageBytes(file: string, bytes: Uint8Array, opts: CheckImageOptions = {}): Promise<ImageReport> {
  const report = blank(file);
  if (isElf(bytes)) {
    report.format = bytes[4] === 1 ? "elf32" : bytes[4] === 2 ? "elf64" : "unknown";
    try {
      applyElf(report, readElf(bytes), bytes);
    } catch (err) {
      elfFailure(report, err, "");
    }
    return finish(report);
  }
  if (isBzImage(bytes)) {
    report.format = "bzimage";
    await checkBzImage(report, bytes, opts);
    return finish(report);
  }
  report.findings.push(makeFinding("pvh.image.elf", "unknown-format", `${bytes.length < 4 ? "file too short" : "neither an ELF file nor an x86 bzImage"} (starts with ${Buffer.from(bytes.subarray(0, 8)).toString("hex") || "nothing"})`));
  return finish(report);
}

async function checkBzImage(report: ImageReport, bytes: Uint8Array, opts: CheckImageOptions): Promise<void> {
  let info;
  try {
    info = readBzImage(bytes);
  } catch (err) {
    if (!(err instanceof BzImageError)) throw err;
    report.findings.push(makeFinding("pvh.image.elf", `bzimage-${err.code}`, `bzImage: ${err.message}`));
    return;
  }
  const payload = bytes.subarray(info.payloadOffset, info.payloadOffset + info.payloadLength);
  const format = detectCompression(payload);
  const bz = {
    protocol: info.protocol,
    kernelVersion: info.kernelVersion ?? null,
    payloadOffset: info.payloadOffset,
    payloadLength: info.payloadLength,
    elfClass: null as "elf32" | "elf64" | null,
    decompressedBytes: 0,
  };
  report.bzimage = bz;
  if (!format) {
    report.findings.push(makeFinding("pvh.image.elf", "bzimage-unknown-compression", `bzImage payload starts with ${Buffer.from(payload.subarray(0, 6)).toString("hex")}, no known compression`));
    return;
  }
  report.compression = format;
  const limit = opts.maxDecompressed ?? DEFAULT_MAX_DECOMPRESSED;
  // First keeping only the headers and the notes; if a reader turns out to look
  // anywhere else, once more keeping every byte (see PrefixCollector).
  const attempt = async (sparse: boolean): Promise<[Decoded, ReturnType<typeof parseVmlinux> | null]> => {
    const d = await decodeVmlinux(format, payload, limit, sparse);
    return [d, d.kind === "ok" && isElf(d.prefix) ? parseVmlinux(d) : null];
  };
  let [decoded, parsed] = await attempt(true);
  if (decoded.kind === "holes" || parsed === HOLES) [decoded, parsed] = await attempt(false);
  if (decoded.kind === "holes" || parsed === HOLES) throw new Error("checkImage: a prefix that keeps every byte has no holes");
  bz.decompressedBytes = decoded.total;
  if (decoded.kind === "failed") {
    report.findings.push(makeFinding("pvh.image.elf", `decompress-${decoded.error.code}`, `bzImage ${format} payload: ${decoded.error.message}`));
    return;
  }
  const prefix = decoded.prefix;
  if (parsed === null) {
    report.findings.push(makeFinding("pvh.image.elf", "bzimage-payload-not-elf", `the decompressed ${format} payload is not an ELF file (starts with ${Buffer.from(prefix.subarray(0, 8)).toString("hex")})`));
    return;
  }
  bz.elfClass = prefix[4] === 1 ? "elf32" : prefix[4] === 2 ? "elf64" : null;
  if (parsed instanceof ElfError) elfFailure(report, parsed, "decompressed vmlinux: ");
  else applyElf(report, parsed, prefix);
}

/** First bytes of the vmlinux always kept: multiboot headers lie in the first 32 KiB (findMultibootHeader). */
const KEEP_HEAD = 32768;
const HOLES = Symbol("holes");

type Decoded =
  | { kind: "ok"; prefix: Uint8Array; total: number; complete: boolean; sparse: PrefixCollector | null }
  | { kind: "failed"; error: DecompressError; total: number }
  /** A reader looked at bytes the sparse prefix did not keep. */
  | { kind: "holes" };

/**
 * Decompress the payload as far as its ELF notes (or, without PT_NOTE segments, to
 * its end). With `sparse`, the kernel text between the headers and the notes is
 * not kept (see PrefixCollector); what the output is, and where decoding stops,
 * are the same either way.
 */
async function decodeVmlinux(format: Compression, payload: Uint8Array, limit: number, sparse: boolean): Promise<Decoded> {
  const out = new PrefixCollector(sparse);
  let holes = false;
  const onRead = (offset: bigint, end: bigint): void => {
    if (!out.covers(offset, end)) holes = true;
  };
  let need = 64;
  let complete = false;
  let wantAll = false;
  const gen = decompress(format, payload, { maxOutput: limit, reuseOutput: sparse });
  try {
    for (;;) {
      const { value, done } = await gen.next();
      if (done) {
        complete = true;
        break;
      }
      out.add(value);
      if (wantAll || out.total < need) continue;
      const prefix = out.bytes();
      if (!isElf(prefix)) break;
      const n = elfBytesNeeded(prefix, { onRead });
      if (holes) return { kind: "holes" };
      if ("error" in n) break;
      if (out.total >= n.need) {
        // The notes are in hand. Only an image without PT_NOTE segments makes us read
        // on to the section headers at the end.
        const elf = readElf(prefix, { fileSize: Infinity, onRead });
        if (holes) return { kind: "holes" };
        if (elf.segmentNotes.length > 0) break;
        wantAll = true;
      } else if (sparse && !out.sparse) {
        keepHeadersAndNotes(out, prefix);
      }
      need = n.need;
    }
  } catch (err) {
    if (!(err instanceof DecompressError)) throw err;
    return { kind: "failed", error: err, total: out.total };
  } finally {
    await gen.return(undefined);
  }
  return { kind: "ok", prefix: out.bytes(), total: out.total, complete, sparse: out.sparse ? out : null };
}

/** The program headers are in `prefix` and the notes lie further on: from now on keep only what is read. */
function keepHeadersAndNotes(out: PrefixCollector, prefix: Uint8Array): void {
  let elf;
  try {
    elf = readElf(prefix, { fileSize: Infinity });
  } catch (err) {
    if (err instanceof ElfError) return; // the program headers are not all there yet
    throw err;
  }
  const ranges: [number, number][] = [[0, KEEP_HEAD]];
  for (const ph of elf.programHeaders) {
    if (ph.type !== ELF.PT_NOTE) continue;
    const end = ph.offset + ph.filesz;
    const cap = BigInt(Number.MAX_SAFE_INTEGER);
    ranges.push([Number(ph.offset > cap ? cap : ph.offset), Number(end > cap ? cap : end)]);
  }
  out.keepOnly(ranges);
}

/** readElf of the decoded prefix; HOLES if it read bytes a sparse prefix did not keep. */
function parseVmlinux(decoded: Extract<Decoded, { kind: "ok" }>): ElfFile | ElfError | typeof HOLES {
  const { prefix, complete, sparse } = decoded;
  let holes = false;
  const onRead = sparse
    ? (offset: bigint, end: bigint): void => {
        if (!sparse.covers(offset, end)) holes = true;
      }
    : undefined;
  let result: ElfFile | ElfError;
  try {
    result = readElf(prefix, { fileSize: complete ? prefix.length : Infinity, ...(onRead ? { onRead } : {}) });
  } catch (err) {
    if (!(err instanceof ElfError)) throw err;
    result = err;
  }
  return holes ? HOLES : result;
}

/** Check one image file. Throws ImageReadError only when the file cannot be read at all. */
export async function checkImage(path: string, opts: CheckImageOptions = {}): Promise<ImageReport> {
  let handle;
  try {
    // Decided before opening: open() of a FIFO waits for a writer, forever.
    assertRegularFile(path);
    handle = await open(path, OPEN_FLAGS);
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new ImageReadError(err.message);
    throw new ImageReadError(`cannot open ${path}: ${(err as Error).message}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new ImageReadError(`${path} is not a regular file`);
    const max = opts.maxFileSize ?? DEFAULT_MAX_FILE;
    if (st.size > max) throw new ImageReadError(`${path} is ${st.size} bytes, more than the ${max}-byte limit`);
    const bytes = await handle.readFile();
    return await checkImageBytes(path, bytes, opts);
  } catch (err) {
    if (err instanceof ImageReadError) throw err;
    if ((err as NodeJS.ErrnoException | undefined)?.code) throw new ImageReadError(`cannot read ${path}: ${String((err as Error).message)}`);
    throw err;
  } finally {
    await handle.close();
  }
}
