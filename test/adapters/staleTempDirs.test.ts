import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { OWNER, stampOwner, sweepStaleTempDirs } from "../../adapters/_internals/staleTempDirs.js";

function root(): string {
  const r = mkdtempSync(join(tmpdir(), "pvh-sweeptest-"));
  onTestFinished(() => rmSync(r, { recursive: true, force: true }));
  return r;
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

function folder(r: string, name: string, stamp?: (dir: string) => void): string {
  const d = join(r, name);
  mkdirSync(d);
  writeFileSync(join(d, "kernel.elf"), "x");
  stamp?.(d);
  return d;
}

describe("sweepStaleTempDirs: the temporary folders of runs that are gone", () => {
  it("removes a stamped folder whose process is gone, keeps one whose process lives", () => {
    const r = root();
    const dead = deadPid();
    const stale = folder(r, `pvh-qemu-${dead}-AbC123`, (d) => writeFileSync(join(d, OWNER), JSON.stringify({ pid: dead, start: "1", boot: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() })));
    const mine = folder(r, `pvh-xen-${process.pid}-XyZ789`, stampOwner);
    expect(sweepStaleTempDirs(r)).toEqual([stale]);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(mine)).toBe(true);
  });

  it("tells a reused pid from the run that made the folder: another start time, or another boot, is gone", () => {
    const r = root();
    const stamped = (d: string): void => stampOwner(d);
    const reused = folder(r, `pvh-qemu-${process.pid}-Reuse1`, (d) => {
      stamped(d);
      const o = JSON.parse(readFileSync(join(d, OWNER), "utf8")) as { start: string };
      writeFileSync(join(d, OWNER), JSON.stringify({ ...o, start: String(Number(o.start) - 1) }));
    });
    const rebooted = folder(r, `pvh-qemu-${process.pid}-Reboot`, (d) => {
      stamped(d);
      const o = JSON.parse(readFileSync(join(d, OWNER), "utf8")) as { boot: string };
      writeFileSync(join(d, OWNER), JSON.stringify({ ...o, boot: "another-boot" }));
    });
    const mine = folder(r, `pvh-qemu-${process.pid}-Mine01`, stamped);
    expect(sweepStaleTempDirs(r).sort()).toEqual([rebooted, reused].sort());
    expect(existsSync(mine)).toBe(true);
  });

  it("without OWNER: removes a QEMU or Xen folder of a dead pid, keeps other names and other kinds", () => {
    const r = root();
    const dead = deadPid();
    const legacyQemu = folder(r, `pvh-qemu-${dead}-Legac1`);
    const legacyXen = folder(r, `pvh-xen-${dead}-Legac2`);
    const liveUnstamped = folder(r, `pvh-qemu-${process.pid}-Live01`);
    // Not the adapters' names: an unstamped folder of another kind is never ours to judge.
    const other = folder(r, `pvh-allure-${dead}-Other1`);
    const unrelated = folder(r, `pvh-sig-${dead}`);
    const notAFolder = join(r, `pvh-qemu-${dead}-AFile1`);
    writeFileSync(notAFolder, "");
    expect(sweepStaleTempDirs(r).sort()).toEqual([legacyQemu, legacyXen].sort());
    for (const kept of [liveUnstamped, other, unrelated, notAFolder]) expect(existsSync(kept)).toBe(true);
  });

  it("without OWNER: a live process that started after the folder was made is not its maker", async () => {
    const r = root();
    const made = folder(r, "placeholder");
    // The slack is 2 s: the process must start clearly after the folder.
    await new Promise((res) => setTimeout(res, 3_000));
    const later = spawn("sleep", ["30"], { stdio: "ignore" });
    onTestFinished(() => void later.kill("SIGKILL"));
    const before = spawn("sleep", ["30"], { stdio: "ignore" });
    onTestFinished(() => void before.kill("SIGKILL"));
    await Promise.all([later, before].map((p) => new Promise((res) => p.once("spawn", res))));
    const reused = join(r, `pvh-qemu-${later.pid}-Reuse2`);
    renameSync(made, reused); // keeps the folder's birth time
    // A process with a folder made after it started: kept.
    const ownFolder = folder(r, `pvh-qemu-${before.pid}-Owner1`);
    expect(sweepStaleTempDirs(r)).toEqual([reused]);
    expect(existsSync(ownFolder)).toBe(true);
  });
});
