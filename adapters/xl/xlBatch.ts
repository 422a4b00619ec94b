import type { BootCase } from "../../src/model/BootCase.js";
import { moduleBytes } from "../../src/model/moduleBytes.js";
import type { CpioEntry } from "./cpio.js";

const MIB = 1024 * 1024;

/** A string in an xl config file: double quotes, with backslash and quote escaped (libxlutil's dequoting, libxlu_cfg.c, undoes exactly these). */
export function xlString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The domain name of case `n` of a batch. */
export const domainName = (n: number): string => `pvhcase${n}`;

/**
 * The xl config of one case: a PVH domU with the case's kernel, memory, command line
 * and (one) module as its ramdisk. Every way a domain can end destroys it: a triple
 * fault is a reboot to xl, and the default would restart the guest forever.
 */
export function xlConfig(c: BootCase, n: number): string {
  const lines = [
    `name = ${xlString(domainName(n))}`,
    `type = "pvh"`,
    `kernel = "/cases/${n}/kernel"`,
    `memory = ${Math.ceil(c.memoryBytes / MIB)}`,
    `vcpus = 1`,
    `on_poweroff = "destroy"`,
    `on_reboot = "destroy"`,
    `on_crash = "destroy"`,
  ];
  if (c.cmdline !== null) lines.push(`cmdline = ${xlString(c.cmdline)}`);
  if (c.modules.length > 1) throw new Error(`xl passes one module (the ramdisk), not ${c.modules.length}`);
  if (c.modules.length === 1) lines.push(`ramdisk = "/cases/${n}/ramdisk"`);
  return lines.join("\n") + "\n";
}

/**
 * The runner dom0 runs (busybox sh): for each case, `xl create -p`, `xl domid`, `xl
 * unpause`, then wait until the domain is gone or has shut down, or it has used its
 * deadline (seconds of its own CPU time, then seconds of dom0's clock, in
 * /cases/N/deadline), then `xl destroy`. It prints framed lines on dom0's console, which Xen's
 * console carries to the host:
 *   XLRUN BEGIN n | XLRUN CREATED n domid | XLRUN DUMPED n | XLRUN REFUSED n rc | XLRUN ERR n <xl's line>
 *   XLRUN END n gone|shutdown|crashed|timeout | XLRUN DONE
 */
export function runnerScript(count: number): string {
  return `#!/bin/sh
n=0
while [ $n -lt ${count} ]; do
  d=/cases/$n
  name=pvhcase$n
  echo "XLRUN BEGIN $n"
  xl -vvv create -p $d/xl.cfg >/tmp/xl.log 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "XLRUN REFUSED $n $rc"
    grep -E '^xc: |^domainbuilder: |error|ERROR|panic|[Ff]ailed|[Ii]nvalid|[Cc]annot|[Uu]nable' /tmp/xl.log | grep -vE 'libxl: debug:' | tail -n 80 | while read -r l; do echo "XLRUN ERR $n $l"; done
    xl destroy $name >/dev/null 2>&1
    echo "XLRUN END $n refused"
    n=$((n+1))
    continue
  fi
  domid=$(xl domid $name)
  echo "XLRUN CREATED $n $domid"
  # The vCPU's state as libxenguest set it, before its first instruction: Xen prints the VMCB on its console.
  if [ -e $d/vmcb ]; then xl debug-keys v; echo "XLRUN DUMPED $n"; fi
  xl unpause $name
  # The deadline is the domain's own CPU time (xl list's Time(s)): on a loaded host the
  # wall clock runs on while the guest waits for a core. A wall-clock cap stays.
  read limit wall < $d/deadline
  cap=$(( $(date +%s) + wall ))
  state=timeout
  while [ $(date +%s) -lt $cap ]; do
    s=$(xl list $name 2>/dev/null | tail -n +2)
    if [ -z "$s" ]; then state=gone; break; fi
    case "$(echo $s | cut -d' ' -f5)" in
      *c*) state=crashed; break;;
      *s*) state=shutdown; break;;
    esac
    t=$(echo $s | cut -d' ' -f6 | cut -d. -f1)
    if [ "\${t:-0}" -ge $limit ]; then break; fi
    sleep 0.2
  done
  xl destroy $name >/dev/null 2>&1
  echo "XLRUN END $n $state $domid"
  n=$((n+1))
done
echo "XLRUN DONE"
`;
}

/** The second initramfs archive of a batch: each case's kernel, ramdisk and xl config, and the runner. */
export function batchEntries(cases: readonly BootCase[], deadlinesS: readonly { cpu: number; wall: number }[], vmcb: (c: BootCase) => boolean = () => false): CpioEntry[] {
  const out: CpioEntry[] = [{ path: "cases", kind: "dir" }];
  cases.forEach((c, n) => {
    out.push({ path: `cases/${n}`, kind: "dir" });
    out.push({ path: `cases/${n}/kernel`, kind: "file", data: c.kernelImage });
    const m = c.modules[0];
    if (m) out.push({ path: `cases/${n}/ramdisk`, kind: "file", data: c.moduleData?.[0] ?? moduleBytes(m.seed, m.size) });
    out.push({ path: `cases/${n}/xl.cfg`, kind: "file", data: Buffer.from(xlConfig(c, n)) });
    out.push({ path: `cases/${n}/deadline`, kind: "file", data: Buffer.from(`${deadlinesS[n]!.cpu} ${deadlinesS[n]!.wall}\n`) });
    if (vmcb(c)) out.push({ path: `cases/${n}/vmcb`, kind: "file", data: new Uint8Array(0) });
  });
  out.push({ path: "cases/run.sh", kind: "file", data: Buffer.from(runnerScript(cases.length)), mode: 0o755 });
  return out;
}
