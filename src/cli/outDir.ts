import { accessSync, constants, existsSync, mkdirSync, statfsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UsageError } from "./Io.js";

/** statfs f_type of the kernel's own file systems (linux/magic.h), where no report can be written. */
const PSEUDO_FS: Record<number, string> = { 0x9fa0: "procfs", 0x62656572: "sysfs" };

/**
 * Make sure the output folder can take the reports before anything is booted: a run of
 * an hour must not end in a stack trace because --out names a file. (Also guards a
 * Node quirk: mkdirSync(recursive) under /proc loops forever.)
 */
export function prepareOutDir(dir: string, option = "--out"): string {
  const want = resolve(dir);
  let p = want;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  if (!statSync(p).isDirectory()) throw new UsageError(`${option} ${dir}: ${p} is not a folder`);
  const fs = PSEUDO_FS[statfsSync(p).type];
  if (fs) throw new UsageError(`${option} ${dir}: ${p} is on ${fs}, where no report can be written`);
  try {
    mkdirSync(want, { recursive: true });
    accessSync(want, constants.W_OK);
  } catch (err) {
    throw new UsageError(`${option} ${dir}: ${(err as Error).message}`);
  }
  return want;
}
