// check-image on Debian's vmlinuz as a fresh process, against the usual pipeline:
// cut the xz payload out of the bzImage, `xz -dc` all of it to a file, `readelf -n`
// the file. Paired: each pair runs both, in alternating order; a pair's ratio is
// check-image / pipeline. CPU time is user + sys of the whole process tree (bash's
// `time`, from getrusage of the waited-for children, millisecond resolution); wall
// time is bash's too. Goal: at most 0.5 on both. BENCH_RUNS pairs (default 11).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { readBzImage } from "../src/bzimage/readBzImage.js";
import { checkImage } from "../src/checkImage/checkImage.js";
import { fetchDebianPackage } from "../src/corpus/fetchDebianPackage.js";
import { packageRoot } from "../src/_internals/packageRoot.js";

const RUNS = Number(process.env["BENCH_RUNS"] ?? 11);
const GOAL = 0.5;

interface Times {
  wall: number;
  cpu: number;
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const median = (xs: number[]): number => {
  const s = sorted(xs);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const range = (xs: number[], digits: number): string => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
const loadAverage = (): number => Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);

/** Run `command` under bash's `time`; fails if it does not exit 0. */
function timed(command: string): Times {
  const script = `TIMEFORMAT='%3R %3U %3S'; set -o pipefail; { time { ${command} ; } > /dev/null 2> /dev/null ; } 2>&1`;
  const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  const [wall, user, sys] = line.split(/\s+/).map(Number);
  if (r.status !== 0 || wall === undefined || user === undefined || sys === undefined || [wall, user, sys].some(Number.isNaN)) {
    throw new Error(`bench: \`${command}\` failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
  }
  return { wall: wall * 1000, cpu: (user + sys) * 1000 };
}

const root = (await fetchDebianPackage("linux-image-amd64")).root;
const vmlinuz = join(root, "boot", readdirSync(join(root, "boot")).find((f) => f.startsWith("vmlinuz"))!);
const bytes = readFileSync(vmlinuz);
const info = readBzImage(bytes);
const work = mkdtempSync(join(tmpdir(), "pvh-bench-"));
const bin = join(packageRoot(), "bin", "pvh-conformance.js");

// The pipeline cuts the payload out with dd at the offset and length the setup header
// gives (payload_offset and payload_length, Linux's Documentation/arch/x86/boot.rst),
// which is cheaper than the search for the xz magic that Linux's scripts/extract-vmlinux
// does. xz's --single-stream ignores the 4 size bytes Linux appends to the payload.
// readelf needs a seekable file, so the vmlinux goes to a file, not a pipe.
const pipelineCommand =
  `dd if=${quote(vmlinuz)} bs=64K iflag=skip_bytes,count_bytes skip=${info.payloadOffset} count=${info.payloadLength} status=none` +
  ` | xz -dc --single-stream > ${quote(join(work, "vmlinux"))} && readelf -n ${quote(join(work, "vmlinux"))}`;
const cliCommand = `node ${quote(bin)} check-image --json ${quote(vmlinuz)}`;

// Both sides find the PVH entry note before anything is timed.
const readelf = spawnSync("bash", ["-c", pipelineCommand], { encoding: "utf8", maxBuffer: 16 << 20 });
if (readelf.status !== 0 || !/Xen\s+0x[0-9a-f]+\s+(Unknown note type: \(0x00000012\)|.*PHYS32)/i.test(readelf.stdout)) {
  throw new Error(`bench: the pipeline does not show the PHYS32_ENTRY note:\n${readelf.stdout}${readelf.stderr}`);
}
const check = await checkImage(vmlinuz);
if (check.verdict !== "valid" || check.compression !== "xz") throw new Error("bench: check-image does not find the xz vmlinuz valid");
const vmlinuxBytes = readFileSync(join(work, "vmlinux")).length;

const pipeline: Times[] = [];
const cli: Times[] = [];
const nodeFloor: Times[] = [];
const inProcess: number[] = [];
const loads: number[] = [loadAverage()];
try {
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      pipeline.push(timed(pipelineCommand));
      cli.push(timed(cliCommand));
    } else {
      cli.push(timed(cliCommand));
      pipeline.push(timed(pipelineCommand));
    }
    // What a new Node process costs before it does anything.
    nodeFloor.push(timed("node -e 0"));
    const c0 = process.cpuUsage();
    const r = await checkImage(vmlinuz);
    const c = process.cpuUsage(c0);
    inProcess.push((c.user + c.system) / 1000);
    if (r.verdict !== "valid") throw new Error("bench: check-image did not find the vmlinuz valid");
    loads.push(loadAverage());
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const cpuRatios = cli.map((c, i) => c.cpu / pipeline[i]!.cpu);
const wallRatios = cli.map((c, i) => c.wall / pipeline[i]!.wall);
const side = (xs: Times[], key: keyof Times): string => `${median(xs.map((x) => x[key])).toFixed(0)} ms (${range(xs.map((x) => x[key]), 0)})`;
const verdict = (r: number): string => (r <= GOAL ? "goal met" : "goal not met");

console.log(`image:        ${vmlinuz}`);
console.log(`              ${bytes.length} bytes; xz payload of ${info.payloadLength} bytes; vmlinux ${vmlinuxBytes} bytes, of which check-image decompressed ${check.bzimage?.decompressedBytes}`);
console.log(`pairs:        ${RUNS}, alternating which side runs first; medians (min–max)`);
console.log(`load average: ${median(loads).toFixed(2)} (${range(loads, 2)}) over the run, 1-minute, on ${cpus().length} cores shared with other work`);
console.log(`pipeline:     CPU ${side(pipeline, "cpu")}, wall ${side(pipeline, "wall")}  (dd the payload | xz -dc > file; readelf -n file)`);
console.log(`check-image:  CPU ${side(cli, "cpu")}, wall ${side(cli, "wall")}  (node bin/pvh-conformance.js check-image --json, a new process each time)`);
console.log(`CPU ratio:    ${median(cpuRatios).toFixed(2)} (${range(cpuRatios, 2)})  check-image / pipeline per pair; ${verdict(median(cpuRatios))} (<= ${GOAL.toFixed(2)})`);
console.log(`wall ratio:   ${median(wallRatios).toFixed(2)} (${range(wallRatios, 2)})  ${verdict(median(wallRatios))} (<= ${GOAL.toFixed(2)})`);
console.log(`node -e 0:    CPU ${side(nodeFloor, "cpu")}, wall ${side(nodeFloor, "wall")}  (${(median(nodeFloor.map((x) => x.cpu)) / median(pipeline.map((x) => x.cpu))).toFixed(2)} of the pipeline's CPU before any work)`);
console.log(`in-process:   CPU ${median(inProcess).toFixed(0)} ms (${range(inProcess, 0)})  (checkImage() with Node and the modules already loaded)`);
