import { describe, expect, it } from "vitest";
import type { Io } from "../../src/cli/Io.js";
import { main } from "../../src/cli/main.js";

async function listing(...argv: string[]): Promise<string> {
  let out = "";
  const io: Io = { stdout: { write: (s: string) => void (out += s) }, stderr: { write: () => undefined } };
  const code = await main(argv, io);
  expect(code).toBe(0);
  return out;
}

describe("requirements listing", () => {
  it("marks a withdrawn requirement and one no check judges, and no other", async () => {
    const lines = (await listing("requirements")).trim().split("\n");
    const marked = lines.filter((l) => /\[(withdrawn|no check)\]$/.test(l)).map((l) => l.split(/\s+/)[0] + " " + /\[(.*)\]$/.exec(l)![1]);
    expect(marked).toEqual(["pvh.mtrr.ram-wb no check", "pvh.interop.memmap-sorted withdrawn"]);
  });
});
