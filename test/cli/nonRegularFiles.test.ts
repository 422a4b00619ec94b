import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleCase } from "../../generators/exampleCase.js";
import { packageRoot } from "../../src/_internals/packageRoot.js";
import { main } from "../../src/cli/main.js";
import { inCI, skipUnlessTool } from "../_support/requireTool.js";

// Every file a command reads is refused before it is opened unless it is a regular file:
// a FIFO would make open() wait for a writer forever (and Ctrl-C with it), /dev/zero
// never ends, a folder cannot be read. Exit 2 with "not a regular file", never a hang.
// Each command runs as its own process, with a deadline: a hang is a failure, not a stuck test.

const bin = join(packageRoot(), "bin", "pvh-conformance.js");
const built = existsSync(join(packageRoot(), "dist", "src", "cli", "main.js"));
if (!built && inCI) throw new Error("CI: dist/ is missing; npm ci must build it (prepare script)");

const dir = mkdtempSync(join(tmpdir(), "pvh-nonreg-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const kernel = join(dir, "good.elf");
const results = join(dir, "run", "results.json");
const expectations = join(dir, "reference.yaml");

const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
beforeAll(async () => {
  writeFileSync(kernel, exampleCase("good").kernelImage);
  expect(await main(["run", "--adapter", "reference", "--cases", "1", "--seed", "1", "--skip-examples", "--skip-allure", "-q", "--shrink", "0", "--out", join(dir, "run")], quiet)).toBe(0);
  expect(await main(["update-expectations", "--results", results, "--adapter", "reference", "--out", expectations], quiet)).toBe(0);
}, 120_000);

/** The three kinds of path, each made fresh in `where` (a FIFO must be new: nothing may have opened it). */
const kinds: Record<string, { make: (where: string) => string; said: string }> = {
  fifo: {
    make: (where) => {
      const p = join(where, "fifo");
      execFileSync("mkfifo", [p]);
      return p;
    },
    said: "a FIFO",
  },
  "/dev/zero": { make: () => "/dev/zero", said: "a character device" },
  folder: {
    make: (where) => {
      const p = join(where, "folder");
      mkdirSync(p);
      return p;
    },
    said: "a folder",
  },
};

/** Each command given the path `p` where it reads a file; `where` is a scratch folder of its own. */
const commands: Record<string, (p: string, where: string) => string[]> = {
  "check-image FILE": (p) => ["check-image", p],
  "run --kernel": (p, where) => ["run", "--adapter", "reference", "--kernel", p, "--out", join(where, "out")],
  "run --initrd": (p, where) => ["run", "--adapter", "reference", "--kernel", kernel, "--initrd", p, "--out", join(where, "out")],
  "run --expectations": (p, where) => ["run", "--adapter", "reference", "--cases", "1", "--skip-examples", "--expectations", p, "--out", join(where, "out")],
  "gate --results": (p) => ["gate", "--results", p, "--expectations", expectations],
  "gate --expectations": (p) => ["gate", "--results", results, "--expectations", p],
  "merge DIR (its results.json)": (p, where) => ["merge", "--out", join(where, "out"), p],
  "update-expectations --results": (p, where) => ["update-expectations", "--results", p, "--adapter", "reference", "--out", join(where, "e.yaml")],
  "update-expectations --merge (--out read first)": (p) => ["update-expectations", "--results", results, "--adapter", "reference", "--merge", "--out", p],
};
// The Xen adapter reads --xen PATH only once QEMU is there (else it is not available for that reason).
if (skipUnlessTool("qemu-system-x86_64", ["--version"], "apt-get install qemu-system-x86") === undefined) {
  commands["run --adapter xen --xen"] = (p, where) => ["run", "--adapter", "xen", "--xen", p, "--cases", "1", "--skip-examples", "--out", join(where, "out")];
}

describe.skipIf(!built)("files that are not regular files", () => {
  const table = Object.entries(commands).flatMap(([command, args]) => Object.entries(kinds).map(([kind, k]) => ({ command, args, kind, ...k })));
  it.each(table)("$command on $kind: exit 2, 'not a regular file ($said)', no hang", ({ command, args, make, said }) => {
    const where = mkdtempSync(join(dir, "case-"));
    let path: string;
    if (command.startsWith("merge")) {
      // merge reads DIR/results.json: that is the file of the wrong kind.
      const part = join(where, "part");
      mkdirSync(part);
      symlinkSync(make(where), join(part, "results.json"));
      path = part;
    } else path = make(where);
    const r = spawnSync("node", [bin, ...args(path, where)], { encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL" });
    expect(r.signal, `${command} hung on ${path}`).toBeNull();
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`is not a regular file (${said})`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});
