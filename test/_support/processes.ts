import { readdirSync, readFileSync } from "node:fs";

export interface Proc {
  pid: number;
  ppid: number;
  /** The kernel's command name (at most 15 characters: "qemu-system-x86"). */
  comm: string;
  /** R, S, D, Z (a zombie: dead, not yet reaped, running nothing), ... */
  state: string;
  cmdline: string;
}

/** The processes of this machine, from /proc (a process that ends while being read is left out). */
export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const rest = stat.slice(close + 2).split(" ");
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim();
      out.push({ pid: Number(name), ppid: Number(rest[1]), comm: stat.slice(stat.indexOf("(") + 1, close), state: rest[0]!, cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Whether the process runs (a zombie does not). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
