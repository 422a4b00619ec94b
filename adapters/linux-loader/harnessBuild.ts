import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { packageRoot } from "../../src/_internals/packageRoot.js";
import { withFileLock } from "../../src/_internals/fileLock.js";
import { fetchDebianClosure, type FetchedClosure } from "../../src/corpus/fetchDebianClosure.js";
import { corpusDir } from "../../src/corpus/fetchDebianPackage.js";
import { findOnPath } from "../_internals/findOnPath.js";

const run = promisify(execFile);

/** The Debian release and packages the crates come from: sid packages linux-loader 0.14.0 and vm-memory 0.18.0. */
export const CRATE_SUITE = "sid";
export const CRATE_ROOTS = ["librust-linux-loader-dev", "librust-vm-memory-dev"] as const;
const REGISTRY = "usr/share/cargo/registry";
const BINARY = "pvh-linux-loader-harness";

export class HarnessBuildError extends Error {
  override name = "HarnessBuildError";
}

/** The harness's source folder in this package. */
export function harnessSource(): string {
  return join(packageRoot(), "adapters", "linux-loader", "harness");
}

/**
 * The cargo to build with: $PVH_CARGO, else rustup's ~/.cargo/bin/cargo (CI machines
 * have it there without it being on PATH), else cargo on PATH.
 */
export function findCargo(): string | undefined {
  const given = process.env["PVH_CARGO"];
  if (given) return existsSync(given) ? given : undefined;
  const rustup = join(process.env["CARGO_HOME"] ?? join(homedir(), ".cargo"), "bin", "cargo");
  if (existsSync(rustup)) return rustup;
  return findOnPath("cargo");
}

/** The crates, from sid's librust-*-dev closure of linux-loader and vm-memory, in the corpus cache. */
export function fetchCrates(): Promise<FetchedClosure> {
  return fetchDebianClosure({ name: "rust-linux-loader", roots: [...CRATE_ROOTS], suite: CRATE_SUITE, include: /^librust-.*-dev$/, merge: REGISTRY });
}

function sourceFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name !== "target") out.push(...sourceFiles(dir, r));
    } else if (r === "Cargo.toml" || r.startsWith("src/")) out.push(r);
  }
  return out;
}

/** What a build depends on: the crate versions and the harness's sources (Cargo.toml, src/). */
export function buildKey(versions: string, src = harnessSource()): string {
  const h = createHash("sha256").update(versions);
  for (const f of sourceFiles(src)) h.update(`\0${f}\0`).update(readFileSync(join(src, f)));
  return h.digest("hex").slice(0, 16);
}

export interface BuiltHarness {
  binary: string;
  /** crate name -> version, as cargo resolved them (Cargo.lock). */
  crates: Map<string, string>;
  /** Debian package -> version, of the closure the crates came from. */
  packages: Map<string, string>;
  cargo: string;
}

function lockedCrates(lockFile: string): Map<string, string> {
  const out = new Map<string, string>();
  const text = readFileSync(lockFile, "utf8");
  for (const m of text.matchAll(/\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"/g)) out.set(m[1]!, m[2]!);
  return out;
}

/**
 * Build the harness (once per crate versions and harness sources), offline, against the
 * cached crates as a directory source, under a lock; the result lives in the corpus
 * cache, never in the repository. Throws HarnessBuildError saying why it cannot.
 */
export async function buildHarness(): Promise<BuiltHarness> {
  const cargo = findCargo();
  if (!cargo) throw new HarnessBuildError("cargo not found ($PVH_CARGO, ~/.cargo/bin/cargo, PATH): install Rust with rustup");
  let closure: FetchedClosure;
  try {
    closure = await fetchCrates();
  } catch (err) {
    throw new HarnessBuildError(`the crates could not be fetched from Debian ${CRATE_SUITE} with apt-get download (${(err as Error).message.split("\n")[0]})`);
  }
  const versionsText = readFileSync(join(closure.root, ".versions"), "utf8");
  const dir = join(corpusDir(), ".builds", `linux-loader-harness-${buildKey(versionsText)}`);
  const binary = join(dir, "target", "release", BINARY);
  const done = (): BuiltHarness => ({ binary, crates: lockedCrates(join(dir, "src-tree", "Cargo.lock")), packages: closure.versions, cargo });
  if (existsSync(join(dir, ".complete"))) return done();
  mkdirSync(dir, { recursive: true });
  return withFileLock(`${dir}.lock`, async () => {
    if (existsSync(join(dir, ".complete"))) return done();
    // The sources are copied, so that cargo's Cargo.lock and target/ stay out of the repository.
    const tree = join(dir, "src-tree");
    rmSync(tree, { recursive: true, force: true });
    const src = harnessSource();
    for (const f of sourceFiles(src)) {
      mkdirSync(join(tree, f, ".."), { recursive: true });
      copyFileSync(join(src, f), join(tree, f));
    }
    const config = join(dir, "cargo-config.toml");
    writeFileSync(config, `[source.crates-io]\nreplace-with = "debian"\n\n[source.debian]\ndirectory = ${JSON.stringify(join(closure.root, REGISTRY))}\n`);
    try {
      await run(cargo, ["build", "--release", "--offline", "--quiet", "--manifest-path", join(tree, "Cargo.toml"), "--config", config, "--target-dir", join(dir, "target")], {
        timeout: 900_000,
        maxBuffer: 16 << 20,
        env: { ...process.env, CARGO_TERM_COLOR: "never" },
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      const said = (e.stderr ?? e.message).trim().split("\n").slice(-12).join("\n");
      throw new HarnessBuildError(`cargo could not build the linux-loader harness offline against Debian ${CRATE_SUITE}'s crates:\n${said}`);
    }
    if (!existsSync(binary)) throw new HarnessBuildError(`cargo built no ${binary}`);
    writeFileSync(join(dir, ".complete"), versionsText);
    return done();
  });
}

let cached: Promise<BuiltHarness> | undefined;
/** buildHarness once per process (a failure is kept too: the reason does not change within a run). */
export function harness(): Promise<BuiltHarness> {
  cached ??= buildHarness();
  return cached;
}

/** rustc's version line, for run info. */
export async function rustcVersion(cargo: string): Promise<string> {
  try {
    const rustc = join(cargo, "..", "rustc");
    const { stdout } = await run(existsSync(rustc) ? rustc : "rustc", ["--version"], { timeout: 30_000 });
    return stdout.trim();
  } catch {
    return "unknown";
  }
}
