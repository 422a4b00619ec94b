import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
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

/**
 * apt options that make apt-get read a release other than the host's, from state kept
 * in the corpus cache: the host's sources, lists and installed packages are not
 * touched. The archive key comes from the host's debian-archive-keyring (bookworm's
 * holds the keys of the releases after it).
 */
async function suiteAptOptions(suite: string): Promise<string[]> {
  if (!/^[a-z]+$/.test(suite)) throw new Error(`not a Debian release name: ${suite}`);
  const dir = join(corpusDir(), ".apt", suite);
  const lists = join(dir, "lists");
  mkdirSync(join(lists, "partial"), { recursive: true });
  const sources = join(dir, "sources.list");
  const key = "[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]";
  const text = [
    `deb ${key} http://deb.debian.org/debian ${suite} main`,
    `deb ${key} http://deb.debian.org/debian ${suite}-updates main`,
    `deb ${key} http://deb.debian.org/debian-security ${suite}-security main`,
    "",
  ].join("\n");
  // Written once: another process may be reading it.
  if (!existsSync(sources) || readFileSync(sources, "utf8") !== text) writeFileSync(sources, text);
  const options = [
    "-o", `Dir::Etc::SourceList=${sources}`,
    "-o", "Dir::Etc::SourceParts=/dev/null",
    "-o", `Dir::State::Lists=${lists}`,
    "-o", "Dir::Cache::pkgcache=",
    "-o", "Dir::Cache::srcpkgcache=",
    "-o", "APT::Architecture=amd64",
  ];
  const stamp = join(dir, "updated");
  const fresh = existsSync(stamp) && Date.now() - statSync(stamp).mtimeMs < 24 * 3600_000;
  if (!fresh) {
    // flock: test workers may fetch at once, and apt locks its lists folder.
    await run("flock", [join(dir, "lock"), "apt-get", ...options, "update", "-qq"], { timeout: 600_000 });
    writeFileSync(stamp, "");
  }
  return options;
}

export interface FetchedPackage {
  name: string;
  /** The folder the package was unpacked into (dpkg -x). */
  root: string;
}

/**
 * Download a Debian package with `apt-get download` into the corpus cache and unpack
 * it with `dpkg-deb -x`, unless it is there already. Throws with apt's message when
 * the package cannot be had (no apt, no network, unknown name). `suite` takes it
 * from that Debian release (e.g. "trixie") instead of the host's sources.
 */
export async function fetchDebianPackage(name: string, opts: { suite?: string } = {}): Promise<FetchedPackage> {
  const dir = corpusDir();
  const pkg = await resolvePackage(name);
  const root = join(dir, pkg);
  if (existsSync(join(root, ".complete"))) return { name: pkg, root };
  const work = join(dir, `.download-${pkg}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const aptOptions = opts.suite ? await suiteAptOptions(opts.suite) : [];
    await run("apt-get", [...aptOptions, "download", pkg], { cwd: work, timeout: 600_000 });
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
