import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { withFileLock } from "../_internals/fileLock.js";
import { debianArchives, hostCodename, readHostAptSources, sourcesListFor } from "./_internals/hostAptSources.js";

const run = promisify(execFile);
const DEFAULT_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

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
 * touched. The archive comes from the host's own apt sources (a mirror or a proxy the
 * host uses is used here too); the key from the host's source entry, else
 * debian-archive-keyring (bookworm's holds the keys of the releases after it).
 */
export async function suiteAptOptions(suite: string): Promise<string[]> {
  if (!/^[a-z]+(-backports)?$/.test(suite)) throw new Error(`not a Debian release name: ${suite}`);
  const dir = join(corpusDir(), ".apt", suite);
  const lists = join(dir, "lists");
  mkdirSync(join(lists, "partial"), { recursive: true });
  const sources = join(dir, "sources.list");
  const text = sourcesListFor(suite, debianArchives(readHostAptSources(), hostCodename()), DEFAULT_KEYRING);
  // Written once: another process may be reading it. New sources (the host moved to a mirror) need new lists.
  if (!existsSync(sources) || readFileSync(sources, "utf8") !== text) {
    writeFileSync(sources, text);
    rmSync(join(dir, "updated"), { force: true });
  }
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
  /** The package's Debian version (from its control file), or null for a folder unpacked before versions were recorded. */
  version: string | null;
}

/** The cache folder of a package: one per release it came from, so bookworm's and bookworm-backports' builds of one name never mix. */
const cacheName = (pkg: string, suite: string | undefined): string => (suite ? `${pkg}@${suite}` : pkg);

function fetched(name: string, root: string): FetchedPackage {
  const file = join(root, ".version");
  return { name, root, version: existsSync(file) ? readFileSync(file, "utf8").trim() : null };
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
  if (!isMetapackage(name) && existsSync(join(dir, cacheName(name, opts.suite), ".complete"))) return fetched(name, join(dir, cacheName(name, opts.suite)));
  const aptOptions = opts.suite ? await suiteAptOptions(opts.suite) : [];
  const pkg = await resolvePackage(name, aptOptions);
  const root = join(dir, cacheName(pkg, opts.suite));
  if (existsSync(join(root, ".complete"))) return fetched(pkg, root);
  // One process fetches a package; the others wait for it and find it there.
  return withFileLock(join(dir, `.lock-${cacheName(pkg, opts.suite)}`), async () => {
    if (existsSync(join(root, ".complete"))) return fetched(pkg, root);
    const work = join(dir, `.download-${cacheName(pkg, opts.suite)}-${process.pid}`);
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
      const { stdout: version } = await run("dpkg-deb", ["-f", join(work, deb), "Version"], { timeout: 60_000 });
      writeFileSync(join(unpacked, ".version"), version.trim() + "\n");
      writeFileSync(join(unpacked, ".complete"), "");
      rmSync(root, { recursive: true, force: true });
      renameSync(unpacked, root);
      return fetched(pkg, root);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

/** Hold every lock, taken one after another in the order given (callers sort them, so that two batches cannot deadlock). */
async function withFileLocks<T>(locks: string[], fn: () => Promise<T>): Promise<T> {
  if (locks.length === 0) return fn();
  return withFileLock(locks[0]!, () => withFileLocks(locks.slice(1), fn));
}

/**
 * fetchDebianPackage for many packages at once (a closure of a few hundred small ones):
 * each still has its own cache folder, version and lock, but the missing ones are
 * downloaded by one `apt-get download` (apt reads its package lists once, not once a
 * package). Metapackages are not followed here.
 */
export async function fetchDebianPackages(names: string[], opts: { suite?: string } = {}): Promise<FetchedPackage[]> {
  const dir = corpusDir();
  const rootOf = (n: string): string => join(dir, cacheName(n, opts.suite));
  const have = (n: string): boolean => existsSync(join(rootOf(n), ".complete"));
  const missing = [...new Set(names)].filter((n) => !have(n)).sort();
  if (missing.length > 0) {
    const aptOptions = opts.suite ? await suiteAptOptions(opts.suite) : [];
    await withFileLocks(missing.map((n) => join(dir, `.lock-${cacheName(n, opts.suite)}`)), async () => {
      const todo = missing.filter((n) => !have(n));
      if (todo.length === 0) return;
      const work = join(dir, `.download-batch-${process.pid}`);
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work, { recursive: true });
      try {
        try {
          await run("apt-get", [...aptOptions, "download", ...todo], { cwd: work, timeout: 1_800_000, maxBuffer: 16 << 20 });
        } catch (err) {
          if (opts.suite) forgetLists(opts.suite);
          throw err;
        }
        const debs = readdirSync(work).filter((f) => f.endsWith(".deb"));
        for (let i = 0; i < debs.length; i += 4) {
          await Promise.all(
            debs.slice(i, i + 4).map(async (deb) => {
              const file = join(work, deb);
              const { stdout } = await run("dpkg-deb", ["-f", file, "Package", "Version"], { timeout: 60_000 });
              const pkg = /^Package:\s*(\S+)/m.exec(stdout)?.[1];
              const version = /^Version:\s*(\S+)/m.exec(stdout)?.[1];
              if (!pkg || !version || !todo.includes(pkg)) return;
              const unpacked = join(work, `root-${pkg}`);
              await run("dpkg-deb", ["-x", file, unpacked], { timeout: 600_000 });
              writeFileSync(join(unpacked, ".version"), version + "\n");
              writeFileSync(join(unpacked, ".complete"), "");
              rmSync(rootOf(pkg), { recursive: true, force: true });
              renameSync(unpacked, rootOf(pkg));
            }),
          );
        }
        const still = todo.filter((n) => !have(n));
        if (still.length > 0) throw new Error(`apt-get download produced no .deb for ${still.join(", ")}`);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
  return names.map((n) => fetched(n, rootOf(n)));
}
