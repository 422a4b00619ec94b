import { parseArgs } from "node:util";
import { checkImage, DEFAULT_MAX_DECOMPRESSED, ImageReadError } from "../checkImage/checkImage.js";
import type { ImageReport } from "../checkImage/ImageReport.js";
import { EXIT, UsageError, type Io } from "./Io.js";

const HELP = `usage: pvh-conformance check-image [options] FILE...

Checks that kernel images expose a valid PVH entry: the Xen PHYS32_ENTRY ELF note
and everything a loader needs from it. Reads ELF32 and ELF64 kernels and x86
bzImages (gzip, xz, lzma, lz4, zstd, bzip2 or lzo payloads), decompressing a
bzImage only as far as its notes.

options:
  --json                    print a JSON array, one report per file
                            (schema: spec/schema/check-image.schema.json)
  --max-decompressed BYTES  treat a payload that decompresses to more than this
                            as a decompression bomb (default ${DEFAULT_MAX_DECOMPRESSED})
  -h, --help                show this help

exit status: 0 all images valid, 1 some image invalid, 2 usage or I/O error
`;

const hex = (v: number): string => "0x" + v.toString(16);

function human(r: ImageReport): string {
  const lines: string[] = [];
  let container = r.format === "bzimage" ? "bzImage" : r.format.toUpperCase();
  if (r.bzimage) {
    container += ` (protocol ${r.bzimage.protocol}`;
    if (r.compression) container += `, ${r.compression} payload of ${r.bzimage.payloadLength} bytes`;
    if (r.bzimage.elfClass) container += `, ${r.bzimage.elfClass} vmlinux; read ${r.bzimage.decompressedBytes} bytes of it`;
    container += ")";
    if (r.bzimage.kernelVersion) container += `\n  version ${r.bzimage.kernelVersion}`;
  }
  lines.push(`${r.file}: ${r.verdict.toUpperCase()}  ${container}`);
  lines.push(`  entry   ${r.entry === null ? "none" : hex(r.entry)}`);
  if (r.reloc) lines.push(`  reloc   align=${hex(r.reloc.align)} min=${hex(r.reloc.min)} max=${hex(r.reloc.max)}`);
  if (r.notes.length) {
    lines.push(`  notes   ${r.notes.length}`);
    const w = Math.max(...r.notes.map((n) => n.owner.length));
    for (const n of r.notes) {
      lines.push(`    ${n.owner.padEnd(w)}  ${`${n.name} (${n.type})`.padEnd(24)} ${n.value}   [${n.in.join(", ")}]`);
    }
  }
  if (r.findings.length === 0) lines.push("  findings: none");
  for (const f of r.findings) lines.push(`  ${f.severity === "error" ? "ERROR  " : "warning"} ${f.requirement}: ${f.message}`);
  return lines.join("\n") + "\n";
}

export async function checkImageCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, "max-decompressed": { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError("no FILE given");
  let maxDecompressed: number | undefined;
  if (values["max-decompressed"] !== undefined) {
    maxDecompressed = Number(values["max-decompressed"]);
    if (!Number.isSafeInteger(maxDecompressed) || maxDecompressed <= 0) throw new UsageError("--max-decompressed takes a positive number of bytes");
  }
  const reports: ImageReport[] = [];
  let ioError = false;
  for (const file of positionals) {
    try {
      const r = await checkImage(file, maxDecompressed === undefined ? {} : { maxDecompressed });
      reports.push(r);
      if (!values.json) io.stdout.write(human(r));
    } catch (err) {
      if (!(err instanceof ImageReadError)) throw err;
      ioError = true;
      io.stderr.write(`pvh-conformance check-image: ${err.message}\n`);
    }
  }
  if (values.json) io.stdout.write(JSON.stringify(reports, null, 2) + "\n");
  if (ioError) return EXIT.usage;
  return reports.every((r) => r.verdict === "valid") ? EXIT.ok : EXIT.failed;
}
