// QEMU through the suite, measured in one run: boots captured per second on each
// machine type; the capture's overhead against a bare boot of the same image
// (QEMU leaving through isa-debug-exit at the entry); the pool's speedup over one at
// a time; and the wall time of 500 cases. Each Debian release that can run here is
// measured in turn (7.2, the host's; 10.0, fetched), and the figures are printed side
// by side. A benchmark, not a test.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { qemuAdapter } from "../adapters/qemu/qemuAdapter.js";
import { QEMU_RELEASES, qemuRelease, type QemuLaunch } from "../adapters/qemu/qemuRelease.js";
import { generateCase } from "../generators/generateCase.js";
import type { BootCase } from "../src/model/BootCase.js";
import { runSuite } from "../src/runner/runSuite.js";
import { caseTags } from "../src/runner/caseTags.js";

const N = Number(process.env["BENCH_CASES"] ?? 24);
/** Boots in the pool measurement, and cases per machine type in the full run (smaller for a quick look on a busy machine). */
const POOL = Number(process.env["BENCH_POOL"] ?? 60);
const SUITE = Number(process.env["BENCH_SUITE_CASES"] ?? 167);
const SEED = 99;
const MIB = 1 << 20;

// mov al, 0; out 0xf4, al: isa-debug-exit ends QEMU with status (0 << 1) | 1.
const EXIT_STUB = Uint8Array.of(0xb0, 0x00, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd);

function bareImage(c: BootCase): Uint8Array {
  const img = c.kernelImage.slice();
  const s = c.kernel.segments.find((x) => c.kernel.entry >= x.paddr && c.kernel.entry + EXIT_STUB.length <= x.paddr + x.filesz)!;
  img.set(EXIT_STUB, s.offset + (c.kernel.entry - s.paddr));
  return img;
}

function bareBoot(launch: QemuLaunch, c: BootCase, machine: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "pvh-bench-"));
  writeFileSync(join(dir, "k.elf"), bareImage(c));
  const args = [...launch.args, "-accel", "tcg", "-machine", machine, "-m", `${Math.round(c.memoryBytes / MIB)}M`, "-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot", "-serial", "none",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", join(dir, "k.elf")];
  if (c.cmdline !== null) args.push("-append", c.cmdline);
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(launch.binary, args, { stdio: "ignore", env: { ...process.env, ...launch.env } });
    const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
    p.once("exit", (code) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      if (code !== 1) reject(new Error(`bare boot of ${c.id} on ${machine} ended with ${code}`));
      else resolve(performance.now() - t);
    });
  });
}

/** Every figure for one release, as (label, value) rows. */
async function measure(launch: QemuLaunch, release: string): Promise<[string, string][]> {
  qemuAdapter.configure!({ qemu: release });
  const rows: [string, string][] = [];
  // Cases QEMU boots: valid, no modules (the bare boot passes none), notes it can read.
  const caps = { ...qemuAdapter.capabilities("pc-tcg"), maxModules: 0, malformed: false };
  const cases: BootCase[] = [];
  for (let i = 0; cases.length < N; i++) {
    const c = generateCase(caps, SEED, i);
    if (c.kernel.malformed) continue;
    // Speed, not conformance: leave out images that trip QEMU's known crashes (see expectations/qemu-7.2.yaml).
    const tags = caseTags(c);
    if (tags.includes("no-sections") || tags.includes("note-align-8")) continue;
    // The exit stub is longer than the entry stub: it must fit in the entry segment's file bytes.
    if (!c.kernel.segments.some((x) => c.kernel.entry >= x.paddr && c.kernel.entry + EXIT_STUB.length <= x.paddr + x.filesz)) continue;
    const o = await qemuAdapter.boot(c, "pc-tcg");
    if (o.outcome === "entered") cases.push(c);
  }

  for (const m of ["pc", "q35", "microvm"]) {
    let captured = 0;
    let bare = 0;
    for (const c of cases) {
      const t = performance.now();
      const o = await qemuAdapter.boot(c, `${m}-tcg`);
      captured += performance.now() - t;
      if (o.outcome !== "entered") throw new Error(`${c.id} on ${m}: ${o.outcome}`);
      bare += await bareBoot(launch, c, m);
    }
    rows.push([`${m} captured`, `${((cases.length / captured) * 1000).toFixed(1)} boots/s (${(captured / cases.length).toFixed(0)} ms each)`]);
    rows.push([`${m} bare boot`, `${(bare / cases.length).toFixed(0)} ms each`]);
    rows.push([`${m} capture overhead (goal <= 1.5)`, `${(captured / bare).toFixed(2)}x`]);
  }

  // The pool is measured on the same cases (no image that trips QEMU's known crashes or
  // timeouts): one 20 s timeout would bound any pool's wall time and hide the speedup.
  const pool = async (jobs: number): Promise<number> => {
    const items = Array.from({ length: POOL }, (_, i) => cases[i % cases.length]!);
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: jobs }, async () => {
        while (next < items.length) await qemuAdapter.boot(items[next++]!, "pc-tcg");
      }),
    );
    return performance.now() - t;
  };
  const one = await pool(1);
  const two = await pool(availableParallelism());
  rows.push([`pool: ${POOL} boots one at a time`, `${(one / 1000).toFixed(1)} s`]);
  rows.push([`pool: ${availableParallelism()} at a time`, `${(two / 1000).toFixed(1)} s`]);
  rows.push(["pool speedup (goal >= 1.7)", `${(one / two).toFixed(2)}x`]);
  const t = performance.now();
  await runSuite({ selections: [{ adapter: qemuAdapter, variants: ["pc-tcg", "q35-tcg", "microvm-tcg"] }], cases: SUITE, seed: SEED + 2, concurrency: availableParallelism(), suiteVersion: "bench", command: [] });
  rows.push([`${3 * SUITE} cases, every check (goal < 120 s for 500)`, `${((performance.now() - t) / 1000).toFixed(1)} s`]);
  rows.unshift(["valid generated cases QEMU boots", String(cases.length)]);
  return rows;
}

// BENCH_QEMU=10.0 measures one release only.
const wanted = process.env["BENCH_QEMU"]?.split(",") ?? [...QEMU_RELEASES];
console.log(`QEMU boots through the suite: seed ${SEED}, TCG, ${availableParallelism()} cores, ${N} cases per machine type`);
const columns: { release: string; rows: [string, string][] }[] = [];
for (const release of QEMU_RELEASES.filter((r) => wanted.includes(r))) {
  let launch;
  try {
    launch = await qemuRelease(release);
  } catch (err) {
    console.log(`QEMU ${release}: not measured (${(err as Error).message})`);
    continue;
  }
  console.error(`measuring QEMU ${release} (${launch.binary})...`);
  columns.push({ release, rows: await measure(launch, release) });
}
const labels = columns[0]?.rows.map(([l]) => l) ?? [];
const width = Math.max(...labels.map((l) => l.length));
console.log(`${"".padEnd(width)}  ${columns.map((c) => `QEMU ${c.release}`.padEnd(34)).join("")}`);
for (const [i, label] of labels.entries()) console.log(`${label.padEnd(width)}  ${columns.map((c) => (c.rows[i]?.[1] ?? "").padEnd(34)).join("")}`);
