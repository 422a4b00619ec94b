import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { withFileLock } from "../../src/_internals/fileLock.js";
import { corpusDir, fetchDebianPackage } from "../../src/corpus/fetchDebianPackage.js";
import { findOnPath } from "../_internals/findOnPath.js";

const run = promisify(execFile);

/**
 * The Debian QEMU releases `--qemu` names. 7.2 is Debian 12's, installed on the host
 * (apt-get install qemu-system-x86). 10.0 is bookworm-backports' build for Debian 12,
 * fetched with apt-get download into the corpus cache and unpacked, never installed.
 */
export const QEMU_RELEASES = ["7.2", "10.0"] as const;
export type QemuRelease = (typeof QEMU_RELEASES)[number];

export function isQemuRelease(s: string): s is QemuRelease {
  return (QEMU_RELEASES as readonly string[]).includes(s);
}

const BACKPORTS = "bookworm-backports";
/**
 * What the fetched 10.0 needs beside its binary, from the package's Depends and
 * Recommends (apt-cache show qemu-system-x86 in bookworm-backports):
 * - qemu-system-data: its firmware (pvh.bin, linuxboot_dma.bin, qboot.rom, kvmvapic.bin);
 * - qemu-system-common, qemu-system-modules-opengl, qemu-system-modules-spice: its
 *   modules. QEMU 10.0 loads ui-opengl, ui-spice-core, audio-spice, audio-alsa and
 *   audio-oss on every start (seen with strace); any it does not find in
 *   QEMU_MODULE_DIR it takes from the host's 7.2 and refuses ("Only modules from the
 *   same build can be loaded");
 * - seabios: it Depends on seabios (>> 1.16.3-1~), newer than bookworm's 1.16.2, so
 *   bios-256k.bin and bios-microvm.bin come from backports' seabios too.
 */
const PACKAGES_10_0 = {
  binary: "qemu-system-x86",
  data: "qemu-system-data",
  modules: ["qemu-system-common", "qemu-system-modules-opengl", "qemu-system-modules-spice"],
  bios: "seabios",
} as const;

/** How to start one QEMU: the binary, the environment it needs, and arguments that go before every other. */
export interface QemuLaunch {
  binary: string;
  /** Added to the environment (QEMU_MODULE_DIR for a fetched build). */
  env: Record<string, string>;
  /** Firmware folders (-L), searched before the build's compiled-in ones. */
  args: string[];
  /** The Debian package version, when the build was fetched. */
  packageVersion?: string;
}

/** A --qemu release that cannot be had here: the reason says which and why. */
export class QemuReleaseError extends Error {
  override name = "QemuReleaseError";
}

/** "QEMU emulator version 10.0.2 (Debian ...)" of a binary: its first --version line. */
export async function versionLine(binary: string, env: Record<string, string> = {}): Promise<string> {
  const r = await run(binary, ["--version"], { timeout: 10_000, env: { ...process.env, ...env } });
  return r.stdout.split("\n")[0]!.trim();
}

const MODULE_DIR = "usr/lib/x86_64-linux-gnu/qemu";

/**
 * One folder holding every module of the three module packages (QEMU_MODULE_DIR
 * names one folder), as symbolic links into their unpacked roots: made once per
 * version in the corpus cache, under a lock, written aside and renamed.
 */
async function moduleDir(roots: string[], version: string): Promise<string> {
  const base = join(corpusDir(), ".qemu-modules");
  mkdirSync(base, { recursive: true });
  const dir = join(base, version.replace(/[^\w.+~-]/g, "_"));
  if (existsSync(join(dir, ".complete"))) return dir;
  return withFileLock(`${dir}.lock`, async () => {
    if (existsSync(join(dir, ".complete"))) return dir;
    const work = `${dir}.${process.pid}.part`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work);
    try {
      for (const root of roots) {
        const from = join(root, MODULE_DIR);
        if (!existsSync(from)) continue;
        for (const f of readdirSync(from)) if (f.endsWith(".so")) symlinkSync(join(from, f), join(work, f));
      }
      writeFileSync(join(work, ".complete"), "");
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return dir;
  });
}

const fetch = (name: string) =>
  fetchDebianPackage(name, { suite: BACKPORTS }).catch((err: Error) => {
    throw new QemuReleaseError(`QEMU 10.0: ${name} could not be fetched from ${BACKPORTS} with apt-get download (${err.message.split("\n")[0]}); give a binary with --qemu PATH`);
  });

/** bookworm-backports' QEMU 10.0, fetched and unpacked into the cache, with its firmware and module folders. */
async function fetched10(): Promise<QemuLaunch> {
  const x86 = await fetch(PACKAGES_10_0.binary);
  const data = await fetch(PACKAGES_10_0.data);
  const modules = [];
  for (const m of PACKAGES_10_0.modules) modules.push(await fetch(m));
  const bios = await fetch(PACKAGES_10_0.bios);
  // The module packages are built with the binary and must be the same build.
  for (const p of [data, ...modules]) {
    if (p.version !== x86.version) throw new QemuReleaseError(`QEMU 10.0: ${p.name} ${p.version ?? "(unknown version)"} in the cache does not match ${x86.name} ${x86.version ?? "(unknown version)"}; remove both from ${corpusDir()} to fetch them again`);
  }
  const binary = join(x86.root, "usr/bin/qemu-system-x86_64");
  const firmware = [join(data.root, "usr/share/qemu"), join(bios.root, "usr/share/seabios")];
  for (const f of [binary, ...firmware]) if (!existsSync(f)) throw new QemuReleaseError(`QEMU 10.0: ${f} is missing from the unpacked packages`);
  const env = { QEMU_MODULE_DIR: await moduleDir(modules.map((m) => m.root), x86.version ?? "unknown") };
  return { binary, env, args: firmware.flatMap((d) => ["-L", d]), ...(x86.version ? { packageVersion: x86.version } : {}) };
}

/**
 * How to start the QEMU a release names, uncached: 7.2 is the host's
 * qemu-system-x86_64 (`hostBinary`), which must say it is 7.2; 10.0 is fetched (see
 * fetched10) and must say it is 10.0. Throws QemuReleaseError.
 */
export async function resolveQemuRelease(release: QemuRelease, hostBinary: string | null = findOnPath("qemu-system-x86_64") ?? null): Promise<QemuLaunch> {
  const launch = release === "7.2" ? { binary: hostBinary ?? "", env: {}, args: [] } : await fetched10();
  if (!launch.binary) throw new QemuReleaseError("QEMU 7.2 is the host's qemu-system-x86_64, and there is none on PATH (apt-get install qemu-system-x86)");
  let line;
  try {
    line = await versionLine(launch.binary, launch.env);
  } catch (err) {
    throw new QemuReleaseError(`QEMU ${release}: ${launch.binary} --version failed: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!isVersion(line, release)) {
    throw new QemuReleaseError(`--qemu ${release}: ${launch.binary} is "${line}", not QEMU ${release}${release === "7.2" ? " (the host's should be Debian 12's qemu-system-x86); give a binary with --qemu PATH" : ""}`);
  }
  return launch;
}

const releaseCache = new Map<QemuRelease, Promise<QemuLaunch>>();

/** resolveQemuRelease, once per process; a failure is not kept (the next call may find the network or the package). */
export function qemuRelease(release: QemuRelease): Promise<QemuLaunch> {
  let p = releaseCache.get(release);
  if (!p) {
    p = resolveQemuRelease(release);
    p.catch(() => releaseCache.delete(release));
    releaseCache.set(release, p);
  }
  return p;
}

/** Whether a --version line is of this major.minor ("QEMU emulator version 7.2.22 (...)" is 7.2). */
export function isVersion(line: string, release: string): boolean {
  const m = /version (\d+\.\d+)(?:\.\d+)?\b/.exec(line);
  return m?.[1] === release;
}
