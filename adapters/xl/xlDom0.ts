import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { corpusDir, fetchDebianPackage, type FetchedPackage } from "../../src/corpus/fetchDebianPackage.js";
import { cpioNewc, type CpioEntry } from "./cpio.js";

const run = promisify(execFile);

/** Libraries every release's xl, xenstored, xenconsoled and xen-init-dom0 need (the closure is resolved, not assumed: see dom0Parts). */
const COMMON_LIBS = [
  "libc6", "libgcc-s1", "libuuid1", "libyajl2", "zlib1g", "liblzma5", "libzstd1",
  "libxencall1", "libxendevicemodel1", "libxenevtchn1", "libxenforeignmemory1", "libxengnttab1",
  "libxenhypfs1", "libxenstore4", "libxentoolcore1", "libxentoollog1",
] as const;

/** The toolstacks the xl adapter runs, by Xen release: the Debian release that ships it, its hypervisor and its tools. */
export const XL_RELEASES = {
  "4.20": { suite: "trixie", hypervisor: "4.20", packages: ["xen-utils-4.20", "libxenmisc4.20", ...COMMON_LIBS] },
  "4.17": { suite: "bookworm", hypervisor: "4.17", packages: ["xen-utils-4.17", "libxenmisc4.17", ...COMMON_LIBS] },
} as const;
export type XlRelease = keyof typeof XL_RELEASES;

/** The dom0 kernel: Debian's (the host release's) linux-image-amd64, booted as a PV dom0. */
const DOM0_KERNEL_PACKAGE = "linux-image-amd64";
/** Kernel modules the toolstack needs in dom0 (xenfs needs xen-privcmd: loaded in this order). */
const DOM0_MODULES = ["xen-evtchn", "xen-gntdev", "xen-gntalloc", "xen-privcmd", "xenfs"] as const;
/** The programs copied into dom0, from /usr/lib/xen-X/bin. */
const TOOLS = ["xl", "xenstored", "xenconsoled", "xen-init-dom0"] as const;
/** Loaded by libc at run time (pthread_cancel and exit unwinding): no DT_NEEDED names it, yet without it xl aborts (exit 134). */
const DLOPENED = ["libgcc_s.so.1"];

export interface Dom0Parts {
  /** The dom0 kernel (a bzImage Xen boots as a PV dom0). */
  kernel: string;
  /** The dom0 initramfs without the cases: gzip'd cpio. A batch's cases are appended as a second archive. */
  initramfs: Buffer;
  /** Package versions that went in, for run info. */
  versions: Record<string, string>;
}

function libDirs(root: string): string[] {
  const out: string[] = [];
  for (const d of ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib64"]) if (existsSync(join(root, d))) out.push(join(root, d));
  return out;
}

/** The shared libraries `bin` loads, by the release's own dynamic loader (`ld.so --list`): soname -> file on the host. */
async function closure(ld: string, libraryPath: string[], bin: string): Promise<Map<string, string>> {
  const { stdout } = await run(ld, ["--library-path", libraryPath.join(":"), "--list", bin], { timeout: 60_000 });
  const out = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const missing = /^\s*(\S+) => not found/.exec(line);
    if (missing) throw new Error(`${basename(bin)} needs ${missing[1]}, which none of the fetched packages holds`);
    const m = /^\s*(\S+) => (\/\S+) \(0x/.exec(line);
    if (m && !m[1]!.startsWith("/")) out.set(m[1]!, m[2]!);
  }
  return out;
}

const cache = new Map<XlRelease, Promise<Dom0Parts>>();

/** The dom0 of a release, built once per process from packages in the corpus cache. */
export function dom0Parts(release: XlRelease): Promise<Dom0Parts> {
  if (!cache.has(release)) {
    const p = buildDom0(release);
    p.catch(() => cache.delete(release));
    cache.set(release, p);
  }
  return cache.get(release)!;
}

async function buildDom0(release: XlRelease): Promise<Dom0Parts> {
  const { suite, packages } = XL_RELEASES[release];
  const versions: Record<string, string> = {};
  const roots = new Map<string, string>();
  for (const pkg of packages) {
    const f = await fetchDebianPackage(pkg, { suite });
    roots.set(pkg, f.root);
    versions[`${pkg}@${suite}`] = f.version ?? "unknown";
  }
  const busybox = await fetchDebianPackage("busybox-static", { suite });
  versions[`busybox-static@${suite}`] = busybox.version ?? "unknown";
  const linux = await dom0Kernel();
  versions[linux.name] = linux.version ?? "unknown";

  const libc = roots.get("libc6")!;
  const ld = [...libDirs(libc)].map((d) => join(d, "ld-linux-x86-64.so.2")).find((f) => existsSync(f));
  if (!ld) throw new Error(`libc6@${suite} holds no ld-linux-x86-64.so.2`);
  const libraryPath = [...roots.values()].flatMap(libDirs);
  const binDir = join(roots.get(`xen-utils-${release}`)!, "usr", "lib", `xen-${release}`, "bin");

  const entries: CpioEntry[] = [];
  const dirs = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "lib", "lib/x86_64-linux-gnu", "lib/modules", "lib64", "proc", "sys", "dev", "run", "tmp",
    "etc", "etc/xen", "var", "var/lib", "var/lib/xen", "var/lib/xenstored", "var/log", "var/log/xen", "root"];
  for (const d of dirs) entries.push({ path: d, kind: "dir" });
  entries.push({ path: "var/run", kind: "symlink", target: "/run" });
  // bookworm's package puts it in /bin, trixie's in /usr/bin.
  const busyboxBin = ["usr/bin/busybox", "bin/busybox"].map((p) => join(busybox.root, p)).find((f) => existsSync(f));
  if (!busyboxBin) throw new Error(`busybox-static@${suite} holds no busybox`);
  entries.push({ path: "bin/busybox", kind: "file", data: readFileSync(busyboxBin), mode: 0o755 });
  entries.push({ path: "bin/sh", kind: "symlink", target: "busybox" });

  const libs = new Map<string, string>();
  for (const tool of TOOLS) {
    const bin = join(binDir, tool);
    if (!existsSync(bin)) throw new Error(`xen-utils-${release} holds no ${tool}`);
    entries.push({ path: `usr/sbin/${tool}`, kind: "file", data: readFileSync(bin), mode: 0o755 });
    for (const [soname, file] of await closure(ld, libraryPath, bin)) libs.set(soname, file);
  }
  for (const name of DLOPENED) {
    const file = libraryPath.map((d) => join(d, name)).find((f) => existsSync(f));
    if (!file) throw new Error(`no ${name} in the fetched packages`);
    libs.set(name, file);
  }
  for (const [soname, file] of libs) {
    if (soname.startsWith("ld-linux")) continue;
    entries.push({ path: `lib/x86_64-linux-gnu/${soname}`, kind: "file", data: readFileSync(realpathSync(file)), mode: 0o755 });
  }
  entries.push({ path: "lib64/ld-linux-x86-64.so.2", kind: "file", data: readFileSync(realpathSync(ld)), mode: 0o755 });

  const modRoot = join(linux.root, "lib", "modules");
  const kver = readdirSync(modRoot)[0];
  if (!kver) throw new Error(`${linux.name} holds no modules`);
  const boot = join(linux.root, "boot");
  const vmlinuz = readdirSync(boot).find((f) => f.startsWith("vmlinuz-"));
  if (!vmlinuz) throw new Error(`${linux.name} holds no boot/vmlinuz-*`);
  for (const m of DOM0_MODULES) {
    const file = findFile(join(modRoot, kver, "kernel", "drivers", "xen"), `${m}.ko`);
    if (!file) throw new Error(`${linux.name} holds no ${m}.ko`);
    entries.push({ path: `lib/modules/${m}.ko`, kind: "file", data: readFileSync(file) });
  }
  // No ballooning: dom0 has a fixed dom0_mem, and the rest is free for the domUs.
  entries.push({ path: "etc/xen/xl.conf", kind: "file", data: Buffer.from('autoballoon = "off"\n') });
  entries.push({ path: "init", kind: "file", data: Buffer.from(initScript()), mode: 0o755 });
  return { kernel: join(boot, vmlinuz), initramfs: gzipSync(cpioNewc(entries), { level: 6 }), versions };
}

/**
 * The dom0 kernel package: the metapackage followed by the host's apt (apt-cache), or,
 * when apt cannot answer (a loaded machine, no lists), the newest versioned
 * linux-image-*-amd64 already in the corpus cache.
 */
async function dom0Kernel(): Promise<FetchedPackage> {
  try {
    return await fetchDebianPackage(DOM0_KERNEL_PACKAGE);
  } catch (err) {
    const cached = readdirSync(corpusDir())
      .filter((d) => /^linux-image-\d[\w.]*-\d+-amd64$/.test(d) && existsSync(join(corpusDir(), d, ".complete")))
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
      .at(-1);
    if (!cached) throw err;
    return fetchDebianPackage(cached);
  }
}

function findFile(dir: string, name: string): string | undefined {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (e === name) return p;
    if (statSync(p).isDirectory()) {
      const f = findFile(p, name);
      if (f) return f;
    }
  }
  return undefined;
}

/** Dom0's /init (busybox sh): the toolstack's daemons, then the batch's runner, then power off. */
function initScript(): string {
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mkdir -p /dev/pts
mount -t devpts -o ptmxmode=0666 devpts /dev/pts
mkdir -p /run/xen /run/xenstored
for m in ${DOM0_MODULES.join(" ")}; do insmod /lib/modules/$m.ko || echo "XLRUN FATAL insmod $m"; done
mount -t xenfs xenfs /proc/xen || echo "XLRUN FATAL mount xenfs"
xenstored --pid-file /run/xenstored.pid || echo "XLRUN FATAL xenstored"
xen-init-dom0 >/tmp/xen-init-dom0.log 2>&1 || { echo "XLRUN FATAL xen-init-dom0"; cat /tmp/xen-init-dom0.log; }
xenconsoled --pid-file=/run/xenconsoled.pid || echo "XLRUN FATAL xenconsoled"
if [ -x /cases/run.sh ]; then /cases/run.sh; else echo "XLRUN FATAL no /cases/run.sh"; fi
echo "XLRUN HALT"
poweroff -f
`;
}
