/** One member of a cpio archive: a folder, a file (bytes) or a symbolic link (its target). */
export type CpioEntry =
  | { path: string; kind: "dir"; mode?: number }
  | { path: string; kind: "file"; data: Uint8Array; mode?: number }
  | { path: string; kind: "symlink"; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/**
 * A cpio archive in the "newc" format (magic 070701, the one the Linux kernel unpacks
 * as an initramfs: Documentation/driver-api/early-userspace/buffer-format.rst). Paths
 * are relative to the archive's root; folders must come before what they hold.
 * Archives may be concatenated: the kernel unpacks each in turn.
 */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const member = (name: string, mode: number, data: Uint8Array): void => {
    const nameBytes = Buffer.from(name + "\0", "utf8");
    const fields = [
      ino++, // c_ino
      mode,
      0, // uid
      0, // gid
      mode & S_IFDIR ? 2 : 1, // nlink
      0, // mtime: fixed, so that one input gives one archive
      data.length,
      0, 0, 0, 0, // dev and rdev, major and minor
      nameBytes.length,
      0, // check
    ];
    const header = Buffer.from("070701" + fields.map(hex8).join(""), "ascii");
    parts.push(header, nameBytes, Buffer.alloc(pad4(header.length + nameBytes.length)));
    parts.push(Buffer.from(data.buffer, data.byteOffset, data.length), Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, "");
    if (!path || path.split("/").some((p) => p === ".." || p === "")) throw new Error(`cpio: bad path ${JSON.stringify(e.path)}`);
    if (e.kind === "dir") member(path, S_IFDIR | (e.mode ?? 0o755), new Uint8Array(0));
    else if (e.kind === "file") member(path, S_IFREG | (e.mode ?? 0o644), e.data);
    else member(path, S_IFLNK | 0o777, Buffer.from(e.target, "utf8"));
  }
  member("TRAILER!!!", 0, new Uint8Array(0));
  return Buffer.concat(parts);
}
