import { execFileSync } from "node:child_process";

export interface ReadelfNote {
  owner: string;
  descsz: number;
  type: string;
  /** Hex of the descriptor when readelf prints it raw ("description data"). */
  desc: string | undefined;
}

/** The notes `readelf -n` prints for a file: the independent oracle for the reader. */
export function readelfNotes(file: string): ReadelfNote[] {
  const out = execFileSync("readelf", ["-n", "-W", file], { encoding: "utf8", maxBuffer: 64 << 20 });
  const notes: ReadelfNote[] = [];
  // With -W, readelf puts a note on one line: owner, size, type, then (tab) the data.
  for (const line of out.split("\n")) {
    const m = /^\s{2}(\S+)\s+0x([0-9a-f]+)\t([^\t]*)(?:\t\s*(.*))?$/.exec(line);
    if (!m || line.includes("Owner")) continue;
    const d = /^description data: (.*)$/.exec((m[4] ?? "").trim());
    notes.push({ owner: m[1]!, descsz: parseInt(m[2]!, 16), type: m[3]!.trim(), desc: d ? d[1]!.trim().split(/\s+/).join("") : undefined });
  }
  return notes;
}
