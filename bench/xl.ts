// The xl adapter's time per case, and what the probe's COM1 skip saves inside a PVH
// domU (no UART there: COM1's line status reads 0xff). One dom0 boots every case, so
// both kinds share one machine and one load: cases alternate between the probe as
// built (COM1 left out where its LSR reads 0xff) and the same probe with that test
// made to fail (its `cmp $0xff` patched to `cmp $0xfe`), which writes every
// character to COM1 too, as the probe did before. A benchmark, not a test.
import { xlAdapter } from "../adapters/xl/xlAdapter.js";
import { exampleCase } from "../generators/exampleCase.js";
import type { BootCase } from "../src/model/BootCase.js";

const PAIRS = Number(process.env["BENCH_PAIRS"] ?? 6);
const VARIANT = process.env["BENCH_VARIANT"] ?? "4.20";

// in al, dx; cmp al, 0xff; jne: the probe's test of COM1's LSR (probe.S).
const TEST = Buffer.from([0xec, 0x3c, 0xff, 0x75]);

function withCom1Forced(c: BootCase): BootCase {
  const img = Buffer.from(c.kernelImage);
  const at = img.indexOf(TEST);
  if (at < 0 || img.indexOf(TEST, at + 1) >= 0) throw new Error("the probe's COM1 test is not where the bench expects it (once, as in, cmp, jne)");
  const out = new Uint8Array(img);
  out[at + 2] = 0xfe;
  return { ...c, id: `${c.id}-com1`, kernelImage: out };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const kinds = [
  { name: "no command line", spec: { cmdline: null } },
  { name: "a 200-byte command line and a 4 KiB ramdisk", spec: { cmdline: "console=hvc0 ".repeat(15).slice(0, 200), modules: [{ size: 4096 }] } },
];
const cases: { c: BootCase; kind: string; com1: boolean }[] = [];
for (let i = 0; i < PAIRS; i++) {
  for (const k of kinds) {
    const c = exampleCase(`bench-${i}-${k.name.length}`, { plan: { entryCode: "probe" }, memoryBytes: 64 << 20, ...k.spec });
    cases.push({ c, kind: k.name, com1: false }, { c: withCom1Forced(c), kind: k.name, com1: true });
  }
}

const av = await xlAdapter.variantAvailable!(VARIANT);
if (!av.ok) throw new Error(av.reason);
const t0 = performance.now();
let last = t0;
let first = 0;
const times = new Map<string, number[]>();
for await (const { index, observation } of xlAdapter.bootBatch!(cases.map((x) => x.c), VARIANT)) {
  const now = performance.now();
  const x = cases[index]!;
  if (observation.outcome !== "entered") throw new Error(`${x.c.id}: ${observation.outcome}: ${observation.message}`);
  if (!first) first = now - t0;
  // The first case's time includes dom0's boot: left out.
  else {
    const key = `${x.kind} | ${x.com1 ? "COM1 written too (before)" : "COM1 left out (after)"}`;
    times.set(key, [...(times.get(key) ?? []), (now - last) / 1000]);
  }
  last = now;
}
console.log(`xl ${VARIANT}: ${cases.length} cases in one dom0, ${((performance.now() - t0) / 1000).toFixed(1)} s; dom0 boot plus the first case ${(first / 1000).toFixed(1)} s`);
console.log("per case (seconds, host clock, from one case's end to the next's; median and range):");
for (const [k, xs] of [...times].sort()) console.log(`  ${k}: ${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}, n=${xs.length})`);
