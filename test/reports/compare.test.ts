import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCompare } from "../../reports/compare/writeCompare.js";
import { compareResults } from "../../src/compare/compareResults.js";
import type { Results } from "../../src/results/Results.js";
import { writeResults } from "../../src/results/writeResults.js";
import { skipUnlessTool } from "../_support/requireTool.js";
import { mutantAdapter, realRun } from "../compare/_support/runs.js";
import { buildResults } from "./_support/buildResults.js";
import { HOSTILE } from "./_support/sampleResults.js";

const CHROMIUM = "/usr/bin/chromium";
// As in matrix.test.ts: without these Chromium reaches for Google at start.
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const dir = mkdtempSync(join(tmpdir(), "pvh-compare-page-"));
const shots = process.env["PVH_SCREENSHOT_DIR"] || dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let ciMissing: Error | undefined;
let skip: string | undefined;
try {
  skip = skipUnlessTool(CHROMIUM, ["--version"], "apt-get install chromium");
} catch (err) {
  ciMissing = err as Error;
}
if (ciMissing) it("Chromium is installed for the compare page test", () => expect.fail(ciMissing!.message));

describe.skipIf(skip !== undefined || ciMissing !== undefined)("compare page in headless Chromium", () => {
  let context: BrowserContext;
  let page: Page;
  let pairUrl: string;
  let campaignUrl: string;
  let head: Results;
  let reproCase: string;
  const requests: string[] = [];
  const dialogs: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    // A real pair: the reference loader with TR broken (base), then with CR0.WP set instead (head).
    const base = await realRun({ adapter: mutantAdapter("tr-limit"), cases: 12, seed: 5 });
    head = await realRun({ adapter: mutantAdapter("cr0-wp"), cases: 12, seed: 5 });
    writeResults(join(dir, "base", "results.json"), base);
    writeResults(join(dir, "head", "results.json"), head);
    reproCase = head.records.find((r) => r.requirement === "pvh.cpu.cr0" && r.status === "FAIL")!.caseId;
    mkdirSync(join(dir, "head", "repro", reproCase), { recursive: true });
    writeFileSync(join(dir, "head", "repro", reproCase, "run.sh"), "#!/bin/sh\n");
    const pair = compareResults([
      { results: base, file: join(dir, "base", "results.json"), label: "tr-limit" },
      { results: head, file: join(dir, "head", "results.json"), label: "cr0-wp" },
    ]);
    writeCompare(join(dir, "pair"), pair);
    pairUrl = pathToFileURL(join(dir, "pair", "compare.html")).href;

    // A campaign of three releases, one of them reporting in hostile text.
    const release = (version: string, tr: "PASS" | "FAIL", message = "TR is limit 0xffff"): Results => {
      const r = buildResults({
        requirements: ["pvh.cpu.tr", "pvh.cpu.cr0", "pvh.start-info.magic"],
        columns: [{ adapter: "qemu", variant: "pc-tcg" }, { adapter: "qemu", variant: "q35-tcg" }],
        cases: 4,
        record: (req, _c, i) => (req === "pvh.cpu.tr" && tr === "FAIL" ? { status: "FAIL", code: "tr-not-tss", message, evidence: { expected: "limit 0x67", seen: message, address: 0x21e0 + i } } : undefined),
      });
      r.run.adapters[0]!.version = `QEMU emulator version ${version}`;
      return r;
    };
    const campaign = compareResults([
      { results: release("7.2.22", "FAIL"), file: join(dir, "a", "results.json") },
      { results: release("8.2.0", "FAIL", HOSTILE), file: join(dir, "b", "results.json") },
      { results: release("10.0.2", "PASS"), file: join(dir, "c", "results.json") },
    ]);
    writeCompare(join(dir, "campaign"), campaign);
    campaignUrl = pathToFileURL(join(dir, "campaign", "compare.html")).href;

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
    await page.goto(pairUrl);
  }, 120_000);
  afterAll(async () => {
    await context?.close();
  });

  const cell = (req: string, col: number) => page.locator(`tr:has(th.req .rid:text-is("${req}")) td:nth-of-type(${col + 1}) button.cell`);
  const detail = () => page.locator("#detail");
  const row = (req: string) => page.locator(`tr:has(th.req .rid:text-is("${req}"))`);
  const failing = (req: string) => head.records.filter((r) => r.requirement === req && r.status === "FAIL").length;

  it("base and head as columns of each variant; each cell its counts and what changed", async () => {
    expect(await page.locator("thead tr.variants th:not(.corner)").allTextContents()).toEqual(["reference/v1"]);
    expect(await page.locator("thead tr.releases th.col > span:first-child").allTextContents()).toEqual(["tr-limit", "cr0-wp"]);
    expect(await page.locator("thead tr.releases th.col").nth(1).locator(".sub").first().textContent()).toBe("0.1.0+mutant-cr0-wp");
    const cells = async (req: string) => row(req).locator("button.cell").evaluateAll((bs) => bs.map((b) => `${b.className.replace("cell ", "")}|${b.querySelector(".lbl")!.textContent}|${b.querySelector(".chg")?.textContent ?? ""}`));
    const total = head.records.filter((r) => r.requirement === "pvh.cpu.cr0").length;
    const cr0 = failing("pvh.cpu.cr0");
    expect(await cells("pvh.cpu.cr0")).toEqual([expect.stringMatching(/^k-pass\|PASS \d+\/\d+\|$/), `k-fail ch-regressed|FAIL ${cr0}/${total}|regressed`]);
    expect(await cells("pvh.cpu.tr")).toEqual([expect.stringMatching(/^k-fail\|FAIL \d+\/\d+\|$/), expect.stringMatching(/^k-pass ch-fixed\|PASS \d+\/\d+\|fixed$/)]);
    expect(await cells("pvh.cpu.eflags")).toEqual([expect.stringMatching(/^k-pass\|PASS/), expect.stringMatching(/^k-pass\|PASS .*\|$/)]);
    expect(await cell("pvh.cpu.cr0", 1).getAttribute("aria-label")).toBe(`pvh.cpu.cr0 on reference/v1 in cr0-wp: FAIL ${cr0}/${total}; regressed${total > cr0 ? `; ${total - cr0} n/a` : ""}`);
    expect(await page.locator("#verdict").textContent()).toBe("1 regression; 1 fixed, 0 still failing (requirement × variant)");
    expect(await page.locator("#inputs tbody tr").allInnerTexts()).toEqual([expect.stringMatching(/^base\ttr-limit\t.*base\/results\.json\t5\t12\t0\.1\.0, /), expect.stringMatching(/^head\tcr0-wp\t.*head\/results\.json\t5\t12\t/)]);
  });

  it("a regressed cell lists its cases with evidence, the replay command and the reproducer", async () => {
    await cell("pvh.cpu.cr0", 1).click();
    await expect.poll(() => detail().isVisible()).toBe(true);
    expect(await detail().locator("p.step").textContent()).toMatch(/^regressed since tr-limit, on the \d+ cases both ran: \d+ regressed, 0 fixed, 0 still failing, 0 unchecked$/);
    const recs = detail().locator("article.rec");
    expect(await recs.count()).toBe(failing("pvh.cpu.cr0"));
    expect(await recs.nth(0).locator(".st").textContent()).toBe("FAIL (regressed: PASS in tr-limit)");
    expect(await recs.nth(0).locator("code.replay").textContent()).toMatch(/^pvh-conformance run --adapter reference --variant v1 --seed 5 --case (\d+|example:[\w-]+)$/);
    expect(await recs.nth(0).innerText()).toMatch(/seen\s+.*0x/i);
    const withRepro = detail().locator(`article.rec[data-case="${reproCase}"] a.repro`);
    expect(await withRepro.getAttribute("href")).toBe(`../head/repro/${reproCase}/run.sh`);
    expect(await detail().locator("a.repro").count()).toBe(1);
    await page.screenshot({ path: join(shots, "compare-detail.png") });
  });

  it("a fixed cell lists the fixed cases and what was wrong before", async () => {
    await cell("pvh.cpu.tr", 1).click();
    const recs = detail().locator("article.rec");
    expect(await recs.count()).toBeGreaterThan(5);
    expect(new Set(await recs.locator(".st").allTextContents())).toEqual(new Set(["PASS (fixed: FAIL in tr-limit)"]));
    expect(await detail().innerText()).toMatch(/in tr-limit:\s*FAIL tr-not-tss ×\d+: TR is limit 0x68/);
    await page.keyboard.press("Escape");
    expect(await detail().isHidden()).toBe(true);
  });

  it("the rows filter keeps the rows that changed; the list of changes opens their cells", async () => {
    await page.locator("#show").selectOption("2");
    const visible = await page.locator("#matrix tbody tr:not(.area):visible .rid").allTextContents();
    expect(visible.sort()).toEqual(["pvh.cpu.cr0", "pvh.cpu.tr"]);
    await page.locator("#show").selectOption("0");
    expect(await page.locator("#changes h3").allTextContents()).toEqual([expect.stringMatching(/^tr-limit → cr0-wp: 1 regressed, 1 fixed, 0 still failing, 0 unchecked, \d+ good, 0 new, 0 gone$/)]);
    const reg = page.locator("#changes ul.changes-regressed li");
    expect(await reg.count()).toBe(1);
    expect(await reg.textContent()).toMatch(/^reference\/v1 pvh\.cpu\.cr0: PASS \d+\/\d+ → FAIL \d+\/\d+ — FAIL cr0-/);
    await reg.locator("button.go").click();
    expect(await detail().locator("h2 .rid").textContent()).toBe("pvh.cpu.cr0");
    expect(await cell("pvh.cpu.cr0", 1).getAttribute("class")).toContain("sel");
    await page.keyboard.press("Escape");
    await page.screenshot({ path: join(shots, "compare.png"), fullPage: true });
  });

  it("a campaign: a column per release in each variant, changes marked step by step; hostile text stays text", async () => {
    await page.goto(campaignUrl);
    expect(await page.locator("thead tr.variants th:not(.corner)").allTextContents()).toEqual(["qemu/pc-tcg", "qemu/q35-tcg"]);
    expect(await page.locator("thead tr.releases th.col > span:first-child").allTextContents()).toEqual(["qemu 7.2.22", "qemu 8.2.0", "qemu 10.0.2", "qemu 7.2.22", "qemu 8.2.0", "qemu 10.0.2"]);
    const tr = await row("pvh.cpu.tr").locator("button.cell").evaluateAll((bs) => bs.map((b) => `${b.querySelector(".lbl")!.textContent}|${b.querySelector(".chg")?.textContent ?? ""}`));
    expect(tr).toEqual(["FAIL 4/4|", "FAIL 4/4|still failing", "PASS 4/4|fixed", "FAIL 4/4|", "FAIL 4/4|still failing", "PASS 4/4|fixed"]);
    expect(await page.locator("#verdict").textContent()).toBe("no regression; 2 fixed, 2 still failing (requirement × variant)");
    await cell("pvh.cpu.tr", 1).click();
    const first = detail().locator("article.rec").nth(0);
    expect(await first.locator(".msg").textContent()).toBe(HOSTILE);
    expect(await first.locator(".st").textContent()).toBe("FAIL (still failing: FAIL in qemu 7.2.22)");
    expect(await detail().locator("script, img, b").count()).toBe(0);
    expect(await page.locator("#changes script, #changes img").count()).toBe(0);
    expect(await page.locator("script").count()).toBe(2);
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: join(shots, "compare-campaign.png"), fullPage: true });
  });

  it("made no network request and logged no error", () => {
    const others = requests.filter((u) => !u.startsWith("file://") && !u.startsWith("data:"));
    expect(others).toEqual([]);
    expect(requests.filter((u) => u.startsWith("file://")).every((u) => u === pairUrl || u === campaignUrl)).toBe(true);
    expect(problems).toEqual([]);
  });
});
