import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { corpusDir } from "../../src/corpus/fetchDebianPackage.js";
import { fetchDebianClosure, formatVersions, parseVersions, resolveClosure } from "../../src/corpus/fetchDebianClosure.js";
import { inCI, skipUnlessTool } from "../_support/requireTool.js";

const saved = process.env["PVH_CORPUS_DIR"];
afterEach(() => {
  if (saved === undefined) delete process.env["PVH_CORPUS_DIR"];
  else process.env["PVH_CORPUS_DIR"] = saved;
});

describe("fetchDebianClosure", () => {
  it("writes and reads .versions", () => {
    const v = new Map([["librust-b-dev", "1.0-1"], ["librust-a-dev", "0.2.3-1+b1"]]);
    expect(formatVersions(v)).toBe("librust-a-dev 0.2.3-1+b1\nlibrust-b-dev 1.0-1\n");
    expect(parseVersions(formatVersions(v))).toEqual(v);
  });

  it("uses a complete closure folder as it is, without apt", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pvh-closure-"));
    try {
      process.env["PVH_CORPUS_DIR"] = dir;
      mkdirSync(join(dir, "x@sid"));
      writeFileSync(join(dir, "x@sid", ".versions"), "librust-x-dev 1.2-3\n");
      writeFileSync(join(dir, "x@sid", ".complete"), "");
      // A root apt knows nothing of: resolving it would throw.
      const c = await fetchDebianClosure({ name: "x", roots: ["no-such-package-pvh"], suite: "sid", include: /^librust-/, merge: "usr" });
      expect(c.root).toBe(join(dir, "x@sid"));
      expect(c.versions).toEqual(new Map([["librust-x-dev", "1.2-3"]]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("resolves linux-loader's librust-*-dev closure from sid's lists", async (ctx) => {
    const why = skipUnlessTool("apt-cache", ["--version"], "apt-get install apt");
    if (why) return ctx.skip(why);
    let names: string[];
    try {
      names = await resolveClosure(["librust-linux-loader-dev", "librust-vm-memory-dev"], "sid", /^librust-.*-dev$/);
    } catch (err) {
      if (inCI) throw err;
      return ctx.skip(`sid's package lists cannot be read here: ${(err as Error).message.split("\n")[0]}`);
    }
    expect(names).toEqual(expect.arrayContaining(["librust-linux-loader-dev", "librust-vm-memory-dev", "librust-libc-dev"]));
    expect(names.every((n) => /^librust-.*-dev$/.test(n))).toBe(true);
    expect(names.length).toBeGreaterThan(50);
  }, 300_000);

  it("fetches a small closure into one cache folder per package (one apt-get download) and links their registry entries into one folder", async (ctx) => {
    const why = skipUnlessTool("apt-get", ["--version"], "apt-get install apt");
    if (why) return ctx.skip(why);
    // The suite's apt state (sid's lists) is shared with the real cache; the packages land in a fresh one.
    const apt = join(corpusDir(), ".apt");
    const dir = mkdtempSync(join(tmpdir(), "pvh-closure-"));
    try {
      if (existsSync(apt)) symlinkSync(apt, join(dir, ".apt"));
      process.env["PVH_CORPUS_DIR"] = dir;
      let c;
      try {
        c = await fetchDebianClosure({ name: "quote", roots: ["librust-quote-dev"], suite: "sid", include: /^librust-.*-dev$/, merge: "usr/share/cargo/registry" });
      } catch (err) {
        if (inCI) throw err;
        return ctx.skip(`Debian sid cannot be reached from here: ${(err as Error).message.split("\n")[0]}`);
      }
      expect([...c.versions.keys()]).toEqual(["librust-proc-macro2-dev", "librust-quote-dev", "librust-unicode-ident-dev"]);
      for (const v of c.versions.values()) expect(v).toMatch(/^\d/);
      // One cache folder per package, as fetchDebianPackage keeps them.
      for (const p of c.versions.keys()) expect(existsSync(join(dir, `${p}@sid`, ".complete")), p).toBe(true);
      const entries = readdirSync(join(c.root, "usr/share/cargo/registry")).sort();
      expect(entries.map((e) => e.replace(/-\d.*$/, ""))).toEqual(["proc-macro2", "quote", "unicode-ident"]);
      for (const e of entries) expect(existsSync(join(c.root, "usr/share/cargo/registry", e, "Cargo.toml")), e).toBe(true);
      expect(readdirSync(dir).filter((f) => f.startsWith("quote@sid."))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
