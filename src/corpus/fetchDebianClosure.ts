import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { withFileLock } from "../_internals/fileLock.js";
import { corpusDir, fetchDebianPackages, suiteAptOptions, type FetchedPackage } from "./fetchDebianPackage.js";

const run = promisify(execFile);

export interface FetchedClosure {
  /** The folder that holds the closure's files merged (e.g. its usr/share/cargo/registry). */
  root: string;
  /** Package name -> Debian version, for every package of the closure. */
  versions: Map<string, string>;
}

export interface ClosureOptions {
  /** The cache folder's name (without the suite), e.g. "rust-linux-loader". */
  name: string;
  /** The packages whose dependencies are followed. */
  roots: string[];
  suite: string;
  /** Which dependencies belong to the closure (e.g. /^librust-.*-dev$/); the rest are not followed further. */
  include: RegExp;
  /** The folder inside each unpacked package whose entries are merged (e.g. "usr/share/cargo/registry"). */
  merge: string;
}

/** "pkg version" lines, sorted by name: the .versions file of a closure folder. */
export function formatVersions(versions: Map<string, string>): string {
  return [...versions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([p, v]) => `${p} ${v}\n`).join("");
}

export function parseVersions(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^(\S+) (\S+)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/**
 * The packages `apt-cache depends --recurse` reaches from `roots` through Depends and
 * Pre-Depends (an alternative or a virtual package's providers included), kept to those
 * `include` matches. Read from the private apt state of `suite`.
 */
export async function resolveClosure(roots: string[], suite: string, include: RegExp): Promise<string[]> {
  const apt = await suiteAptOptions(suite);
  const { stdout } = await run(
    "apt-cache",
    [...apt, "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", ...roots],
    { timeout: 120_000, maxBuffer: 64 << 20 },
  );
  // Unindented lines are the packages reached; <name> is a virtual one (its providers follow, indented, and are listed in their own right).
  const names = new Set<string>();
  for (const line of stdout.split("\n")) {
    if (/^\S/.test(line) && !line.startsWith("<") && include.test(line.trim())) names.add(line.trim());
  }
  for (const r of roots) if (!names.has(r)) throw new Error(`apt-cache knows no package ${r} in ${suite}`);
  return [...names].sort();
}

const complete = (root: string): boolean => existsSync(join(root, ".complete")) && existsSync(join(root, ".versions"));

/**
 * Fetch a package closure from a Debian release into the corpus cache: each package
 * in its own cache folder, under its own lock, with its version (fetchDebianPackages:
 * the missing ones in one apt-get download), then one folder, `<name>@<suite>`, whose `merge` folder
 * links to every package's entries there, and whose `.versions` lists what it holds.
 * A closure folder already complete is used as it is, with no apt and no network.
 */
export async function fetchDebianClosure(opts: ClosureOptions): Promise<FetchedClosure> {
  const dir = corpusDir();
  const root = join(dir, `${opts.name}@${opts.suite}`);
  const done = (): FetchedClosure => ({ root, versions: parseVersions(readFileSync(join(root, ".versions"), "utf8")) });
  if (complete(root)) return done();
  return withFileLock(join(dir, `.lock-${opts.name}@${opts.suite}`), async () => {
    if (complete(root)) return done();
    const names = await resolveClosure(opts.roots, opts.suite, opts.include);
    const fetched: FetchedPackage[] = await fetchDebianPackages(names, { suite: opts.suite });
    const work = `${root}.assembling-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    const target = join(work, opts.merge);
    mkdirSync(target, { recursive: true });
    const versions = new Map<string, string>();
    try {
      for (const p of fetched) {
        versions.set(p.name, p.version ?? "unknown");
        const from = join(p.root, opts.merge);
        if (!existsSync(from)) continue;
        for (const entry of readdirSync(from)) {
          // Two packages with one entry would be a conflict dpkg itself refuses; keep the first.
          if (existsSync(join(target, entry))) continue;
          symlinkSync(relative(target, join(from, entry)), join(target, entry));
        }
      }
      writeFileSync(join(work, ".versions"), formatVersions(versions));
      writeFileSync(join(work, ".complete"), "");
      rmSync(root, { recursive: true, force: true });
      renameSync(work, root);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return done();
  });
}
