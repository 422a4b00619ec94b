import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { packageRoot } from "../../src/_internals/packageRoot.js";
import { AllureCliError } from "./AllureCliError.js";

export interface GenerateAllureHtmlOptions {
  /** allure-results folders, merged into one report (e.g. a run's and the vitest suites'). */
  resultsDirs: string | readonly string[];
  /** Replaced only once the new report is complete. */
  outDir: string;
  reportName?: string;
  /** Default 120 s: a 58-requirement × 9-variant run takes about 2 s on this project's 2-core machines. */
  timeoutMs?: number;
  /** One self-contained index.html instead of index.html plus data/ and widgets/. */
  singleFile?: boolean;
  /** The CLI's JavaScript entry; found in node_modules/.bin/allure when not given. */
  cli?: string;
}

export interface AllureHtmlReport {
  outDir: string;
  indexHtml: string;
  durationMs: number;
}

/** npm puts bins in the nearest node_modules/.bin: this package's own, or a parent's when it is a dependency. */
function findCli(): string | undefined {
  let dir = packageRoot();
  for (;;) {
    const bin = join(dir, "node_modules", ".bin", "allure");
    if (existsSync(bin)) return realpathSync(bin);
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * Allure 3's report pages load Google Analytics when opened. The report is meant to be
 * read offline and from CI artifacts, so that tag is taken out; nothing else depends on it.
 */
function stripAnalytics(indexHtml: string): void {
  const html = readFileSync(indexHtml, "utf8");
  const stripped = html
    .replace(/<script[^>]*src="https:\/\/www\.googletagmanager\.com\/[^"]*"[^>]*><\/script>/g, "")
    .replace(/<script>(?:(?!<\/script>)[\s\S])*?gtag\((?:(?!<\/script>)[\s\S])*?<\/script>/g, "");
  if (stripped !== html) writeFileSync(indexHtml, stripped);
}

/**
 * Runs `allure generate` (Allure 3, the npm package `allure`, pure Node) on results
 * folders. Nothing is fetched: the report's assets ship inside the package. The CLI
 * gets a config of ours in a private temporary folder, so no allurerc.* lying in the
 * working directory can add plugins (publishing to a server, say) behind our back.
 */
export async function generateAllureHtml(options: GenerateAllureHtmlOptions): Promise<AllureHtmlReport> {
  const began = Date.now();
  const cli = options.cli ?? findCli();
  if (!cli || !existsSync(cli)) {
    throw new AllureCliError("missing", `the Allure report CLI is not installed${cli ? ` (${cli} does not exist)` : ""}: npm install allure (Allure 3, from the npm registry)`);
  }
  const resultsDirs = (typeof options.resultsDirs === "string" ? [options.resultsDirs] : [...options.resultsDirs]).map((d) => resolve(d));
  if (resultsDirs.length === 0) throw new AllureCliError("input", "no allure-results folder given");
  for (const d of resultsDirs) {
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new AllureCliError("input", `allure-results folder ${d} does not exist`);
  }
  const outDir = resolve(options.outDir);
  const reportName = options.reportName ?? "PVH boot ABI conformance";
  const timeoutMs = options.timeoutMs ?? 120_000;

  const work = mkdtempSync(join(tmpdir(), "pvh-allure-"));
  // Beside the destination, so the finished report can be renamed into place.
  const staging = join(dirname(outDir), `.${basename(outDir)}.partial-${process.pid}-${Date.now()}`);
  try {
    const config = join(work, "allurerc.json");
    writeFileSync(
      config,
      JSON.stringify({
        name: reportName,
        plugins: { awesome: { options: { reportName, singleFile: options.singleFile ?? false } } },
        categories: [
          { name: "Unexpected failures", matchers: { statuses: ["failed"] } },
          { name: "Loader crashed, timed out, or harness error", matchers: { statuses: ["broken"] } },
          { name: "Expected deviations", matchers: { statuses: ["skipped"], labels: { tag: "^known-deviation$" } } },
        ],
      }),
    );
    const args = [cli, "generate", ...resultsDirs, "--config", config, "--cwd", work, "--output", staging, "--name", reportName];
    await new Promise<void>((done, fail) => {
      execFile(
        process.execPath,
        args,
        {
          cwd: work,
          timeout: timeoutMs,
          killSignal: "SIGKILL",
          maxBuffer: 16 * 1024 * 1024,
          // The agent plugin keeps state in tmpdir unless told otherwise; keep it in ours, which is removed.
          env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ALLURE_AGENT_STATE_DIR: join(work, "agent-state") },
        },
        (error, stdout, stderr) => {
          const output = `${stderr}${stdout}`.trim().slice(-4000);
          if (!error) return done();
          if (error.killed || error.signal === "SIGKILL") {
            fail(new AllureCliError("timeout", `allure generate did not finish in ${timeoutMs} ms and was killed`, output));
          } else {
            fail(new AllureCliError("failed", `allure generate failed (exit ${error.code ?? error.signal ?? "?"})`, output));
          }
        },
      );
    });
    const stagedIndex = join(staging, "index.html");
    if (!existsSync(stagedIndex)) throw new AllureCliError("failed", `allure generate exited 0 but wrote no ${stagedIndex}`);
    stripAnalytics(stagedIndex);
    rmSync(outDir, { recursive: true, force: true });
    renameSync(staging, outDir);
    return { outDir, indexHtml: join(outDir, "index.html"), durationMs: Date.now() - began };
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
  }
}
