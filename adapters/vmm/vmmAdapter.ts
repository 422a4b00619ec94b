import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { probeCaseObservation } from "../../probe/judgeProbe.js";
import { parseProbeReport } from "../../probe/parseProbeReport.js";
import { ProbeReportError } from "../../probe/ProbeReportError.js";
import { probeObservation } from "../../probe/probeObservation.js";
import type { BootCase } from "../../src/model/BootCase.js";
import { MIB, type Capabilities } from "../../src/model/Capabilities.js";
import { moduleBytes } from "../../src/model/moduleBytes.js";
import type { Observation } from "../../src/model/Observation.js";
import type { Adapter, AdapterOptions, Availability, Variant } from "../Adapter.js";
import { trackChild, trackTempDir } from "../_internals/children.js";
import { findOnPath } from "../_internals/findOnPath.js";
import { stringOption } from "../_internals/options.js";
import { reproCommand } from "../_internals/reproCommand.js";
import type { VmmDescriptor } from "./VmmDescriptor.js";

const run = promisify(execFile);

const settings: { file: string | undefined; binary: string | undefined; bootTimeoutMs: number | undefined } = { file: undefined, binary: undefined, bootTimeoutMs: undefined };
let loaded: { file: string; descriptor: VmmDescriptor } | { file: string; error: string } | undefined;

/** Reads and validates the descriptor (zod is loaded only when a run names one). */
async function load(): Promise<VmmDescriptor> {
  if (!settings.file) throw new Error("no VMM descriptor: give one with --vmm FILE (descriptors/ has examples)");
  if (!loaded || loaded.file !== settings.file) {
    const file = settings.file;
    let data: unknown;
    try {
      if (!statSync(file).isFile()) throw new Error("not a regular file");
      data = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      loaded = { file, error: `${file}: ${(err as Error).message}` };
      throw new Error(loaded.error);
    }
    const { VmmDescriptor } = await import("./VmmDescriptor.js");
    const r = VmmDescriptor.safeParse(data);
    loaded = r.success
      ? { file, descriptor: r.data }
      : { file, error: `${file} is not a VMM descriptor (spec/schema/vmm-descriptor.schema.json): ${r.error.issues.slice(0, 4).map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`).join("; ")}` };
  }
  if ("error" in loaded) throw new Error(loaded.error);
  return loaded.descriptor;
}

/** The descriptor once available() has read it. */
function current(): VmmDescriptor | undefined {
  return loaded && "descriptor" in loaded && loaded.file === settings.file ? loaded.descriptor : undefined;
}

function binary(d: VmmDescriptor): string | undefined {
  const b = settings.binary ?? d.binary;
  return b.includes("/") ? (existsSync(b) ? resolve(b) : undefined) : findOnPath(b);
}

interface Values {
  kernel: string;
  initrd: string | undefined;
  cmdline: string | null;
  memoryMiB: number;
  scratch: string;
  binary: string;
}

/** Fills ${NAME} and ${json:NAME} in a template. */
export function fill(template: string, v: Values): string {
  return template.replace(/\$\{(json:)?(\w+)\}/g, (whole, json: string | undefined, name: string) => {
    if (!(name in v)) throw new Error(`the descriptor names \${${name}}, which is none of kernel, initrd, cmdline, memoryMiB, scratch, binary`);
    const raw = v[name as keyof Values];
    if (json) return JSON.stringify(raw ?? null);
    if (raw === undefined || raw === null) throw new Error(`the descriptor uses ${whole} where the case has none (guard it with "if")`);
    return String(raw);
  });
}

/** A descriptor's command line for a case. */
export function commandFor(d: VmmDescriptor, variant: string, v: Values): string[] {
  const extra = d.variants.find((x) => x.id === variant)?.args ?? [];
  return [...d.command, ...extra].flatMap((a) => {
    if (typeof a === "string") return [fill(a, v)];
    const on = a.if === "cmdline" ? v.cmdline !== null : v.initrd !== undefined;
    return on ? a.args.map((x) => fill(x, v)) : [];
  });
}

function capabilitiesOf(d: VmmDescriptor): Capabilities {
  const c = d.capabilities;
  return {
    elfClasses: c.elfClasses,
    memory: { min: c.memoryMiB.min * MIB, max: c.memoryMiB.max * MIB },
    maxModules: c.maxModules,
    moduleCmdlines: false,
    maxCmdline: c.maxCmdline,
    relocation: c.relocation,
    malformed: c.malformed,
    // No debugger can stop a VMM known only by its command line: the guest reports itself.
    entryCode: "probe",
  };
}

/** The guest's lines: from the stream or file the descriptor names, prefix removed. */
function guestLines(d: VmmDescriptor, text: string): string[] {
  const prefix = d.report.prefix;
  return text
    .split("\n")
    .map((l) => l.replace(/\r$/, ""))
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length));
}

async function boot(c: BootCase, variant: string): Promise<Observation> {
  const d = await load();
  const bin = binary(d);
  if (!bin) throw new Error(`${d.name}: ${settings.binary ?? d.binary} not found`);
  const dir = mkdtempSync(join(tmpdir(), `pvh-vmm-${process.pid}-`));
  const untrackDir = trackTempDir(dir);
  const base = { adapter: "vmm", variant, workDir: dir } as const;
  try {
    writeFileSync(join(dir, "kernel.elf"), c.kernelImage);
    if (c.modules.length > 0) writeFileSync(join(dir, "module0.bin"), c.moduleData?.[0] ?? moduleBytes(c.modules[0]!.seed, c.modules[0]!.size));
    const values: Values = {
      kernel: join(dir, "kernel.elf"),
      initrd: c.modules.length > 0 ? join(dir, "module0.bin") : undefined,
      cmdline: c.cmdline,
      memoryMiB: Math.round(c.memoryBytes / MIB),
      scratch: dir,
      binary: bin,
    };
    for (const f of d.files) writeFileSync(join(dir, f.name), fill(f.text, values));
    const command = commandFor(d, variant, values);
    const reportFile = d.report.from === "file" ? fill(d.report.file!, values) : undefined;
    const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "pipe"], cwd: dir });
    trackChild(child);
    let stdout = "";
    let stderr = "";
    const cap = 4 << 20;
    child.stdout!.on("data", (b: Buffer) => void (stdout.length < cap && (stdout += b.toString("latin1"))));
    child.stderr!.on("data", (b: Buffer) => void (stderr.length < cap && (stderr += b.toString("latin1"))));
    const spawnError = new Promise<Error>((r) => child.once("error", r));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
    const guestText = (): string => {
      if (d.report.from === "stdout") return stdout;
      if (d.report.from === "stderr") return stderr;
      try {
        return readFileSync(reportFile!, "latin1");
      } catch {
        return "";
      }
    };
    const deadline = settings.bootTimeoutMs ?? d.deadlines.bootSeconds * 1000;
    const started = Date.now();
    let ended: "exit" | "report" | "timeout" | "not-refused" | "spawn-error" = "exit";
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let failure: Error | undefined;
    void spawnError.then((e) => (failure = e));
    exited.then((e) => (exit = e)).catch(() => undefined);
    // Poll: the report's end, the VMM's exit, the deadline, or a malformed image left running.
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      if (failure) {
        ended = "spawn-error";
        break;
      }
      if (exit) break;
      if (/PVHP END /.test(guestText())) {
        ended = "report";
        // A VMM that keeps running after the last line (no debug-exit device) is stopped here.
        await Promise.race([exited, new Promise((r) => setTimeout(r, 300))]);
        break;
      }
      const t = Date.now() - started;
      if (c.kernel.malformed && t > d.deadlines.malformedGraceSeconds * 1000) {
        ended = "not-refused";
        break;
      }
      if (t > deadline) {
        ended = "timeout";
        break;
      }
    }
    if (!exit) child.kill("SIGKILL");
    if (ended !== "spawn-error") exit = await exited;
    const output = `${stderr}\n${stdout}`.trim();
    const tail = output.split("\n").slice(-40).join("\n");
    if (ended === "spawn-error") return { ...base, outcome: "crashed", message: `${command[0]} did not start: ${failure!.message}`, command };
    const lines = guestLines(d, guestText());
    let report;
    try {
      report = parseProbeReport(lines);
    } catch (err) {
      if (!(err instanceof ProbeReportError)) throw err;
      if (ended === "not-refused") return { ...base, outcome: "entered", message: `${d.name} did not refuse the image: still running ${d.deadlines.malformedGraceSeconds} s after start`, log: tail, command };
      if (ended === "timeout") return { ...base, outcome: "timeout", message: `no complete probe report in ${deadline / 1000} s: ${err.message}`, log: tail, command };
      if (exit!.signal) return { ...base, outcome: "crashed", message: `${d.name} died by ${exit!.signal}: ${tail.slice(-2000)}`, log: tail, command };
      if (lines.some((l) => l.startsWith("PVHP "))) return { ...base, outcome: "crashed", message: `the probe's report is incomplete (the guest died or was stopped): ${err.message}`, log: tail, command };
      const pattern = d.refusal.pattern !== undefined ? new RegExp(d.refusal.pattern, "m") : undefined;
      const said = pattern?.exec(output)?.[0];
      if (exit!.code !== 0 && (pattern === undefined || said !== undefined)) return { ...base, outcome: "rejected", message: `${d.name} exited with status ${exit!.code}: ${(said ?? tail).slice(0, 2000)}`, log: tail, command };
      return { ...base, outcome: "crashed", message: `${d.name} exited with status ${exit!.code} before the guest reported, without a refusal the descriptor recognises: ${tail.slice(-2000)}`, log: tail, command };
    }
    return probeCaseObservation(c, probeObservation(report, { adapter: "vmm", variant, log: tail, command, workDir: dir }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    untrackDir();
  }
}

/** Shell text that writes a file in an unquoted here-document, "$HERE" expanded and nothing else. */
function hereDocument(name: string, text: string, dir: string): string {
  const body = text.replace(/[\\$`]/g, (ch) => `\\${ch}`).split(dir).join("$HERE");
  return `cat > "$HERE"/${name} <<PVH_EOF\n${body}\nPVH_EOF\n`;
}

/** Any VMM a user describes in a descriptor file (run --vmm FILE), observed by the self-reporting probe. */
export const vmmAdapter: Adapter = {
  id: "vmm",
  description: "a VMM described by a descriptor file (run --vmm FILE; descriptors/ has examples), observed by the self-reporting probe",
  get variants(): readonly Variant[] {
    const d = current();
    return d ? d.variants.map((v) => ({ id: v.id, description: v.description, default: v.default })) : [{ id: "default", description: "the descriptor's command as it is", default: true }];
  },
  options: [
    { flag: "vmm", key: "vmm", value: "FILE", help: "a VMM descriptor (JSON, schema spec/schema/vmm-descriptor.schema.json): how to start the VMM on a case and read the probe's report" },
    { flag: "vmm-binary", key: "vmmBinary", value: "PATH", help: "the VMM program to run instead of the descriptor's binary" },
  ],
  cost: { runCases: 20, suiteCases: 20, bootSeconds: 2, timeoutSeconds: 30 },
  // What the contract test gives it: the descriptor of Debian's QEMU, which CI installs.
  testConfiguration: { vmm: "descriptors/qemu-probe.json" },
  capabilities() {
    const d = current();
    if (!d) throw new Error("the vmm adapter has no descriptor yet (--vmm FILE)");
    return capabilitiesOf(d);
  },
  configure(opts: AdapterOptions) {
    const file = stringOption(opts, "vmm");
    if (file !== undefined) settings.file = file ? resolve(file) : undefined;
    const b = stringOption(opts, "vmmBinary");
    if (b !== undefined) settings.binary = b || undefined;
    // --boot-timeout overrides the descriptor's deadline; 0 goes back to it.
    if (opts.bootTimeoutMs !== undefined) settings.bootTimeoutMs = opts.bootTimeoutMs || undefined;
  },
  async available(): Promise<Availability> {
    if (!settings.file) return { ok: false, reason: "no descriptor given (--vmm FILE)" };
    let d: VmmDescriptor;
    try {
      d = await load();
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    const bin = binary(d);
    if (!bin) return { ok: false, reason: `${d.name}: ${settings.binary ?? d.binary} is not ${d.binary.includes("/") || settings.binary ? "there" : "on PATH"} (give it with --vmm-binary PATH)${d.measured ? "" : "; this descriptor was written from the VMM's documentation and has not been run here"}` };
    return { ok: true };
  },
  async runInfo() {
    const d = await load();
    const bin = binary(d) ?? d.binary;
    const cmd = d.version.map((a) => a.replace(/\$\{binary\}/g, bin));
    let version = "unknown";
    try {
      const r = await run(cmd[0]!, cmd.slice(1), { timeout: 10_000 });
      version = `${r.stdout}\n${r.stderr}`.trim().split("\n")[0]!.trim() || "unknown";
    } catch (err) {
      version = `unknown (${cmd.join(" ")} failed: ${(err as Error).message.split("\n")[0]})`;
    }
    return { adapter: "vmm", version: `${d.name}: ${version}`, binary: bin, details: { descriptor: settings.file!, measured: String(d.measured) } };
  },
  boot,
  reproducer(c, obs) {
    const d = current();
    if (!d || !obs.command || !obs.workDir) return undefined;
    const dir = obs.workDir;
    const values: Values = { kernel: join(dir, "kernel.elf"), initrd: c.modules.length ? join(dir, "module0.bin") : undefined, cmdline: c.cmdline, memoryMiB: Math.round(c.memoryBytes / MIB), scratch: dir, binary: obs.command[0]! };
    const files = d.files.map((f) => hereDocument(f.name, fill(f.text, values), dir)).join("");
    const where = d.report.from === "file" ? fill(d.report.file!, values).split(dir).join("$HERE") : d.report.from;
    return {
      body: `# ${d.name}, as its descriptor (${settings.file}) starts it; the probe's report goes to ${where}.
${files}cd "$HERE" && exec ${reproCommand(obs.command, dir)} "$@"
`,
    };
  },
};
