import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { fetchDebianPackage } from "../../src/corpus/fetchDebianPackage.js";

export const XEN_PACKAGE = "xen-hypervisor-4.17-amd64";

/**
 * Debian's Xen hypervisor as an image QEMU can boot: the package is downloaded and
 * unpacked into the corpus cache (never installed: that would change the host's boot
 * loader), and boot/xen-*.gz is gunzipped to the ELF32 multiboot image.
 */
export async function xenImage(): Promise<string> {
  const root = (await fetchDebianPackage(XEN_PACKAGE)).root;
  const boot = join(root, "boot");
  const gz = readdirSync(boot).find((f) => /^xen-.*\.gz$/.test(f));
  if (!gz) throw new Error(`${XEN_PACKAGE} holds no boot/xen-*.gz`);
  const out = join(boot, gz.replace(/\.gz$/, ""));
  if (!existsSync(out)) writeFileSync(out, gunzipSync(readFileSync(join(boot, gz))));
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
