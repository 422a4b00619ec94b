import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { fetchDebianPackage } from "../../src/corpus/fetchDebianPackage.js";

/** The Debian Xen hypervisors the adapter can fetch, by release: the package and the Debian release that ships it. */
export const XEN_RELEASES = {
  "4.17": { package: "xen-hypervisor-4.17-amd64", suite: "bookworm" },
  "4.20": { package: "xen-hypervisor-4.20-amd64", suite: "trixie" },
} as const;
export type XenRelease = keyof typeof XEN_RELEASES;
/** The newest Debian ships; unlike 4.17, its dom0 builder honours PHYS32_RELOC. */
export const DEFAULT_XEN_RELEASE: XenRelease = "4.20";

export function isXenRelease(s: string): s is XenRelease {
  return Object.hasOwn(XEN_RELEASES, s);
}

/**
 * Debian's Xen hypervisor as an image QEMU can boot: the package is downloaded from
 * its Debian release and unpacked into the corpus cache (never installed: that would
 * change the host's boot loader), and boot/xen-*.gz is gunzipped to the ELF32
 * multiboot image.
 */
export async function xenImage(release: XenRelease = DEFAULT_XEN_RELEASE): Promise<string> {
  const { package: pkg, suite } = XEN_RELEASES[release];
  const root = (await fetchDebianPackage(pkg, { suite })).root;
  const boot = join(root, "boot");
  const gz = readdirSync(boot).find((f) => /^xen-.*\.gz$/.test(f));
  if (!gz) throw new Error(`${pkg} holds no boot/xen-*.gz`);
  const out = join(boot, gz.replace(/\.gz$/, ""));
  if (!existsSync(out)) {
    // Written aside and renamed: another process may be looking for it meanwhile.
    const part = `${out}.${process.pid}.part`;
    writeFileSync(part, gunzipSync(readFileSync(join(boot, gz))));
    renameSync(part, out);
  }
  return out;
}

/** The hypervisor's version string, from the image's banner text. */
export function xenVersion(image: string): string {
  try {
    const text = execFileSync("strings", ["-n", "8", image], { encoding: "latin1", maxBuffer: 64 << 20 });
    const m = /Xen version (\d+\.\d+[^\s(]*)/.exec(text) ?? /(4\.\d+\.\d+[^\s]*)/.exec(text);
    return m ? `Xen ${m[1]}` : "Xen (unknown version)";
  } catch {
    return "Xen (unknown version)";
  }
}

/**
 * Whether a Xen of this version string relocates a PVH dom0 kernel by its
 * PHYS32_RELOC note: 4.19 and later (the note and the dom0 builder's support came
 * in one 2024 series). Debian's 4.17 does not; its 4.20 does (test/xen).
 */
export function xenRelocates(version: string): boolean {
  const m = /(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 4 || (major === 4 && minor >= 19);
}
