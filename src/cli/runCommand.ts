import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Adapter } from "../../adapters/Adapter.js";
import { adapters, findAdapter } from "../../adapters/registry.js";
import { isXenRelease } from "../../adapters/xen/xenImage.js";
import { packageRoot } from "../_internals/packageRoot.js";
import type { Results } from "../results/Results.js";
import { summarizeDivergences } from "../differential/summarizeDivergences.js";
import { applyExpectations, expectationsFileFor } from "../expectations/applyExpectations.js";
import { readExpectations } from "../expectations/expectationsIo.js";
import { printGate } from "./gateCommand.js";
import { writeReproducer } from "../../reports/repro/writeReproducer.js";
import { generateCase } from "../../generators/generateCase.js";
import { judge } from "../checks/judge.js";
import { describeCase } from "../runner/describeCase.js";
import { shrinkCase } from "../runner/shrinkCase.js";
import { userKernelCase } from "../runner/userKernelCase.js";
import { replayCommand } from "../runner/replayCommand.js";
import { runSuite, type Progress, type Selection } from "../runner/runSuite.js";
import { EXIT, UsageError, type Io } from "./Io.js";
import { prepareOutDir } from "./outDir.js";
import { writeReports } from "./writeReports.js";
import { boundaryExamples } from "../../generators/examples.js";
import { BAD_STATUSES } from "../model/Verdict.js";

const HELP = `usage: pvh-conformance run [options]

Generates boot cases, boots each through the selected loaders, checks every
requirement of the catalogue, prints a summary per requirement and writes
DIR/results.json (schema: spec/schema/results.schema.json).

options:
  --adapter ID[,ID]   loaders to test (default: reference, plus every installed
                      adapter that reports itself available); repeatable
  --variant V[,V]     variants to run (default: each adapter's default variants;
                      "all" for every variant)
  --machine M[,M]     QEMU machine types to run: pc, q35, microvm (default: all)
  --accel A[,A]       QEMU accelerators: tcg (default), kvm (only where a KVM
                      guest actually starts)
  --qemu PATH         the qemu-system-x86_64 to test (default: from PATH)
  --qemu-arg ARG      append ARG to every QEMU command line; repeatable, e.g.
                      --qemu-arg -L --qemu-arg /path/to/firmware
  --xen R|PATH        the Xen hypervisor to test: a Debian build by release, 4.20
                      (the default, from trixie; relocates PHYS32_RELOC kernels)
                      or 4.17 (bookworm), fetched with apt-get download into the
                      cache and unpacked, never installed; or the path of a
                      hypervisor image (gunzipped ELF)
  --boot-timeout S    seconds a VMM may take to reach the entry (default 20)
  --cases N           cases per variant (default 100; 20 for Xen, whose boots take seconds)
  --seed S            run seed (default: random, or 1 when CI=true); printed,
                      and a failing case replays from it
  --case I[,I]        only these case indexes of the seed (replay); a boundary
                      example by name: --case example:NAME
  --skip-examples     run only generated cases, not the boundary examples
  --skip-allure       write allure-results/ but not the HTML report
  --skip-differential do not also load each case with the reference loader; by
                      default every other adapter's cases record where they
                      differ from it (results.json "divergences", the summary
                      and the matrix page)
  --kernel FILE       test the loaders on this kernel (ELF, or bzImage whose vmlinux
                      is booted) instead of generated ones: its PVH entry is
                      captured by the debugger and every check applies
  --append STR        with --kernel: the command line (default none)
  --initrd FILE       with --kernel: module 0
  --memory MIB        with --kernel: guest memory in MiB (default 512)
  --shard I/N         run the I-th of N deterministic slices of the cases (for
                      several machines); join them with pvh-conformance merge
  --out DIR           where results.json goes (default ./pvh-results)
  --expectations FILE known deviations (expectations/<adapter>-<version>.yaml);
                      repeatable. Then the exit status counts only unexpected
                      results, and what changed is printed
  --jobs N            boots in flight at once (default: the adapter's choice)
  --shrink N          shrink the first case of up to N failure groups (requirement
                      and status) to a minimal one, written to
                      DIR/repro/<case-id>/shrunk/ (default 3; 0 to skip)
  --list              list adapters and variants, with availability, and exit
  -q, --quiet         no progress lines
  -h, --help          show this help

exit status: 0 when no record is FAIL, ERROR, CRASH or TIMEOUT; 1 otherwise;
2 on a usage error or an adapter that is not available
`;

const STATUSES = ["PASS", "FAIL", "ERROR", "CRASH", "TIMEOUT", "SKIP"] as const;
/** Most bytes of reproducers one run writes (large modules add up over thousands of failing cases). */
const REPRO_BUDGET = 256 << 20;
/** Default cases per variant for adapters whose boots take seconds. */
const SLOW_ADAPTER_CASES: Record<string, number> = { xen: 20, xl: 20 };

function list(values: (string | undefined)[] | undefined): string[] {
  return (values ?? []).flatMap((v) => (v ?? "").split(",")).map((s) => s.trim()).filter(Boolean);
}

function positiveInt(s: string | undefined, name: string, fallback: number, range: { min?: number; max?: number; hint?: string } = {}): number {
  if (s === undefined) return fallback;
  const n = Number(s);
  const min = range.min ?? 0;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} takes a whole number from ${min} to ${max}, not ${JSON.stringify(s)}${range.hint ? ` (${range.hint})` : ""}`);
  }
  return n;
}

/** Cases per variant in one process: every record is kept until the reports are written. */
const MAX_CASES = 100_000;

function suiteVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
}

interface VariantFilter {
  variants: string[];
  machines: string[];
  accels: string[];
}

async function selectAdapters(ids: string[], filter: VariantFilter, io: Io): Promise<Selection[]> {
  const variantArg = filter.variants;
  let chosen: Adapter[];
  if (ids.length === 0) {
    chosen = [];
    for (const a of adapters) {
      const av = await a.available();
      if (av.ok) chosen.push(a);
      else io.stderr.write(`note: adapter ${a.id} not available, skipped: ${av.reason}\n`);
    }
  } else {
    chosen = ids.map((id) => {
      const a = findAdapter(id);
      if (!a) throw new UsageError(`unknown adapter ${JSON.stringify(id)}; known: ${adapters.map((x) => x.id).join(", ")}`);
      return a;
    });
    for (const a of chosen) {
      const av = await a.available();
      if (!av.ok) throw new UsageError(`adapter ${a.id} is not available: ${av.reason}`);
    }
  }
  const out: Selection[] = [];
  for (const adapter of chosen) {
    const known = adapter.variants.map((v) => v.id);
    const machineStyle = known.every((v) => /^[a-z0-9]+-[a-z0-9]+$/.test(v));
    const filtering = machineStyle && (filter.machines.length > 0 || filter.accels.length > 0);
    let variants = variantArg.includes("all") ? known : variantArg.filter((v) => known.includes(v));
    if (variantArg.length === 0) variants = filtering ? known : adapter.variants.filter((v) => v.default).map((v) => v.id);
    if (filtering) {
      variants = variants.filter((v) => {
        const [m, a] = v.split("-");
        return (filter.machines.length === 0 || filter.machines.includes(m!)) && (filter.accels.length === 0 ? a === "tcg" : filter.accels.includes(a!));
      });
    }
    const unknown = variantArg.filter((v) => v !== "all" && !adapters.some((a) => a.variants.some((x) => x.id === v)));
    if (unknown.length) throw new UsageError(`unknown variant ${unknown.join(", ")}`);
    const explicit = variantArg.length > 0 || filtering;
    const usable: string[] = [];
    for (const v of variants) {
      const av = adapter.variantAvailable ? await adapter.variantAvailable(v) : { ok: true as const };
      if (av.ok) usable.push(v);
      else if (explicit && variantArg.includes(v)) throw new UsageError(`variant ${adapter.id}/${v} is not available here: ${av.reason}`);
      else io.stderr.write(`note: variant ${adapter.id}/${v} not available, skipped: ${av.reason}\n`);
    }
    if (usable.length === 0) {
      if (ids.length === 0) continue;
      throw new UsageError(`adapter ${adapter.id} has no variant to run among ${variants.join(", ") || "(none matched)"}; it has ${known.join(", ")}`);
    }
    out.push({ adapter, variants: usable });
  }
  return out;
}

function summary(results: Results): string {
  const lines: string[] = [];
  const groups = new Map<string, Map<string, Record<string, number>>>();
  for (const r of results.records) {
    const g = `${r.adapter}/${r.variant}`;
    let m = groups.get(g);
    if (!m) groups.set(g, (m = new Map()));
    let c = m.get(r.requirement);
    if (!c) m.set(r.requirement, (c = {}));
    const key = r.status === "SKIP" && r.notApplicable ? "n/a" : r.status;
    c[key] = (c[key] ?? 0) + 1;
  }
  const reqs = results.run.requirements;
  const w = Math.max(...Object.keys(reqs).map((k) => k.length));
  for (const [g, m] of groups) {
    lines.push(`\n${g}: ${results.cases.filter((c) => `${c.adapter}/${c.variant}` === g).length} cases`);
    lines.push(`  ${"requirement".padEnd(w)}  level    ${[...STATUSES, "n/a"].map((s) => s.padStart(8)).join("")}`);
    const unexercised: string[] = [];
    for (const [id, meta] of Object.entries(reqs)) {
      const c = m.get(id) ?? {};
      const ran = STATUSES.filter((s) => s !== "SKIP").reduce((a, s) => a + (c[s] ?? 0), 0);
      if (ran === 0 && meta.level === "must") unexercised.push(id);
      const mark = STATUSES.some((s) => BAD_STATUSES.has(s) && c[s]) ? "✗" : ran ? "✓" : "·";
      lines.push(`${mark} ${id.padEnd(w)}  ${meta.level.padEnd(7)}  ${[...STATUSES, "n/a"].map((s) => String(c[s] ?? "").padStart(8)).join("")}`);
    }
    if (unexercised.length) lines.push(`  note: no case exercised these "must" requirements: ${unexercised.join(", ")}`);
  }
  lines.push(...divergenceSummary(results));
  return lines.join("\n") + "\n";
}

/** Per variant: how often it differed from the reference loader, by field, and any divergence no failing check explains. */
function divergenceSummary(results: Results): string[] {
  const lines: string[] = [];
  for (const v of summarizeDivergences(results)) {
    lines.push(`\n${v.adapter}/${v.variant} against the reference loader: ${v.diverging} of ${v.compared} cases differ on an ABI-defined field`);
    for (const f of v.fields) lines.push(`  ${String(f.cases).padStart(6)}  ${f.field} (${f.requirement})`);
    if (v.unexplained.length) {
      lines.push(`  ${v.unexplained.length} divergence(s) no failing check explains (a missing check, or a reference-loader fault):`);
      for (const d of v.unexplained.slice(0, 5)) lines.push(`    ${d.caseId}: ${d.field}: reference ${d.reference}, ${v.adapter} ${d.other} (${d.requirement} did not fail)`);
    }
  }
  return lines;
}

/** `--qemu-arg -L` is the natural spelling, but parseArgs reads "-L" as an option: glue the pair. */
function glueValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--qemu-arg" && i + 1 < args.length) out.push(`--qemu-arg=${args[++i]}`);
    else out.push(args[i]!);
  }
  return out;
}

/**
 * Shrink the first failing case of each failure group (unexpected ones first, when
 * expectations were given) and write its reproducer next to the original's.
 */
async function shrinkFailures(results: Results, selections: Selection[], seed: number, groups: number, reproDir: string, io: Io, quiet: boolean): Promise<void> {
  if (groups === 0) return;
  const seen = new Set<string>();
  const firsts = results.records
    .filter((r) => BAD_STATUSES.has(r.status))
    .sort((a, b) => Number(a.expected === a.status) - Number(b.expected === b.status))
    .filter((r) => {
      // A crash or a timeout is one event for the whole case, whatever requirement it marks.
      const req = r.status === "CRASH" || r.status === "TIMEOUT" ? "*" : r.requirement;
      const k = `${r.adapter}/${r.variant}/${req}/${r.status}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .slice(0, groups);
  for (const r of firsts) {
    const adapter = selections.find((x) => x.adapter.id === r.adapter)!.adapter;
    const replay = results.cases.find((c) => c.caseId === r.caseId && c.adapter === r.adapter && c.variant === r.variant)!.replay;
    // Boundary examples are already minimal by design; shrink generated cases only.
    if (replay.example !== undefined) continue;
    const original = generateCase(adapter.capabilities(r.variant), seed, replay.index);
    if (!quiet) io.stderr.write(`shrinking ${original.id} (${r.adapter}/${r.variant} ${r.status} ${r.requirement})...\n`);
    const shrunk = await shrinkCase(adapter, r.variant, original, r.requirement, r.status);
    if (!shrunk) continue;
    const bad = judge(shrunk.bootCase, shrunk.obs)
      .filter((v) => v.requirement === r.requirement)
      .map((v) => ({ requirement: v.requirement, adapter: r.adapter, variant: r.variant, caseId: original.id, status: v.status, code: v.code, message: v.message }));
    writeReproducer(join(reproDir, original.id), { bootCase: { ...shrunk.bootCase, id: "shrunk" }, obs: shrunk.obs, bad, seed });
    if (!quiet) io.stderr.write(`  ${describeCase(shrunk.bootCase)} (${shrunk.evaluations} boots) -> ${join(reproDir, original.id, "shrunk")}\n`);
  }
}

export async function runCommand(rawArgs: string[], io: Io): Promise<number> {
  const args = glueValues(rawArgs);
  const { values } = parseArgs({
    args,
    options: {
      adapter: { type: "string", multiple: true },
      variant: { type: "string", multiple: true },
      machine: { type: "string", multiple: true },
      accel: { type: "string", multiple: true },
      qemu: { type: "string" },
      xen: { type: "string" },
      "qemu-arg": { type: "string", multiple: true },
      "boot-timeout": { type: "string" },
      cases: { type: "string" },
      seed: { type: "string" },
      case: { type: "string", multiple: true },
      shard: { type: "string" },
      "skip-examples": { type: "boolean" },
      "skip-differential": { type: "boolean" },
      "skip-allure": { type: "boolean" },
      kernel: { type: "string" },
      append: { type: "string" },
      initrd: { type: "string" },
      memory: { type: "string" },
      out: { type: "string" },
      expectations: { type: "string", multiple: true },
      jobs: { type: "string" },
      shrink: { type: "string" },
      list: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (values.list) {
    for (const a of adapters) {
      const av = await a.available();
      io.stdout.write(`${a.id}: ${a.description} (${av.ok ? "available" : `not available: ${av.reason}`})\n`);
      for (const v of a.variants) io.stdout.write(`  ${v.id}${v.default ? " (default)" : ""}: ${v.description}\n`);
    }
    return EXIT.ok;
  }
  const cases = positiveInt(values.cases, "--cases", 100, { max: MAX_CASES, hint: "spread more over runs with --shard I/N and join them with merge" });
  const seed = values.seed !== undefined ? positiveInt(values.seed, "--seed", 0) : process.env["CI"] === "true" ? 1 : Math.floor(Math.random() * 2 ** 31);
  const caseArgs = list(values.case);
  const exampleNames = caseArgs.filter((s) => s.startsWith("example:")).map((s) => s.slice("example:".length));
  const knownExamples = new Set(boundaryExamples.map(([name]) => name));
  const unknownExamples = exampleNames.filter((n) => !knownExamples.has(n));
  if (unknownExamples.length) throw new UsageError(`--case: no boundary example named ${unknownExamples.map((n) => JSON.stringify(n)).join(", ")}; they are ${[...knownExamples].join(", ")}`);
  if (values.case !== undefined && caseArgs.length === 0) throw new UsageError("--case takes case indexes or example:NAME");
  const only = values.case ? caseArgs.filter((s) => !s.startsWith("example:")).map((s) => positiveInt(s, "--case", 0)) : undefined;
  // Boundary examples run with every full run; a replay runs only what it names.
  const examples: boolean | string[] = values.case ? exampleNames : !values["skip-examples"];
  let shard: { index: number; count: number } | undefined;
  if (values.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError(`--shard takes I/N with 1 <= I <= N, not ${JSON.stringify(values.shard)}`);
    shard = { index: Number(m[1]), count: Number(m[2]) };
  }
  const jobs = values.jobs !== undefined ? positiveInt(values.jobs, "--jobs", 1) : undefined;
  const bootTimeout = values["boot-timeout"] !== undefined ? positiveInt(values["boot-timeout"], "--boot-timeout", 20) : undefined;
  for (const a of adapters) {
    a.configure?.({
      ...(values.qemu ? { qemu: resolve(values.qemu) } : {}),
      ...(values.xen ? { xen: isXenRelease(values.xen) ? values.xen : resolve(values.xen) } : {}),
      ...(values["qemu-arg"] ? { qemuArgs: values["qemu-arg"] } : {}),
      ...(bootTimeout ? { bootTimeoutMs: bootTimeout * 1000 } : {}),
    });
  }
  const expectationFiles = (values.expectations ?? []).map((f) => {
    try {
      return readExpectations(f);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  const selections = await selectAdapters(list(values.adapter), { variants: list(values.variant), machines: list(values.machine), accels: list(values.accel) }, io);
  // Without --cases, each adapter gets a count its boot time allows.
  if (values.cases === undefined) for (const s of selections) if (SLOW_ADAPTER_CASES[s.adapter.id] !== undefined) s.cases = SLOW_ADAPTER_CASES[s.adapter.id]!;
  if (selections.length === 0) throw new UsageError("no adapter variant is available to run");

  io.stderr.write(`pvh-conformance run: seed ${seed}, ${values.kernel ? `the kernel ${values.kernel}` : values.case ? `case(s) ${caseArgs.join(",")}` : `${cases} cases${examples === true ? " and the boundary examples" : ""}`} per variant on ${selections.map((s) => `${s.adapter.id} (${s.variants.join(", ")})`).join("; ")}\n`);
  const tty = Boolean(io.stderr.isTTY);
  let lastPrinted = 0;
  const onProgress = (p: Progress): void => {
    if (values.quiet) return;
    const line = `[${p.adapter}/${p.variant}] ${p.done}/${p.total} cases${p.failing ? `, ${p.failing} failing` : ""}`;
    if (tty) io.stderr.write(`\r${line}${p.done === p.total ? "\n" : ""}`);
    else if (p.done === p.total || Date.now() - lastPrinted > 2000) {
      lastPrinted = Date.now();
      io.stderr.write(line + "\n");
    }
  };
  const badCases: string[] = [];
  let reproBytes = 0;
  let reproSkipped = 0;
  let fixedCases;
  if (values.kernel) {
    try {
      fixedCases = [
        await userKernelCase({
          kernel: resolve(values.kernel),
          cmdline: values.append ?? null,
          ...(values.initrd ? { initrd: resolve(values.initrd) } : {}),
          memoryBytes: positiveInt(values.memory, "--memory", 512, { min: 32, max: 1 << 20 }) * 1024 * 1024,
        }),
      ];
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError((err as Error).message);
    }
    const invalid = fixedCases[0]!.kernel.malformed;
    // Not an error (a loader's refusal is worth testing), but not the boot the user may expect.
    if (invalid) io.stderr.write(`note: ${values.kernel} is not a valid PVH image (${invalid.replace(/^user-image-invalid: /, "")}; see pvh-conformance check-image): the loaders are judged on refusing it, and the boot checks do not apply\n`);
  } else if (values.append || values.initrd || values.memory) {
    throw new UsageError("--append, --initrd and --memory go with --kernel");
  }
  const shrink = positiveInt(values.shrink, "--shrink", 3);
  // Checked once every other argument is, and before anything boots.
  const out = prepareOutDir(values.out ?? "pvh-results");
  const results = await runSuite({
    ...(fixedCases ? { fixedCases } : {}),
    selections,
    cases,
    seed,
    ...(only ? { only } : {}),
    ...(shard ? { shard } : {}),
    examples,
    differential: !values["skip-differential"],
    concurrency: jobs ?? Math.max(1, availableParallelism()),
    suiteVersion: suiteVersion(),
    command: ["pvh-conformance", "run", ...rawArgs],
    onProgress,
    onBadCase: (c, obs, bad) => {
      if (reproBytes < REPRO_BUDGET) reproBytes += writeReproducer(join(out, "repro"), { bootCase: c, obs, bad, seed });
      else reproSkipped++;
      if (badCases.length < 10) {
        badCases.push(`  ${c.id} [${bad[0]!.adapter}/${bad[0]!.variant}] ${bad.map((b) => `${b.status} ${b.requirement}`).slice(0, 3).join(", ")}${bad.length > 3 ? ", ..." : ""}\n    replay: ${replayCommand(bad[0]!.adapter, bad[0]!.variant, seed, c)}\n`);
      }
    },
  });
  // A known-deviation file describes one version: say so when the run tested another.
  for (const tested of results.run.adapters) {
    const f = expectationsFileFor(expectationFiles, tested.id, tested.version);
    if (f && f.version !== tested.version) io.stderr.write(`note: the expectations for ${f.adapter} were made for "${f.version}"; this run tested "${tested.version}"\n`);
  }
  const gate = expectationFiles.length ? applyExpectations(results, expectationFiles) : undefined;
  await shrinkFailures(results, selections, seed, shrink, join(out, "repro"), io, Boolean(values.quiet));
  const written = await writeReports(out, results, { allureHtml: !values["skip-allure"], command: "run" }, io);
  io.stdout.write(summary(results));
  const bad = results.records.filter((r) => BAD_STATUSES.has(r.status));
  if (badCases.length) io.stdout.write(`\nfailing cases (first ${badCases.length}):\n${badCases.join("")}`);
  if (reproBytes) io.stdout.write(`\nreproducers: ${join(out, "repro")}/<case-id>/run.sh${reproSkipped ? ` (${reproSkipped} more cases not written: over the ${REPRO_BUDGET >> 20} MiB budget)` : ""}\n`);
  io.stdout.write(`\n${results.records.length} records, ${bad.length} FAIL/ERROR/CRASH/TIMEOUT; seed ${seed}; wrote ${written.join(", ")}\n`);
  if (gate) {
    printGate(gate, io);
    return gate.unexpectedBad.length + gate.unexpectedPass.length > 0 ? EXIT.failed : EXIT.ok;
  }
  return bad.length ? EXIT.failed : EXIT.ok;
}
