/**
 * Runs GNU readelf and parses the parts of its text output the cross-check
 * compares. Written against binutils 2.40's `readelf -W` format.
 */
import { spawnSync } from "node:child_process";

export interface ReadelfPhdr {
  type: string;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  flags: string;
  align: bigint;
}

export interface ReadelfShdr {
  index: number;
  name: string;
  type: string;
  addr: bigint;
  offset: bigint;
  size: bigint;
  flags: string;
  align: bigint;
}

export interface ReadelfNote {
  owner: string;
  descsz: number;
  /** Hex of the descriptor, as printed ("description data" or "Build ID"). */
  desc: string;
}

export interface ReadelfNoteGroup {
  /** Section name, or undefined for a segment ("found at file offset"). */
  section: string | undefined;
  offset: bigint | undefined;
  length: bigint | undefined;
  notes: ReadelfNote[];
}

export interface ReadelfView {
  header: Map<string, string>;
  phdrs: ReadelfPhdr[];
  shdrs: ReadelfShdr[];
  noteGroups: ReadelfNoteGroup[];
}

export function findReadelf(): string | undefined {
  const cmd = process.env.READELF ?? "readelf";
  const r = spawnSync(cmd, ["--version"], { encoding: "utf8" });
  return r.status === 0 && /GNU readelf/.test(r.stdout) ? cmd : undefined;
}

export function runReadelf(cmd: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    maxBuffer: 1 << 28,
    env: { ...process.env, LC_ALL: "C", LANG: "C" },
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const PHDR_RE =
  /^\s+(\S+)\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) ([R ][W ][E ]) (0x[0-9a-f]+|0)$/;
const SHDR_RE = /^\s+\[\s*(\d+)\] (\S*)\s+(\S+)\s+([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) (.{3}) +(\d+) +(\d+) +(\d+)$/;
const NOTE_RE = /^  (\S+)\s+0x([0-9a-f]{8})\t([^\t]*)\t?(.*)$/;

const h = (s: string | undefined): bigint => BigInt(s === undefined || s === "0" ? 0 : s.startsWith("0x") ? s : `0x${s}`);

export function parseReadelf(text: string): ReadelfView {
  const view: ReadelfView = { header: new Map(), phdrs: [], shdrs: [], noteGroups: [] };
  let mode: "none" | "header" | "phdrs" | "shdrs" | "notes" = "none";
  let group: ReadelfNoteGroup | undefined;
  for (const line of text.split("\n")) {
    if (line === "ELF Header:") {
      mode = "header";
      continue;
    }
    if (line === "Program Headers:") {
      mode = "phdrs";
      continue;
    }
    if (line === "Section Headers:") {
      mode = "shdrs";
      continue;
    }
    let m = /^Displaying notes found in: (.*)$/.exec(line);
    if (m) {
      group = { section: m[1], offset: undefined, length: undefined, notes: [] };
      view.noteGroups.push(group);
      mode = "notes";
      continue;
    }
    m = /^Displaying notes found at file offset (0x[0-9a-f]+) with length (0x[0-9a-f]+):$/.exec(line);
    if (m) {
      group = { section: undefined, offset: h(m[1]), length: h(m[2]), notes: [] };
      view.noteGroups.push(group);
      mode = "notes";
      continue;
    }
    if (line.trim() === "") {
      if (mode !== "notes") mode = "none";
      continue;
    }
    switch (mode) {
      case "header": {
        const hm = /^\s\s([^:]+):\s+(.*)$/.exec(line);
        if (hm) view.header.set(hm[1]!, hm[2]!.trim());
        break;
      }
      case "phdrs": {
        const pm = PHDR_RE.exec(line);
        if (pm) {
          view.phdrs.push({
            type: pm[1]!,
            offset: h(pm[2]),
            vaddr: h(pm[3]),
            paddr: h(pm[4]),
            filesz: h(pm[5]),
            memsz: h(pm[6]),
            flags: pm[7]!,
            align: h(pm[8]),
          });
        }
        break;
      }
      case "shdrs": {
        const sm = SHDR_RE.exec(line);
        if (sm) {
          view.shdrs.push({
            index: Number(sm[1]),
            name: sm[2]!,
            type: sm[3]!,
            addr: h(sm[4]),
            offset: h(sm[5]),
            size: h(sm[6]),
            flags: sm[8]!.trim(),
            align: BigInt(sm[11]!),
          });
        }
        break;
      }
      case "notes": {
        const nm = NOTE_RE.exec(line);
        if (nm && group) {
          const rest = nm[4] ?? "";
          const dd = /description data: ((?:[0-9a-f]{2} )*)/.exec(rest);
          const bid = /Build ID: ([0-9a-f]*)/.exec(rest);
          group.notes.push({
            owner: nm[1]!,
            descsz: Number.parseInt(nm[2]!, 16),
            desc: dd ? dd[1]!.replace(/ /g, "") : bid ? bid[1]! : "",
          });
        }
        break;
      }
      default:
        break;
    }
  }
  return view;
}

/** Splits the output of one readelf run over several files ("File: <name>" headers). */
export function splitByFile(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = stdout.split(/^File: (.*)$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) out.set(parts[i]!, parts[i + 1]!);
  return out;
}
