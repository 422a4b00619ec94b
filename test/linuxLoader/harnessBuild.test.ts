import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildHarness, buildKey, findCargo, HarnessBuildError, harnessSource } from "../../adapters/linux-loader/harnessBuild.js";

const saved = process.env["PVH_CARGO"];
afterEach(() => {
  if (saved === undefined) delete process.env["PVH_CARGO"];
  else process.env["PVH_CARGO"] = saved;
});

describe("the linux-loader harness's build", () => {
  it("is keyed by the crate versions and the harness's sources, not by build output", () => {
    const dir = mkdtempSync(join(tmpdir(), "pvh-llkey-"));
    try {
      cpSync(harnessSource(), dir, { recursive: true });
      const k = buildKey("librust-linux-loader-dev 0.14.0+ds-1\n", dir);
      expect(k).toMatch(/^[0-9a-f]{16}$/);
      expect(buildKey("librust-linux-loader-dev 0.14.0+ds-2\n", dir)).not.toBe(k);
      // A Cargo.lock or target/ written by cargo does not change it; a source edit does.
      writeFileSync(join(dir, "Cargo.lock"), "# lock\n");
      expect(buildKey("librust-linux-loader-dev 0.14.0+ds-1\n", dir)).toBe(k);
      writeFileSync(join(dir, "src", "main.rs"), "fn main() {}\n");
      expect(buildKey("librust-linux-loader-dev 0.14.0+ds-1\n", dir)).not.toBe(k);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says why when there is no cargo", async () => {
    process.env["PVH_CARGO"] = "/nonexistent/cargo";
    expect(findCargo()).toBeUndefined();
    await expect(buildHarness()).rejects.toThrow(HarnessBuildError);
    await expect(buildHarness()).rejects.toThrow(/cargo not found/);
  });
});
