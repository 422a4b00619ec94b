import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { liveChildren } from "../../adapters/_internals/children.js";
import { guardedCommand, spawnVmm, vmmGuard } from "../../adapters/_internals/spawnVmm.js";
import { packageRoot } from "../../src/_internals/packageRoot.js";
import { skipUnlessTool } from "../_support/requireTool.js";

const setprivSkip = skipUnlessTool("setpriv", ["--version"], "util-linux");

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), "pvh-spawntest-"));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe.skipIf(setprivSkip !== undefined)("spawnVmm: a VMM started with a parent-death signal", () => {
  it("uses setpriv --pdeathsig KILL here", () => {
    expect(vmmGuard()).toMatchObject({ pdeathsig: true });
    expect(guardedCommand("/usr/bin/qemu-system-x86_64", ["-S"])?.[1].slice(0, 3)).toEqual(["--pdeathsig", "KILL", "--"]);
  });

  it("the child's pid is the VMM's own, and the VMM gets its arguments unchanged", async () => {
    const child = spawnVmm("/bin/sh", ["-c", 'echo "$$ $#:$1"', "sh", "a b"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => child.once("exit", r));
    expect(code).toBe(0);
    expect(out.trim()).toBe(`${child.pid} 1:a b`);
    expect(liveChildren()).toBe(0);
  });

  it("does not start the VMM when its parent is no longer the suite (died before the signal was set)", () => {
    const d = scratch();
    const [cmd, args] = guardedCommand("/usr/bin/touch", [join(d, "ran")])!;
    // From node itself: it runs.
    expect(spawnSync(cmd, args).status).toBe(0);
    expect(existsSync(join(d, "ran"))).toBe(true);
    rmSync(join(d, "ran"));
    // From another parent (as after the suite died and the child was handed to init): it does not.
    const r = spawnSync("sh", ["-c", '"$@"; exit $?', "sh", cmd, ...args]);
    expect(r.status).toBe(125);
    expect(existsSync(join(d, "ran"))).toBe(false);
  });

  it("throws at once for a VMM that is not there or not executable", () => {
    expect(() => spawnVmm("/nonexistent/qemu", [], {})).toThrow(/not executable/);
    expect(() => spawnVmm("no-such-vmm-on-path", [], {})).toThrow(/not found on PATH/);
    const d = scratch();
    writeFileSync(join(d, "plain"), "#!/bin/sh\n", { mode: 0o644 });
    expect(() => spawnVmm(join(d, "plain"), [], {})).toThrow(/not executable/);
    expect(() => spawnVmm(d, [], {})).toThrow(/not executable \(not a regular file\)/);
    expect(liveChildren()).toBe(0);
  });

  it("without setpriv, starts the VMM plainly and warns once why", () => {
    const script = [
      `const m = await import(${JSON.stringify(join(packageRoot(), "adapters", "_internals", "spawnVmm.ts"))});`,
      "console.log(JSON.stringify(m.vmmGuard()));",
      'for (let i = 0; i < 2; i++) m.spawnVmm("/bin/true", [], { stdio: "ignore" }).on("exit", (code) => console.log("exit", code));',
    ].join("\n");
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: packageRoot(), encoding: "utf8", env: { ...process.env, PATH: "/nonexistent" }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.split("\n")[0]!)).toEqual({ pdeathsig: false, reason: "setpriv (util-linux) is not on PATH" });
    expect(r.stdout.match(/^exit 0$/gm)).toHaveLength(2);
    expect(r.stderr.match(/PvhConformanceWarning: setpriv \(util-linux\) is not on PATH: VMMs are started without a parent-death signal/g)).toHaveLength(1);
  }, 90_000);
});
