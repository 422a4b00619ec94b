// `npm run suite [-- RUN-OPTIONS]`: the suite on this machine. Two `run`s, each gated on
// the known deviations of the versions it tested:
//   1. every available adapter (reference, the host's QEMU, Xen, linux-loader) into DIR (--out, default
//      pvh-results);
//   2. Debian's QEMU 10.0 (bookworm-backports, fetched into the cache) into DIR/qemu-10.0,
//      when the host's QEMU is not 10.0 already.
// One results.json speaks for one QEMU release, so that `compare` can set them side by
// side; it does, into DIR/compare-qemu (compare.html, compare.json), and prints its totals. Options are passed to both runs; a run that chooses its own loaders (--adapter,
// --qemu) or only lists or helps is run once, as given. Outside CI a 10.0 that cannot
// be fetched is skipped with a note; with CI=true that fails the suite.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "bin", "pvh-conformance.js");
const EXPECTATIONS = ["qemu-7.2", "qemu-10.0", "xen-4.20", "xen-4.17", "xl-4.20", "xl-4.17", "linux-loader-0.14"].flatMap((f) => ["--expectations", join(root, "expectations", `${f}.yaml`)]);
const args = process.argv.slice(2);

/** The value of --out (either spelling), and the arguments without it. */
function splitOut(list) {
  const rest = [];
  let out = "pvh-results";
  for (let i = 0; i < list.length; i++) {
    if (list[i] === "--out" && i + 1 < list.length) out = list[++i];
    else if (list[i].startsWith("--out=")) out = list[i].slice("--out=".length);
    else rest.push(list[i]);
  }
  return { out, rest };
}

function run(argv) {
  const r = spawnSync(process.execPath, [cli, "run", ...argv], { stdio: "inherit" });
  if (r.signal) process.kill(process.pid, r.signal);
  return r.status ?? 1;
}

const own = args.some((a) => /^(--adapter|--qemu|--list|--help|-h)(=|$)/.test(a));
const { out, rest } = splitOut(args);
const first = run([...EXPECTATIONS, ...args]);
if (own) process.exit(first);

// The second release: skipped when run 1's QEMU was 10.0 (a Debian 13 host), or when it cannot be had.
const { qemuRelease, versionLine, isVersion } = await import(join(root, "dist", "adapters", "qemu", "qemuRelease.js"));
const { findOnPath } = await import(join(root, "dist", "adapters", "_internals", "findOnPath.js"));
const host = findOnPath("qemu-system-x86_64");
const hostIs10 = host !== undefined && existsSync(host) && isVersion(await versionLine(host).catch(() => ""), "10.0");
if (hostIs10) process.exit(first);
try {
  await qemuRelease("10.0");
} catch (err) {
  const why = `QEMU 10.0 not tested: ${err.message}`;
  if (process.env["CI"] === "true") {
    console.error(`CI: ${why}`);
    process.exit(Math.max(first, 1));
  }
  console.error(`note: ${why}`);
  process.exit(first);
}
console.error(`\npvh-conformance suite: QEMU 10.0 (bookworm-backports) into ${join(out, "qemu-10.0")}`);
const second = run(["--adapter", "qemu", "--qemu", "10.0", ...EXPECTATIONS, "--out", join(out, "qemu-10.0"), ...rest]);
// The two QEMU releases side by side (what 10.0 fixed, broke, or left as it was), as a page and
// a document; told, not gated: each run was gated on its own expectations above.
if (existsSync(join(out, "results.json")) && existsSync(join(out, "qemu-10.0", "results.json"))) {
  const page = join(out, "compare-qemu");
  const c = spawnSync(process.execPath, [cli, "compare", out, join(out, "qemu-10.0"), "--out", page], { encoding: "utf8" });
  const summary = (c.stdout ?? "").trim().split("\n").filter((l) => /^compare: /.test(l));
  if (c.status === 2) console.error(`\ncompare of the QEMU releases failed: ${(c.stderr ?? "").trim()}`);
  else console.error(`\nQEMU 7.2 → 10.0: ${summary.length ? summary[0].replace(/^compare: /, "") : "no common variant"} (${join(page, "compare.html")}; pvh-conformance compare ${out} ${join(out, "qemu-10.0")} for the details)`);
}
process.exit(Math.max(first, second));
