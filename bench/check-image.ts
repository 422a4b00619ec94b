// check-image on Debian's vmlinuz against the usual pipeline (xz -dc the whole
// payload to a file, then readelf -n), measured in one run. Prints the figures and
// the ratio; the goal is at most 0.5 (half the pipeline's time).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readBzImage } from "../src/bzimage/readBzImage.js";
import { checkImage } from "../src/checkImage/checkImage.js";
import { fetchDebianPackage } from "../src/corpus/fetchDebianPackage.js";
import { packageRoot } from "../src/_internals/packageRoot.js";

const RUNS = Number(process.env["BENCH_RUNS"] ?? 7);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const root = (await fetchDebianPackage("linux-image-amd64")).root;
const vmlinuz = join(root, "boot", readdirSync(join(root, "boot")).find((f) => f.startsWith("vmlinuz"))!);
const bytes = readFileSync(vmlinuz);
const info = readBzImage(bytes);
const work = mkdtempSync(join(tmpdir(), "pvh-bench-"));
// The pipeline is given the payload already cut out of the bzImage: that step is not timed.
const payload = join(work, "payload.xz");
writeFileSync(payload, bytes.subarray(info.payloadOffset, info.payloadOffset + info.payloadLength));
const bin = join(packageRoot(), "bin", "pvh-conformance.js");

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

const pipeline: number[] = [];
const cli: number[] = [];
const inProcess: number[] = [];
const nodeFloor: number[] = [];
for (let i = 0; i < RUNS; i++) {
  pipeline.push(
    time(() => {
      // xz exits non-zero on the 4 size bytes Linux appends, after writing everything.
      spawnSync("sh", ["-c", `xz -dc --single-stream < ${payload} > ${work}/vmlinux; readelf -n ${work}/vmlinux > /dev/null`]);
    }),
  );
  cli.push(time(() => execFileSync("node", [bin, "check-image", "--json", vmlinuz], { maxBuffer: 16 << 20 })));
  // What a new process costs before it does anything.
  nodeFloor.push(time(() => execFileSync("node", ["-e", "0"])));
  const t = performance.now();
  const r = await checkImage(vmlinuz);
  inProcess.push(performance.now() - t);
  if (r.verdict !== "valid") throw new Error("check-image did not find the vmlinuz valid");
}
rmSync(work, { recursive: true, force: true });

const p = median(pipeline);
const c = median(cli);
const ip = median(inProcess);
const n = median(nodeFloor);
const r = await checkImage(vmlinuz);
console.log(`image:        ${vmlinuz} (${bytes.length} bytes, ${r.compression} payload; check-image decompressed ${r.bzimage?.decompressedBytes} bytes)`);
console.log(`runs:         ${RUNS}, medians`);
console.log(`pipeline:     ${p.toFixed(0)} ms  (xz -dc whole payload > file; readelf -n file)`);
console.log(`check-image:  ${c.toFixed(0)} ms  (node bin/pvh-conformance.js check-image, a new process each time)`);
console.log(`in-process:   ${ip.toFixed(0)} ms  (checkImage() with Node already running)`);
console.log(`ratio:        ${(c / p).toFixed(2)} (CLI / pipeline; goal <= 0.50), ${(ip / p).toFixed(2)} in-process`);
// The ELF notes of Debian's vmlinux lie some 24 MB into it, in a single LZMA2 block:
// nothing before them can be skipped, so the in-process time is all decoding.
console.log(`startup:      ${n.toFixed(0)} ms  (node -e 0: ${(n / p).toFixed(2)} of the pipeline before any work)`);
