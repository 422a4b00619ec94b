// Decompression throughput on real kernel payloads, and the time to reach the
// Xen ELF notes of an xz vmlinux against `xz -dc payload > file; readelf -n file`.
//
//   node --import tsx bench/decompress.ts [--runs N]
//
// Inputs (environment variables, defaults as in the task brief):
//   PVH_BENCH_XZ   a bzImage xz payload (with its 4-byte size trailer)  /tmp/payload.xz
//   PVH_BENCH_LZ4  a bzImage lz4 payload                                /tmp/payload.lz4
//   PVH_BENCH_ELF  the vmlinux the xz payload decompresses to          /tmp/vmlinux.xz.elf
// The other formats have no real payload at hand: the vmlinux is compressed with
// the command line Linux's scripts/Makefile.lib uses for that format, once, into
// $TMPDIR/pvh-bench-payloads (first run: a few minutes, zstd -22 dominating).
// The bench shells out to the compressors and to xz/readelf; the library never does.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Compression } from "../src/compress/Compression.js";
import { decompress } from "../src/compress/decompress.js";

const NOTES_AT = 24_000_000;
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const root = resolve(fileURLToPath(import.meta.url), "../..");
const xzPayload = process.env["PVH_BENCH_XZ"] ?? "/tmp/payload.xz";
const lz4Payload = process.env["PVH_BENCH_LZ4"] ?? "/tmp/payload.lz4";
const vmlinux = process.env["PVH_BENCH_ELF"] ?? "/tmp/vmlinux.xz.elf";
const cacheDir = join(tmpdir(), "pvh-bench-payloads");

// Linux scripts/Makefile.lib (cmd_gzip, cmd_bzip2, cmd_lzma, cmd_lzo, cmd_zstd22)
// and scripts/xz_wrap.sh; each output gets the 4-byte size Linux appends.
const KERNEL_COMMANDS: Partial<Record<Compression, string[]>> = {
  gzip: ["gzip", "-n", "-9"],
  bzip2: ["bzip2", "-9"],
  lzma: ["xz", "--format=lzma", "-9"],
  lzo: ["lzop", "-9"],
  zstd: ["zstd", "-q", "-22", "--ultra"],
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function payloadFor(format: Compression): string | null {
  if (format === "xz") return existsSync(xzPayload) ? xzPayload : null;
  if (format === "lz4") return existsSync(lz4Payload) ? lz4Payload : null;
  const cmd = KERNEL_COMMANDS[format];
  if (!cmd || !existsSync(vmlinux)) return null;
  const out = join(cacheDir, `vmlinux.${format}`);
  if (existsSync(out)) return out;
  mkdirSync(cacheDir, { recursive: true });
  process.stderr.write(`  making ${out} with ${cmd.join(" ")} ...\n`);
  try {
    const raw = readFileSync(vmlinux);
    const packed = execFileSync(cmd[0]!, cmd.slice(1), { input: raw, maxBuffer: 1 << 30 });
    const size = Buffer.alloc(4);
    size.writeUInt32LE(raw.length);
    writeFileSync(out, Buffer.concat([packed, size]));
    return out;
  } catch (err) {
    process.stderr.write(`  cannot make it: ${(err as Error).message}\n`);
    return null;
  }
}

async function timeDecode(format: Compression, input: Uint8Array, stopAt = Infinity): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  let bytes = 0;
  for await (const chunk of decompress(format, input, { maxOutput: 1 << 30 })) {
    bytes += chunk.length;
    if (bytes >= stopAt) break;
  }
  return { ms: performance.now() - t0, bytes };
}

async function throughput(): Promise<void> {
  console.log(`Full decode, median of ${RUNS} runs (in-process):`);
  console.log("  format  payload MB  output MB      ms     MB/s");
  for (const format of ["xz", "lz4", "gzip", "zstd", "lzma", "lzo", "bzip2"] as Compression[]) {
    const path = payloadFor(format);
    if (!path) {
      console.log(`  ${format.padEnd(6)}  (no payload: skipped)`);
      continue;
    }
    const input = readFileSync(path);
    const runs = format === "bzip2" ? Math.min(RUNS, 2) : RUNS;
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < runs; i++) ({ ms: times[i], bytes } = await timeDecode(format, input));
    const ms = median(times);
    console.log(
      `  ${format.padEnd(6)}  ${(input.length / 1e6).toFixed(1).padStart(10)}  ${(bytes / 1e6).toFixed(1).padStart(9)}  ${ms.toFixed(0).padStart(6)}  ${(bytes / 1e3 / ms).toFixed(0).padStart(7)}`,
    );
  }
}

function wall(cmd: string, args: string[]): number {
  const t0 = performance.now();
  spawnSync(cmd, args, { stdio: "ignore" });
  return performance.now() - t0;
}

async function notesRace(): Promise<void> {
  if (!existsSync(xzPayload)) {
    console.log(`\nNo xz payload at ${xzPayload}: time-to-notes comparison skipped.`);
    return;
  }
  const input = readFileSync(xzPayload);
  const inProcess: number[] = [];
  for (let i = 0; i < RUNS; i++) inProcess.push((await timeDecode("xz", input, NOTES_AT)).ms);

  // A fresh process, as check-image runs: Node startup, module loading, reading
  // the payload and decoding up to the notes. Uses the compiled dist/ when built
  // (npm run build), since transpiling through tsx would add its own startup.
  const built = join(root, "dist/src/compress/decompress.js");
  const useDist = existsSync(built);
  const driver = `
    const { readFileSync } = await import("node:fs");
    const { decompress } = await import(${JSON.stringify(useDist ? built : join(root, "src/compress/decompress.ts"))});
    let n = 0;
    for await (const c of decompress("xz", readFileSync(${JSON.stringify(xzPayload)}), { maxOutput: 1 << 30 })) {
      n += c.length;
      if (n >= ${NOTES_AT}) break;
    }`;
  const nodeArgs = useDist ? ["--input-type=module", "-e", driver] : ["--import", "tsx", "--input-type=module", "-e", driver];
  const fresh: number[] = [];
  for (let i = 0; i < RUNS; i++) fresh.push(wall(process.execPath, nodeArgs));

  const scratch = join(tmpdir(), `pvh-bench-vmlinux-${process.pid}`);
  const reference: number[] = [];
  let haveTools = true;
  for (let i = 0; i < RUNS && haveTools; i++) {
    // xz -dc exits non-zero on the trailing size bytes after writing everything.
    const t = wall("sh", ["-c", `xz -dc '${xzPayload}' > '${scratch}'; readelf -n '${scratch}' > /dev/null`]);
    haveTools = existsSync(scratch);
    reference.push(t);
  }
  rmSync(scratch, { force: true });

  console.log(`\nReaching the notes of the xz vmlinux (first ${NOTES_AT / 1e6} MB of output), median of ${RUNS}:`);
  console.log(`  in-process decode to ${NOTES_AT / 1e6} MB:          ${median(inProcess).toFixed(0)} ms`);
  console.log(`  fresh node process, same work${useDist ? "" : " (via tsx)"}:  ${median(fresh).toFixed(0)} ms`);
  if (haveTools) {
    const ref = median(reference);
    console.log(`  xz -dc payload > file; readelf -n file:  ${ref.toFixed(0)} ms`);
    console.log(`  ratio fresh process / reference:         ${(median(fresh) / ref).toFixed(2)} (target <= 0.50)`);
  } else {
    console.log("  reference skipped: xz or readelf not installed");
  }
}

await throughput();
await notesRace();
