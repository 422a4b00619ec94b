import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withFileLock } from "../../src/_internals/fileLock.js";

const dir = mkdtempSync(join(tmpdir(), "pvh-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("withFileLock", () => {
  it("lets one holder in at a time, and removes the lock after", async () => {
    const lock = join(dir, "a.lock");
    const events: string[] = [];
    const hold = (name: string) =>
      withFileLock(lock, async () => {
        events.push(`${name} in`);
        await sleep(60);
        events.push(`${name} out`);
        return name;
      }, 10);
    expect(await Promise.all([hold("x"), hold("y"), hold("z")])).toEqual(["x", "y", "z"]);
    for (let i = 0; i < events.length; i += 2) expect(events[i + 1]).toBe(events[i]!.replace(" in", " out"));
    expect(existsSync(lock)).toBe(false);
  });

  it("releases the lock when the holder throws", async () => {
    const lock = join(dir, "b.lock");
    await expect(withFileLock(lock, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over a lock whose owner is gone, but waits for a live one", async () => {
    const lock = join(dir, "c.lock");
    mkdirSync(lock);
    writeFileSync(join(lock, "pid"), "999999999");
    expect(await withFileLock(lock, async () => "taken", 10)).toBe("taken");
    mkdirSync(lock);
    writeFileSync(join(lock, "pid"), String(process.pid));
    const waiting = withFileLock(lock, async () => "after", 10);
    await sleep(100);
    expect(existsSync(lock)).toBe(true);
    rmSync(lock, { recursive: true });
    expect(await waiting).toBe("after");
  });
});
