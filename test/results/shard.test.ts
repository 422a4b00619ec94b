import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { Results } from "../../src/results/Results.js";
import { mergeResults } from "../../src/results/mergeResults.js";

const dir = mkdtempSync(join(tmpdir(), "pvh-shard-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const io = { stdout: { write: () => true }, stderr: { write: () => true } };
const read = (d: string): Results => JSON.parse(readFileSync(join(d, "results.json"), "utf8")) as Results;
/** What may differ between one run and its shards merged: when, where, and how it was invoked. */
const comparable = (r: Results) => ({ ...r, run: { ...r.run, startedAt: "", finishedAt: "", host: null, command: [] } });

describe("sharding", () => {
  it("two shards merged give the same results.json as one unsharded run of the same seed", async () => {
    const args = ["run", "--adapter", "reference", "--variant", "v1,v0", "--cases", "25", "--seed", "12", "-q"];
    expect(await main([...args, "--out", join(dir, "one")], io)).toBe(1); // v0 fails an interop requirement
    await main([...args, "--shard", "1/2", "--out", join(dir, "s1")], io);
    await main([...args, "--shard", "2/2", "--out", join(dir, "s2")], io);
    const s1 = read(join(dir, "s1"));
    expect(s1.run.shard).toEqual({ index: 1, count: 2 });
    // 13 of 25 generated cases and half the boundary examples, for each of two variants.
    expect(s1.cases.filter((c) => !c.replay.example).length).toBe(26);
    expect(s1.cases.some((c) => c.replay.example)).toBe(true);
    expect(await main(["merge", "--skip-allure", "--out", join(dir, "merged"), join(dir, "s2"), join(dir, "s1")], io)).toBe(0);
    const merged = read(join(dir, "merged"));
    expect(merged.run.shard).toBeUndefined();
    expect(merged.run.command).not.toContain("--shard");
    // Every report is rebuilt from the merged file.
    for (const f of ["junit.xml", "matrix.html", "allure-results"]) expect(existsSync(join(dir, "merged", f)), f).toBe(true);
    expect(readFileSync(join(dir, "merged", "junit.xml"), "utf8")).toContain('testsuite name="reference.v0"');
    expect(comparable(merged)).toEqual(comparable(read(join(dir, "one"))));
  });

  it("refuses parts that cannot belong together", async () => {
    const a = read(join(dir, "s1"));
    expect(() => mergeResults([a, a])).toThrow(/shards overlap/);
    expect(() => mergeResults([a, { ...a, run: { ...a.run, seed: 13 } }])).toThrow(/seeds differ/);
    expect(await main(["merge", "--out", join(dir, "x"), join(dir, "nope")], io)).toBe(2);
    // One shard of two is not the campaign.
    expect(() => mergeResults([a])).toThrow(/shard\(s\) 2\/2 missing/);
    expect(await main(["merge", "--out", join(dir, "half"), join(dir, "s1")], io)).toBe(2);
    expect(existsSync(join(dir, "half"))).toBe(false);
    expect(await main(["run", "--shard", "3/2"], io)).toBe(2);
  });
});
