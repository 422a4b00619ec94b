import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matrixModel } from "../../reports/matrix/matrixModel.js";
import { matrixHtml, writeMatrix } from "../../reports/matrix/writeMatrix.js";
import { skipUnlessTool } from "../_support/requireTool.js";
import { buildResults } from "./_support/buildResults.js";
import { HOSTILE, sampleResults } from "./_support/sampleResults.js";

const CHROMIUM = "/usr/bin/chromium";
// Without the background-networking flags Chromium tries to reach Google at start,
// which would both fail here and pollute the "no network request" check.
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const dir = mkdtempSync(join(tmpdir(), "pvh-matrix-"));
const shots = process.env["PVH_SCREENSHOT_DIR"] || dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let ciMissing: Error | undefined;
let skip: string | undefined;
try {
  skip = skipUnlessTool(CHROMIUM, ["--version"], "apt-get install chromium");
} catch (err) {
  ciMissing = err as Error;
}

/** Attach to the Allure report when allure-vitest is running this test; otherwise only the file is kept. */
async function attachPng(name: string, png: Buffer): Promise<void> {
  if (!(globalThis as Record<string, unknown>)["allureTestRuntime"]) return;
  const allure = "allure-js-commons";
  const mod = (await import(allure).catch(() => undefined)) as { attachment?: (n: string, c: Buffer, t: string) => PromiseLike<void> } | undefined;
  await mod?.attachment?.(name, png, "image/png");
}

describe("matrixModel (no browser)", () => {
  it("a 70,000-record run embeds aggregates and capped bad records, not every PASS", () => {
    const reqs = ["pvh.cpu.tr", "pvh.cpu.cr0", "pvh.cpu.cr4", "pvh.start-info.magic", "pvh.interop.boot-data-reserved", "pvh.load.zero-fill", "pvh.note.in-pt-note"];
    const big = buildResults({
      requirements: [...reqs, "pvh.memmap.table", "pvh.memmap.types", "pvh.cmdline.terminated"],
      columns: [{ adapter: "qemu", variant: "pc-tcg" }, { adapter: "qemu", variant: "q35-tcg" }, { adapter: "qemu", variant: "microvm-tcg" }],
      cases: 2334,
      expectations: true,
      record: (req, _c, i) => (req === "pvh.cpu.tr" || i % 9 === 0 ? { status: "FAIL", expected: i % 2 ? "FAIL" : "PASS", code: "f", message: `case ${i} is bad`, evidence: { expected: "x", seen: `y${i}` } } : undefined),
    });
    expect(big.records.length).toBeGreaterThan(70_000);
    const html = matrixHtml(big);
    expect(html.length).toBeLessThan(4_000_000);
    const m = matrixModel(big);
    const tr = m.cells[m.rows.findIndex((r) => r.id === "pvh.cpu.tr") * m.columns.length]!;
    expect(tr.label).toBe("FAIL 1167/2334");
    expect(tr.rest).toBe("1167 expected FAIL");
    expect(tr.records).toHaveLength(200);
    expect(tr.records.every((r) => r[2] === "u")).toBe(true);
    expect(tr.more).toBe(2334 - 200);
  });
});

if (ciMissing) it("Chromium is installed for the matrix page test", () => expect.fail(ciMissing!.message));

describe.skipIf(skip !== undefined || ciMissing !== undefined)("matrix page in headless Chromium", () => {
  let context: BrowserContext;
  let page: Page;
  let url: string;
  const requests: string[] = [];
  const dialogs: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    const { chromium } = await import("playwright-core");
    const profile = join(dir, "profile");
    mkdirSync(profile);
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1500, height: 1000 } });
    context.on("request", (r) => requests.push(r.url()));
    page = context.pages()[0] ?? (await context.newPage());
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    const file = join(dir, "out", "matrix.html");
    writeMatrix(file, sampleResults());
    url = pathToFileURL(file).href;
    await page.goto(url);
  });
  afterAll(async () => {
    await context?.close();
  });

  const cell = (req: string, col: number) => page.locator(`tr:has(th.req .rid:text-is("${req}")) td:nth-of-type(${col + 1}) button.cell`);
  const detail = () => page.locator("#detail");

  it("draws every cell with its label, counts and kind, grouped by area", async () => {
    const table = await page.$$eval("#matrix tbody tr:not(.area)", (trs) =>
      Object.fromEntries(
        trs.map((tr) => [
          tr.querySelector(".rid")!.textContent,
          [...tr.querySelectorAll("button.cell")].map((b) => `${b.className.replace("cell ", "")}|${b.querySelector(".lbl")!.textContent}|${b.querySelector(".rest")?.textContent ?? ""}`),
        ]),
      ),
    );
    const na = "k-na|SKIP (n/a) 10/10|";
    expect(table).toEqual({
      "pvh.note.in-pt-note": ["k-pass|PASS 10/10|", "k-crash|CRASH 1/10|1 TIMEOUT · 8 PASS", "k-skip|SKIP 2/10|8 PASS", na],
      "pvh.load.zero-fill": [na, na, na, na],
      "pvh.start-info.magic": ["k-fail|FAIL 2/10|8 PASS", "k-crash|CRASH 1/10|1 TIMEOUT · 8 PASS", "k-pass|PASS 10/10|", na],
      "pvh.cpu.tr": ["k-xbad|expected FAIL 10/10|", "k-crash|CRASH 1/10|1 TIMEOUT · 8 PASS", "k-error|ERROR 1/10|9 PASS", na],
      "pvh.interop.boot-data-reserved": ["k-upass|unexpected PASS 3/10|7 expected FAIL", "k-crash|CRASH 1/10|1 TIMEOUT · 8 PASS", "k-pass|PASS 10/10|", na],
    });
    expect(await page.locator("tr.area th").allTextContents()).toEqual(["pvh.note", "pvh.load", "pvh.start-info", "pvh.cpu", "pvh.interop"]);
    expect(await page.locator("thead th.col > span:first-child").allTextContents()).toEqual(["qemu / pc-tcg", "qemu / microvm-tcg", "reference / v1", "reference / v0"]);
    // The label is text, not only colour, and reaches assistive technology.
    expect(await cell("pvh.cpu.tr", 0).getAttribute("aria-label")).toBe("pvh.cpu.tr on qemu/pc-tcg: expected FAIL 10/10");
    // Levels are told apart.
    expect(await page.locator('tr:has(.rid:text-is("pvh.interop.boot-data-reserved")) .badge').textContent()).toBe("interop");
    expect(await page.locator('tr:has(.rid:text-is("pvh.note.in-pt-note")) .badge').textContent()).toBe("should");
  });

  it("shows the run and its totals in the header", async () => {
    const run = await page.locator("#run").innerText();
    expect(run).toContain("pvh-conformance 0.1.0");
    expect(run).toMatch(/seed\s+7/);
    expect(run).toContain("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3) (/usr/bin/qemu-system-x86_64): pc-tcg, microvm-tcg");
    expect(run).toContain("testhost (linux-x64, 2 CPUs, Node v20.20.2)");
    expect(run).toContain("2026-11-21T10:02:05.500Z (125.5 s)");
    expect(run).toContain("10 per variant, 40 in all");
    // 2 FAIL + 8 CRASH/TIMEOUT + 1 ERROR unexpected, 3 unexpected PASS, 17 expected
    expect(await page.locator("#verdict").textContent()).toBe("14 unexpected results (11 FAIL/ERROR/CRASH/TIMEOUT, 3 unexpected PASS); 17 expected deviations");
    expect(await page.locator("ul.legend li").count()).toBe(10);
  });

  it("clicking a FAIL cell lists the failing cases with evidence and reproducers; hostile text stays text", async () => {
    await cell("pvh.start-info.magic", 0).click();
    await expect.poll(() => detail().isVisible()).toBe(true);
    const recs = detail().locator("article.rec");
    expect(await recs.count()).toBe(2);
    const first = recs.nth(0);
    expect(await first.locator(".case-id").textContent()).toBe("c00001b5a");
    expect(await first.locator(".st").textContent()).toBe("FAIL (unexpected)");
    expect(await first.locator("code.replay").textContent()).toBe("pvh-conformance run --adapter qemu --variant pc-tcg --seed 7 --case 2");
    expect(await first.locator("code.vmm").textContent()).toBe("/usr/bin/qemu-system-x86_64 -machine pc -kernel '/tmp/k 2.elf' -append 'console=ttyS0 '\\''x'\\'''");
    expect(await first.locator("a.repro").getAttribute("href")).toBe("repro/c00001b5a/run.sh");
    const text = await first.innerText();
    expect(text).toContain("<script>alert(1)</script><img src=x onerror=alert(2)>");
    expect(text).toMatch(/address\s+0x1000/);
    expect(await first.locator(".msg").textContent()).toBe(HOSTILE);
    expect(await detail().locator("script, img, b").count()).toBe(0);
    expect(await page.locator("script").count()).toBe(2);
    expect(dialogs).toEqual([]);
    const png = await page.screenshot({ path: join(shots, "matrix-detail.png") });
    await attachPng("matrix with the detail panel", png);
  });

  it("expected deviations, unexpected passes and crashes read apart in the panel", async () => {
    await cell("pvh.interop.boot-data-reserved", 0).click();
    const recs = detail().locator("article.rec");
    expect(await recs.count()).toBe(10);
    expect(await recs.nth(0).locator(".st").textContent()).toBe("PASS (unexpected: the expectations demand FAIL)");
    expect(await recs.nth(0).locator("a.repro").count()).toBe(0);
    expect(await recs.nth(3).locator(".st").textContent()).toBe("FAIL (expected deviation)");
    expect(await recs.nth(3).locator("a.repro").count()).toBe(1);

    await cell("pvh.cpu.tr", 1).click();
    expect(await recs.locator(".st").allTextContents()).toEqual(["CRASH (unexpected)", "TIMEOUT (unexpected)"]);
    expect(await recs.nth(0).innerText()).toContain("ELF64, 2 PT_LOAD, case 4 [crashed]");
    expect(await recs.locator("a.repro").count()).toBe(2);

    await cell("pvh.load.zero-fill", 2).click();
    expect(await detail().innerText()).toContain("No failing records in this cell.");
    await page.keyboard.press("Escape");
    expect(await detail().isHidden()).toBe(true);
  });

  it("lists where each variant differed from the reference loader, unexplained divergences apart; hostile text stays text", async () => {
    const section = page.locator("#differential");
    expect(await section.locator("h3").allTextContents()).toEqual(["qemu/pc-tcg: 10 of 10 cases differ", "qemu/microvm-tcg: 0 of 8 cases differ"]);
    const pc = section.locator('[data-variant="qemu/pc-tcg"]');
    expect(await pc.locator("table.diffs tbody tr").allInnerTexts()).toEqual(["tr\tpvh.cpu.tr\t10", "cmdline\tpvh.cmdline.content\t1"]);
    expect(await pc.locator("p.unexplained").textContent()).toMatch(/^1 divergence no failing check explains/);
    expect(await pc.locator("ul.unexplained li").textContent()).toContain(`qemu ${HOSTILE.replace(/[\x00-\x08\x0B\x0C\x0E-\x1F]/g, "")}`.slice(0, 40));
    expect(await pc.locator("ul.unexplained script, ul.unexplained img").count()).toBe(0);
    expect(await section.locator('[data-variant="qemu/microvm-tcg"] table').count()).toBe(0);
    expect(await section.locator('[data-variant^="reference/"]').count()).toBe(0);
  });

  it("filters by level and by what a row holds", async () => {
    const interop = page.locator('tr:has(.rid:text-is("pvh.interop.boot-data-reserved"))');
    await page.locator('#levels input[value="interop"]').uncheck();
    expect(await interop.isHidden()).toBe(true);
    expect(await page.locator('tr.area th:text-is("pvh.interop")').isHidden()).toBe(true);
    await page.locator('#levels input[value="interop"]').check();
    expect(await interop.isVisible()).toBe(true);
    await page.locator("#show").selectOption("2");
    expect(await page.locator('tr:has(.rid:text-is("pvh.load.zero-fill"))').isHidden()).toBe(true);
    expect(await page.locator('tr:has(.rid:text-is("pvh.cpu.tr"))').isVisible()).toBe(true);
    await page.locator("#show").selectOption("0");
    const png = await page.screenshot({ path: join(shots, "matrix.png"), fullPage: true });
    await attachPng("matrix", png);
  });

  it("a 70,000-record page opens and draws in the browser", async () => {
    const big = buildResults({
      requirements: ["pvh.cpu.tr", "pvh.cpu.cr0", "pvh.start-info.magic", "pvh.interop.boot-data-reserved", "pvh.load.zero-fill", "pvh.note.in-pt-note", "pvh.memmap.table", "pvh.memmap.types"],
      columns: [{ adapter: "qemu", variant: "pc-tcg" }, { adapter: "qemu", variant: "q35-tcg" }, { adapter: "qemu", variant: "microvm-tcg" }],
      cases: 2917,
      record: (req, _c, i) => (req === "pvh.cpu.tr" || i % 5 === 0 ? { status: "CRASH", code: "crashed", message: "QEMU exited" } : undefined),
    });
    const file = join(dir, "big", "matrix.html");
    writeMatrix(file, big);
    const tab = await context.newPage();
    await tab.goto(pathToFileURL(file).href);
    expect(await tab.locator("button.cell").count()).toBe(8 * 3);
    await tab.locator("button.cell").first().click();
    expect(await tab.locator("#detail article.rec").count()).toBe(200);
    expect(await tab.locator("#detail .more").textContent()).toBe("2717 more records in results.json (the page embeds the first 200 of a cell).");
    await tab.close();
  });

  it("made no network request and logged no error", () => {
    const others = requests.filter((u) => !u.startsWith("file://") && !u.startsWith("data:"));
    expect(others).toEqual([]);
    expect(requests.filter((u) => u.startsWith("file://")).every((u) => u === url || u.endsWith("/big/matrix.html"))).toBe(true);
    expect(problems).toEqual([]);
  });
});
