import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCampaign } from "../../fuzz/fuzzer.js";

// The fuzzer's own checks, on planted bugs (fuzz/toyTargets.ts). Each campaign has a
// fixed seed, so the executions it takes are the same on every run.
describe("the fuzzer", () => {
  it("finds a bug behind a four-byte comparison with coverage guidance, and not without it in as many executions", async () => {
    // Seeds 1, 2, 3 find it at executions 5,156, 2,612 and 9,907; blind, each mutant would
    // need all four bytes right at once (about one in 10^10 with the dictionary).
    const guided = await runCampaign({ target: "toy-compare", seed: 2, maxExecs: 10_000, stopOnFinding: true });
    expect(guided.findings.map((f) => f.kind)).toEqual(["exception"]);
    expect(guided.findings[0]!.message).toMatch(/planted bug/);
    expect(Buffer.from(guided.findings[0]!.input.subarray(0, 4)).toString("latin1")).toBe("FUZZ");
    // One corpus entry per comparison passed, and the blocks of the four nested ifs seen.
    expect(guided.corpus).toBeGreaterThanOrEqual(4);
    const blind = await runCampaign({ target: "toy-compare", seed: 2, maxExecs: guided.execs, stopOnFinding: true, guided: false });
    expect(blind.execs).toBe(guided.execs);
    expect(blind.findings).toEqual([]);
  }, 300_000);

  it("reports an input that runs past the time limit as a hang, and goes on with a fresh executor", async () => {
    const s = await runCampaign({ target: "toy-hang", seed: 1, maxExecs: 200, timeoutMs: 1000, stopOnFinding: true, targetSeeds: false, seeds: [Uint8Array.of(0x48, 1, 2, 3), Uint8Array.of(0, 1)] });
    expect(s.findings.map((f) => [f.kind, f.input[0]])).toEqual([["hang", 0x48]]);
    expect(s.restarts).toBe(1);
  }, 60_000);

  it("reports an execution whose peak memory grows past the cap", async () => {
    const s = await runCampaign({ target: "toy-memory", seed: 1, maxExecs: 2, memoryCapBytes: 64 * 1024 * 1024, targetSeeds: false, seeds: [Uint8Array.of(0), Uint8Array.of(0x4d)] });
    expect(s.findings.map((f) => [f.kind, f.input[0], f.exec])).toEqual([["memory", 0x4d, 2]]);
  }, 60_000);

  it("leaves no executor behind when the campaign is killed with SIGKILL while the target spins", async () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), "pvh-fuzz-kill-"));
    const mark = join(dir, "spinning");
    const parent = spawn(process.execPath, ["--import", "tsx", "test/fuzz/_hangForever.ts"], { cwd: root, stdio: "ignore", env: { ...process.env, PVH_FUZZ_TOY_MARK: mark } });
    const children = (): number[] => {
      try {
        return execFileSync("pgrep", ["-P", String(parent.pid), "-f", "fuzz/executor"], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
      } catch {
        return [];
      }
    };
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      let executor: number[] = [];
      for (let i = 0; i < 600 && executor.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        executor = children();
      }
      expect(executor).toHaveLength(1);
      // Wait until it is in the endless loop (the toy target writes its pid to the mark file there).
      for (let i = 0; i < 600 && !existsSync(mark); i++) await new Promise((r) => setTimeout(r, 100));
      expect(readFileSync(mark, "utf8")).toBe(String(executor[0]));
      await new Promise((r) => setTimeout(r, 300));
      expect(alive(executor[0]!)).toBe(true);
      parent.kill("SIGKILL");
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        await new Promise((r) => setTimeout(r, 100));
        gone = !alive(executor[0]!);
      }
      if (!gone) process.kill(executor[0]!, "SIGKILL");
      expect(gone).toBe(true);
    } finally {
      parent.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
