import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where downloaded packages are cached: never inside the repository. */
export function corpusDir(): string {
  const dir =
    process.env["PVH_CORPUS_DIR"] ??
    join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "pvh-conformance", "corpus");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Follow a metapackage (linux-image-amd64) to the versioned package it depends on. */
async function resolvePackage(name: string): Promise<string> {
  // Versioned names (linux-image-6.1.0-56-amd64) are already concrete.
  if (!name.startsWith("linux-image-") || /-\d+\.\d+/.test(name)) return name;
  const { stdout } = await run("apt-cache", ["depends", "--no-recommends", "--no-suggests", name], { timeout: 60_000 });
  const dep = /Depends:\s*(linux-image-[0-9][^\s]*)/.exec(stdout)?.[1];
  return dep ?? name;
}

export interface FetchedPackage {
  name: string;
  /** The folder the package was unpacked into (dpkg -x). */
  root: string;
}

/**
 * Download a Debian package with `apt-get download` into the corpus cache and unpack
 * it with `dpkg-deb -x`, unless it is there already. Throws with apt's message when
 * the package cannot be had (no apt, no network, unknown name).
 */
export async function fetchDebianPackage(name: string): Promise<FetchedPackage> {
  const dir = corpusDir();
  const pkg = await resolvePackage(name);
  const root = join(dir, pkg);
  if (existsSync(join(root, ".complete"))) return { name: pkg, root };
  const work = join(dir, `.download-${pkg}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    await run("apt-get", ["download", pkg], { cwd: work, timeout: 600_000 });
    const deb = readdirSync(work).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb`);
    const unpacked = join(work, "root");
    await run("dpkg-deb", ["-x", join(work, deb), unpacked], { timeout: 600_000 });
    await run("touch", [join(unpacked, ".complete")]);
    rmSync(root, { recursive: true, force: true });
    renameSync(unpacked, root);
    return { name: pkg, root };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
