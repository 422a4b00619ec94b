import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { xenAdapter } from "../../adapters/xen/xenAdapter.js";
import { packageRoot } from "../../src/_internals/packageRoot.js";
import { inCI, skipUnlessTool } from "../_support/requireTool.js";
import { processes, running } from "../_support/processes.js";

// A run killed by SIGKILL (a CI timeout, the OOM killer) runs no exit hook: its VMMs must
// die by themselves (parent-death signal, adapters/_internals/spawnVmm.ts), and the next
// run removes its temporary folders (adapters/_internals/staleTempDirs.ts).

const bin = join(packageRoot(), "bin", "pvh-conformance.js");
const built = existsSync(join(packageRoot(), "dist", "src", "cli", "main.js"));
if (!built && inCI) throw new Error("CI: dist/ is missing; npm ci must build it (prepare script)");
const qemuSkip = skipUnlessTool("qemu-system-x86_64", ["--version"], "apt-get install qemu-system-x86");
const setprivSkip = skipUnlessTool("setpriv", ["--version"], "util-linux");
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function killMidRun(adapter: "qemu" | "xen" | "xl", waitMs: number): Promise<void> {
  // A private temporary folder: the sweep of any other run (a parallel test's) cannot
  // remove this run's folders before the test looks at them.
  const tmp = mkdtempSync(join(tmpdir(), "pvh-killtest-"));
  onTestFinished(() => rmSync(tmp, { recursive: true, force: true }));
  const env = { ...process.env, TMPDIR: tmp };
  const out = join(tmp, "out");
  const child = spawn("node", [bin, "run", "--adapter", adapter, "--cases", "40", "--seed", "3", "-q", "--skip-allure", "--shrink", "0", "--out", out], { stdio: ["ignore", "ignore", "pipe"], env });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const gone = new Promise<NodeJS.Signals | null>((r) => child.once("exit", (_code, signal) => r(signal)));
  const prefix = `pvh-${adapter}-${child.pid}-`;
  // A VMM of this run boots from the run's folder (a `qemu --version` of the adapter's does not count).
  const vmms = (seen: Set<number>): number[] =>
    processes()
      .filter((p) => p.state !== "Z" && p.comm.startsWith("qemu-system") && (p.cmdline.includes(prefix) || seen.has(p.pid)))
      .map((p) => p.pid);
  const seen = new Set<number>();
  // Should the fix not work, the test must not leave the orphans running.
  onTestFinished(() => {
    child.kill("SIGKILL");
    for (const pid of vmms(seen)) process.kill(pid, "SIGKILL");
  });
  const t0 = Date.now();
  while (seen.size === 0 && child.exitCode === null && Date.now() - t0 < waitMs) {
    for (const pid of vmms(seen)) seen.add(pid);
    await sleep(20);
  }
  expect(seen.size, `no ${adapter} VMM started in ${waitMs / 1000} s: ${stderr}`).toBeGreaterThan(0);
  child.kill("SIGKILL");
  expect(await gone).toBe("SIGKILL");

  // Within a few seconds no VMM of the run is left.
  let left = vmms(seen);
  for (const t = Date.now(); left.length > 0 && Date.now() - t < 5_000; left = vmms(seen)) await sleep(50);
  expect(left, `VMMs left running after the run was killed: ${left.join(", ")}`).toEqual([]);
  for (const pid of seen) expect(running(pid)).toBe(false);

  // SIGKILL leaves the run's folders; the next run removes them.
  const folders = (): string[] => readdirSync(tmp).filter((f) => f.startsWith(prefix));
  expect(folders().length).toBeGreaterThan(0);
  const next = spawnSync("node", [bin, "run", "--adapter", "reference", "--cases", "1", "--skip-examples", "-q", "--skip-allure", "--shrink", "0", "--out", join(tmp, "out2")], { encoding: "utf8", env, timeout: 60_000 });
  expect(next.status, next.stderr).toBe(0);
  expect(folders()).toEqual([]);
}

describe.skipIf(!built || qemuSkip !== undefined || setprivSkip !== undefined)("a run killed by SIGKILL", () => {
  it("on QEMU leaves no QEMU process running, and the next run removes its temporary folders", async () => {
    await killMidRun("qemu", 60_000);
  }, 120_000);

  let xenUnavailable: string | undefined;
  beforeAll(async () => {
    const av = await xenAdapter.available();
    if (!av.ok) {
      if (inCI) throw new Error(`CI: ${av.reason}`);
      xenUnavailable = av.reason;
    }
  }, 900_000);

  it("on Xen leaves no QEMU running Xen, and the next run removes its temporary folders", async (ctx) => {
    if (xenUnavailable) return ctx.skip(xenUnavailable);
    await killMidRun("xen", 180_000);
  }, 300_000);

  it("on xl leaves no QEMU running the batch's dom0, and the next run removes its temporary folders", async (ctx) => {
    if (xenUnavailable) return ctx.skip(xenUnavailable);
    await killMidRun("xl", 240_000);
  }, 400_000);
});
