import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { withFileLock } from "../_internals/fileLock.js";

const run = promisify(execFile);

/** Where downloaded packages are cached: never inside the repository. */
export function corpusDir(): string {
  const dir =
    process.env["PVH_CORPUS_DIR"] ??
    join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "pvh-conformance", "corpus");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** linux-image-amd64 is; versioned names (linux-image-6.1.0-56-amd64) and the rest are not. */
const isMetapackage = (name: string): boolean => name.startsWith("linux-image-") && !/-\d+\.\d+/.test(name);

/** Follow a metapackage (linux-image-amd64) to the versioned package it depends on. */
async function resolvePackage(name: string, aptOptions: string[]): Promise<string> {
  if (!isMetapackage(name)) return name;
  const { stdout } = await run("apt-cache", [...aptOptions, "depends", "--no-recommends", "--no-suggests", name], { timeout: 60_000 });
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
  // Test workers may fetch at once, and apt locks its lists folder.
  await withFileLock(join(dir, "update.lock"), async () => {
    const stamp = join(dir, "updated");
    if (existsSync(stamp) && Date.now() - statSync(stamp).mtimeMs < 24 * 3600_000) return;
    // --error-on=any: an unreachable mirror is an error, not empty lists stamped as fresh.
    try {
      await run("apt-get", [...options, "--error-on=any", "update", "-qq"], { timeout: 600_000 });
    } catch (err) {
      // Lists read before still name packages (and old versions stay in the archive's pool for a while).
      if (readdirSync(lists).some((f) => f.includes("_Packages"))) return;
      throw err;
    }
    writeFileSync(stamp, "");
  });
  return options;
}

/** Lists older than a day, or that did not offer a package, are read again next time. */
function forgetLists(suite: string): void {
  rmSync(join(corpusDir(), ".apt", suite, "updated"), { force: true });
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
  // A package already here needs no apt at all (and no network); a metapackage is first followed.
  if (!isMetapackage(name) && existsSync(join(dir, name, ".complete"))) return { name, root: join(dir, name) };
  const aptOptions = opts.suite ? await suiteAptOptions(opts.suite) : [];
  const pkg = await resolvePackage(name, aptOptions);
  const root = join(dir, pkg);
  if (existsSync(join(root, ".complete"))) return { name: pkg, root };
  // One process fetches a package; the others wait for it and find it there.
  return withFileLock(join(dir, `.lock-${pkg}`), async () => {
    if (existsSync(join(root, ".complete"))) return { name: pkg, root };
    const work = join(dir, `.download-${pkg}-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
      try {
        await run("apt-get", [...aptOptions, "download", pkg], { cwd: work, timeout: 600_000 });
      } catch (err) {
        if (opts.suite) forgetLists(opts.suite);
        throw err;
      }
      const deb = readdirSync(work).find((f) => f.endsWith(".deb"));
      if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb`);
      const unpacked = join(work, "root");
      await run("dpkg-deb", ["-x", join(work, deb), unpacked], { timeout: 600_000 });
      writeFileSync(join(unpacked, ".complete"), "");
      rmSync(root, { recursive: true, force: true });
      renameSync(unpacked, root);
      return { name: pkg, root };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}
