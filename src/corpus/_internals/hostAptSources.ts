import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One `deb` source as apt reads it: a base URI, its suites and components, the keyring that signs it. */
export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
  signedBy: string | null;
}

/** Where the suite fetches Debian releases from: the host's own archive (and security archive), as its apt is configured. */
export interface DebianArchives {
  archive: AptSource;
  security: AptSource | null;
}

export class AptSourcesError extends Error {
  override name = "AptSourcesError";
}

/** One-line format (sources.list(5)): `deb [options] uri suite [component...]`. */
export function parseOneLineSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const options = m[1] ?? "";
    const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(options)?.[1] ?? null;
    out.push({ uri: m[2]!, suites: [m[3]!], components: m[4]!.split(/\s+/).filter(Boolean), signedBy });
  }
  return out;
}

/** deb822 format (sources.list(5), `.sources` files): stanzas of `Field: value` lines. */
export function parseDeb822Sources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | null = null;
    for (const raw of stanza.split("\n")) {
      if (raw.startsWith("#")) continue;
      if (/^\s/.test(raw) && last) {
        fields.set(last, `${fields.get(last)} ${raw.trim()}`);
        continue;
      }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (m) fields.set((last = m[1]!.toLowerCase()), m[2]!.trim());
    }
    const words = (k: string): string[] => (fields.get(k) ?? "").split(/\s+/).filter(Boolean);
    if (!words("types").includes("deb") || fields.get("enabled")?.toLowerCase() === "no") continue;
    const signedBy = fields.get("signed-by") ?? null;
    for (const uri of words("uris")) {
      // An inline key block is not a path apt-get can be pointed at again; apt's default keyrings then apply.
      out.push({ uri, suites: words("suites"), components: words("components"), signedBy: signedBy?.startsWith("/") ? signedBy : null });
    }
  }
  return out;
}

function aptConfig(): Map<string, string> {
  const config = new Map<string, string>();
  let text = "";
  try {
    text = execFileSync("apt-config", ["dump"], { encoding: "utf8", timeout: 30_000 });
  } catch {
    // No apt-config: apt's compiled-in defaults.
  }
  for (const m of text.matchAll(/^(\S+) "(.*)";$/gm)) config.set(m[1]!, m[2]!);
  return config;
}

/** The host's apt sources, read from the files apt itself reads (apt-config names them). */
export function readHostAptSources(): AptSource[] {
  const c = aptConfig();
  const root = c.get("Dir") ?? "/";
  const etc = join(root, c.get("Dir::Etc") ?? "etc/apt");
  const main = join(etc, c.get("Dir::Etc::sourcelist") ?? "sources.list");
  const parts = join(etc, c.get("Dir::Etc::sourceparts") ?? "sources.list.d");
  const sources: AptSource[] = [];
  if (existsSync(main)) sources.push(...parseOneLineSources(readFileSync(main, "utf8")));
  if (existsSync(parts)) {
    for (const f of readdirSync(parts).sort()) {
      const path = join(parts, f);
      if (f.endsWith(".list")) sources.push(...parseOneLineSources(readFileSync(path, "utf8")));
      else if (f.endsWith(".sources")) sources.push(...parseDeb822Sources(readFileSync(path, "utf8")));
    }
  }
  return sources;
}

/**
 * Which of the host's sources are Debian's archive and Debian's security archive: the ones
 * that serve the host's own release (`codename`, `codename-updates`; `codename-security`).
 * A mirror or a proxying URI is taken as it is: that is the point of reading it from the host.
 */
export function debianArchives(sources: AptSource[], codename: string): DebianArchives {
  const hasMain = (s: AptSource): boolean => s.components.includes("main");
  const archive = sources.find((s) => hasMain(s) && s.suites.some((x) => x === codename || x === `${codename}-updates`));
  if (!archive) {
    throw new AptSourcesError(
      `no apt source of the host serves Debian ${codename} main: the suite reads other Debian releases from the archive the host's apt uses (configure one in /etc/apt/sources.list or sources.list.d)`,
    );
  }
  const security = sources.find((s) => hasMain(s) && s.suites.includes(`${codename}-security`)) ?? null;
  return { archive, security };
}

/** The host's release codename (bookworm), from os-release. */
export function hostCodename(): string {
  for (const path of ["/etc/os-release", "/usr/lib/os-release"]) {
    if (!existsSync(path)) continue;
    const m = /^VERSION_CODENAME="?([a-z]+)"?$/m.exec(readFileSync(path, "utf8"));
    if (m) return m[1]!;
  }
  throw new AptSourcesError("cannot tell the host's Debian release: /etc/os-release has no VERSION_CODENAME");
}

/**
 * sources.list lines for another Debian release, from the host's archives. A stable
 * release (trixie) gets its -updates and -security suites; sid and a backports suite
 * (bookworm-backports) have neither.
 */
export function sourcesListFor(suite: string, archives: DebianArchives, defaultKeyring: string): string {
  const line = (s: AptSource, name: string): string => `deb [signed-by=${s.signedBy ?? defaultKeyring}] ${s.uri} ${name} main`;
  const stable = !/^(sid|unstable|experimental)$/.test(suite) && !suite.includes("-");
  const lines = [line(archives.archive, suite)];
  if (stable) {
    lines.push(line(archives.archive, `${suite}-updates`));
    if (archives.security) lines.push(line(archives.security, `${suite}-security`));
  }
  return lines.join("\n") + "\n";
}
