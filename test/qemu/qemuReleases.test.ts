import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isVersion, QemuReleaseError, resolveQemuRelease, type QemuLaunch } from "../../adapters/qemu/qemuRelease.js";
import { QmpClient } from "../../adapters/qemu/QmpClient.js";
import { qemuReleasesUnderTest } from "../_support/qemuReleases.js";

const RELEASES = await qemuReleasesUnderTest();
const scratch = mkdtempSync(join(tmpdir(), "pvh-qemu-releases-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Start a QEMU paused (-S) on a machine, read guest-physical bytes through QMP
 * pmemsave, and stop it: what firmware it mapped, and what it printed on the way.
 */
async function pausedMachine(launch: QemuLaunch, env: Record<string, string>, machine: string, read: { addr: number; size: number }): Promise<{ bytes: Uint8Array; stderr: string }> {
  const dir = mkdtempSync(join(scratch, "m-"));
  const args = [...launch.args, "-machine", machine, "-accel", "tcg", "-display", "none", "-monitor", "none", "-nic", "none", "-S", "-qmp", `unix:${join(dir, "qmp.sock")},server=on,wait=off`];
  const child = spawn(launch.binary, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const gone = new Promise((r) => child.once("exit", r));
  try {
    for (let i = 0; !existsSync(join(dir, "qmp.sock")); i++) {
      if (i > 400 || child.exitCode !== null) throw new Error(`QEMU did not open its QMP socket: ${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const qmp = await QmpClient.connect(join(dir, "qmp.sock"), 20_000);
    try {
      await qmp.execute("pmemsave", { val: read.addr, size: read.size, filename: join(dir, "mem.bin") });
      return { bytes: new Uint8Array(readFileSync(join(dir, "mem.bin"))), stderr };
    } finally {
      await qmp.execute("quit", undefined, 2_000).catch(() => undefined);
      qmp.close();
    }
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await gone;
    rmSync(dir, { recursive: true, force: true });
  }
}

const same = (a: Uint8Array, file: string): boolean => Buffer.compare(Buffer.from(a), readFileSync(file)) === 0;
/** The firmware folder of a launch that holds this file (its -L folders in order), or the host's. */
const firmwareFile = (launch: QemuLaunch, name: string, fallback: string): string =>
  launch.args.filter((a) => a !== "-L").map((d) => join(d, name)).find((f) => existsSync(f)) ?? fallback;

describe.each(RELEASES)("Debian's QEMU $release: its own firmware and modules", ({ release, launch, skip }) => {
  it.skipIf(skip !== undefined)("pc maps the SeaBIOS of its own Debian release, byte for byte", async () => {
    const { bytes } = await pausedMachine(launch!, launch!.env, "pc", { addr: 0xfffc0000, size: 0x40000 });
    const own = firmwareFile(launch!, "bios-256k.bin", "/usr/share/seabios/bios-256k.bin");
    if (release === "10.0") expect(own).toMatch(/seabios@bookworm-backports\/usr\/share\/seabios\/bios-256k\.bin$/);
    else expect(own).toBe("/usr/share/seabios/bios-256k.bin");
    expect(same(bytes, own)).toBe(true);
  }, 60_000);

  it.skipIf(skip !== undefined)("microvm: 7.2 maps qboot (Debian 12's bios-microvm.bin -> qboot.rom); 10.0 maps SeaBIOS's microvm build, as Debian dropped that link in 8.0", async () => {
    if (release === "7.2") {
      const { bytes } = await pausedMachine(launch!, launch!.env, "microvm", { addr: 0xffff0000, size: 0x10000 });
      expect(same(bytes, "/usr/share/qemu/qboot.rom")).toBe(true);
    } else {
      const own = firmwareFile(launch!, "bios-microvm.bin", "");
      expect(own).toMatch(/seabios@bookworm-backports\/usr\/share\/seabios\/bios-microvm\.bin$/);
      const { bytes } = await pausedMachine(launch!, launch!.env, "microvm", { addr: 0xfffe0000, size: 0x20000 });
      expect(same(bytes, own)).toBe(true);
    }
  }, 60_000);
});

const r10 = RELEASES.find((r) => r.release === "10.0")!;
describe.skipIf(r10.skip !== undefined)("Debian's QEMU 10.0: its own modules", () => {
  it("loads only its own modules: with QEMU_MODULE_DIR it says nothing; without it, it finds the host's 7.2 modules and refuses them", async () => {
    const launch = r10.launch!;
    const quiet = await pausedMachine(launch, launch.env, "pc", { addr: 0, size: 16 });
    expect(quiet.stderr).toBe("");
    // The host's 7.2 (qemu-system-common) installs ui-opengl.so, which 10.0 tries on every start.
    if (!existsSync("/usr/lib/x86_64-linux-gnu/qemu/ui-opengl.so")) return;
    const loud = await pausedMachine(launch, {}, "pc", { addr: 0, size: 16 });
    expect(loud.stderr).toContain("Only modules from the same build can be loaded");
  }, 60_000);
});

describe("--qemu 7.2 is the host's QEMU, checked", () => {
  it("refuses a host qemu-system-x86_64 of another version, and a missing one, with a QemuReleaseError", async () => {
    const fake = join(scratch, "qemu-system-x86_64");
    writeFileSync(fake, "#!/bin/sh\necho 'QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)'\n");
    chmodSync(fake, 0o755);
    await expect(resolveQemuRelease("7.2", fake)).rejects.toThrow(QemuReleaseError);
    await expect(resolveQemuRelease("7.2", fake)).rejects.toThrow(`--qemu 7.2: ${fake} is "QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)", not QEMU 7.2`);
    await expect(resolveQemuRelease("7.2", null)).rejects.toThrow(/none on PATH/);
    writeFileSync(fake, "#!/bin/sh\necho 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)'\n");
    await expect(resolveQemuRelease("7.2", fake)).resolves.toEqual({ binary: fake, env: {}, args: [] });
  });

  it("reads the release from the version line by major.minor", () => {
    expect(isVersion("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", "7.2")).toBe(true);
    expect(isVersion("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)", "10.0")).toBe(true);
    expect(isVersion("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)", "0.2")).toBe(false);
    expect(isVersion("QEMU emulator version 7.20.1", "7.2")).toBe(false);
    expect(isVersion("QEMU emulator version 10.0", "10.0")).toBe(true);
    expect(isVersion("no version here", "7.2")).toBe(false);
  });
});
