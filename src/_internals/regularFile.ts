import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from "node:fs";

/** A path that names something other than a regular file: a FIFO, a socket, a device, a folder. */
export class NotRegularFileError extends Error {
  override name = "NotRegularFileError";
}

function kind(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isDirectory()) return "a folder";
  return "not a file";
}

function check(path: string, st: Stats, what: string | undefined): Stats {
  if (!st.isFile()) throw new NotRegularFileError(`${what ? `${what} ` : ""}${path} is not a regular file (${kind(st)})`);
  return st;
}

/**
 * Throws NotRegularFileError unless `path` (symbolic links followed) is a regular file,
 * deciding from stat alone, before anything opens it: opening a FIFO waits for a writer
 * (forever, and in a libuv thread that even process.exit waits for, so Ctrl-C does not
 * end it), and /dev/zero never ends. `what` names the option in the message
 * ("--kernel"). A missing file throws stat's own error (ENOENT).
 */
export function assertRegularFile(path: string, what?: string): Stats {
  return check(path, statSync(path), what);
}

/** O_NONBLOCK: should the path be swapped for a FIFO after the stat, open does not wait (and fstat refuses it). No effect on a regular file. */
export const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** The bytes of a regular file, refusing anything else before reading (see assertRegularFile). */
export function readRegularFileSync(path: string, what?: string): Buffer {
  assertRegularFile(path, what);
  const fd = openSync(path, OPEN_FLAGS);
  try {
    check(path, fstatSync(fd), what);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Its text (UTF-8). */
export function readRegularTextFileSync(path: string, what?: string): string {
  return readRegularFileSync(path, what).toString("utf8");
}
