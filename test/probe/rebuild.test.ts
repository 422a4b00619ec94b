import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { probeImage } from "../../probe/probeImage.js";
import { probeLayout } from "../../probe/probeBytes.js";
import { skipUnlessTool } from "../_support/requireTool.js";

const probeDir = new URL("../../probe/", import.meta.url).pathname;
const skip = skipUnlessTool("as", ["--version"], "apt-get install binutils") ?? skipUnlessTool("ld", ["--version"], "apt-get install binutils") ?? skipUnlessTool("objcopy", ["--version"], "apt-get install binutils");

describe("the committed probe", () => {
  it("probeBytes.ts holds probe.bin, with the offsets of its parameter block and scratch area", () => {
    const bin = new Uint8Array(readFileSync(join(probeDir, "probe.bin")));
    expect(Buffer.compare(probeImage(), bin)).toBe(0);
    expect(bin.length).toBe(probeLayout.size);
    expect(Buffer.from(bin.subarray(probeLayout.params, probeLayout.params + 4)).toString("latin1")).toBe("PVHp");
    // The scratch area is zero in the image: segment CRCs count it as zeros.
    expect(bin.subarray(probeLayout.scratchStart, probeLayout.scratchEnd).every((b) => b === 0)).toBe(true);
    expect(probeLayout.scratchEnd).toBe(probeLayout.size);
  });

  it.skipIf(skip !== undefined)("rebuilds byte for byte from probe.S with the local binutils", () => {
    const out = mkdtempSync(join(tmpdir(), "pvh-probe-build-"));
    try {
      execFileSync("bash", [join(probeDir, "build.sh"), out], { stdio: "pipe" });
      expect(Buffer.compare(readFileSync(join(out, "probe.bin")), readFileSync(join(probeDir, "probe.bin"))), "probe.bin differs: run probe/build.sh and commit").toBe(0);
      expect(readFileSync(join(out, "probeBytes.ts"), "utf8")).toBe(readFileSync(join(probeDir, "probeBytes.ts"), "utf8"));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
