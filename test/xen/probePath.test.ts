import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { xenAdapter } from "../../adapters/xen/xenAdapter.js";
import { exampleCase } from "../../generators/exampleCase.js";
import { judge } from "../../src/checks/judge.js";
import { referenceLoad } from "../../src/reference/referenceLoad.js";
import { emulateProbe } from "../probe/_emulateProbe.js";

// The Xen adapter reads a probe report from Xen's console; the rules that say what a
// report cannot decide must be the ones the probe's own tests use (probeCaseObservation).
// A stand-in for QEMU writes a prepared console, so the adapter's whole reading path runs.
const dir = mkdtempSync(join(tmpdir(), "pvh-xenpath-"));
afterAll(() => {
  xenAdapter.configure!({ qemu: "", xen: "", bootTimeoutMs: 90_000 });
  rmSync(dir, { recursive: true, force: true });
});

function fakeQemu(consoleLines: string[]): string {
  const text = join(dir, "console.txt");
  writeFileSync(text, consoleLines.map((l) => `(d0) ${l}\n`).join(""));
  const f = join(dir, "qemu");
  // Finds "-serial file:PATH" among its arguments, writes the console there, waits to be stopped.
  writeFileSync(f, `#!/bin/sh\nwhile [ $# -gt 0 ]; do if [ "$1" = -serial ]; then out="\${2#file:}"; fi; shift; done\ncat ${JSON.stringify(text)} > "$out"\nexec sleep 60\n`);
  chmodSync(f, 0o755);
  return f;
}

describe("Xen adapter: the probe's reading rules", () => {
  it("a non-relocatable image that runs away from its entry has its load checks SKIP, not FAIL, as judgeProbe does", async () => {
    const c = exampleCase("runaway", { plan: { entryCode: "probe" } });
    expect(c.kernel.reloc).toBeNull();
    const obs = referenceLoad(c);
    // The probe runs 0x40 bytes past the entry: it hashes the segments relative to where it runs.
    const moved = { ...obs, cpu: { ...obs.cpu!, eip: c.kernel.entry + 0x40 } };
    xenAdapter.configure!({ qemu: fakeQemu(emulateProbe(c, moved)), xen: join(dir, "qemu"), bootTimeoutMs: 20_000 });
    const o = await xenAdapter.boot(c, "dom0");
    expect(o.outcome, o.message).toBe("entered");
    const v = new Map(judge(c, o).map((x) => [x.requirement, x]));
    expect(v.get("pvh.cpu.eip")?.status).toBe("FAIL");
    // Before, the Xen path judged these on bytes read at the wrong place: FAIL.
    expect(v.get("pvh.load.segments")).toMatchObject({ status: "SKIP", code: "cannot-observe" });
    expect(v.get("pvh.load.zero-fill")).toMatchObject({ status: "SKIP", code: "cannot-observe" });
  }, 60_000);
});
