import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Status } from "../../src/model/Verdict.js";
import { Results, type CaseRecord, type ResultRecord } from "../../src/results/Results.js";
import { loadSpec } from "../../src/spec/loadSpec.js";
import type { AllureAttachment, AllureResult, AllureStatus, AllureStep } from "./AllureResult.js";
import { requirementMetadata } from "./requirementMetadata.js";

/**
 * results.json as Allure results: one Allure test per (requirement, adapter, variant),
 * its verdicts aggregated over the run's cases. A test per record would be one per
 * case too (70,000 for a 400-case QEMU run) and bury the few that matter; the cases
 * that failed are inside each test instead, as steps and attachments.
 *
 * Status of a test, worst first:
 *   failed   some case FAILed and no expectation allowed it
 *   broken   some case ERRORed, CRASHed or TIMEd OUT and no expectation allowed it
 *   skipped  "expected deviation: ..." with statusDetails.known and the tag known-deviation:
 *            every bad verdict is one the expectations file allows. The gate decides CI;
 *            Allure has to show these apart from both real failures and clean passes.
 *   passed   some case PASSed (the rest SKIPped)
 *   skipped  every case SKIPped (not applicable, or the loader lacks the capability)
 */
export interface WriteAllureResultsOptions {
  /** Cases kept per test as steps and in the attachments; the trace still counts them all. Default 25. */
  maxCasesPerTest?: number;
  /**
   * Remove allure-results files (results, containers, attachments, environment.properties,
   * executor.json, categories.json) already in the folder first, so the report shows this
   * run only. Other files are left alone. Default true; false merges into an existing folder.
   */
  clean?: boolean;
}

export interface AllureResultsWritten {
  dir: string;
  tests: number;
  byStatus: Record<AllureStatus, number>;
  knownDeviations: number;
  attachments: number;
}

const BAD: ReadonlySet<Status> = new Set<Status>(["FAIL", "ERROR", "CRASH", "TIMEOUT"]);
const ALLURE_FILE = /(-result\.json|-container\.json|-attachment(\.[A-Za-z0-9]+)?)$|^(environment\.properties|executor\.json|categories\.json)$/;

type Kind = "pass" | "skip" | "fail" | "broken" | "known";

function kindOf(r: ResultRecord): Kind {
  if (!BAD.has(r.status)) return r.status === "PASS" ? "pass" : "skip";
  if (r.expected === r.status) return "known";
  return r.status === "FAIL" ? "fail" : "broken";
}

const stepStatus: Record<Kind, AllureStatus> = { pass: "passed", skip: "skipped", fail: "failed", broken: "broken", known: "skipped" };

/** Stable ids, so writing the same results.json twice gives the same files. */
function digest(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}
function uuidOf(...parts: string[]): string {
  const h = digest(...parts);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
const md5 = (s: string): string => createHash("md5").update(s).digest("hex");

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\-+=/.,:@%]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function replayCommand(adapter: string, variant: string, seed: number, indexes: number[]): string {
  return `pvh-conformance run --adapter ${adapter} --variant ${variant} --seed ${seed} --case ${indexes.join(",")}`;
}

function countsText(records: readonly ResultRecord[]): string {
  const counts = new Map<string, { n: number; expected: number }>();
  for (const r of records) {
    const c = counts.get(r.status) ?? { n: 0, expected: 0 };
    c.n++;
    if (BAD.has(r.status) && r.expected === r.status) c.expected++;
    counts.set(r.status, c);
  }
  return [...counts].map(([s, c]) => `${s} ${c.n}${c.expected ? ` (${c.expected} expected)` : ""}`).join(", ");
}

function evidenceLines(r: ResultRecord): string[] {
  const e = r.evidence;
  if (!e) return [];
  return [
    `  expected: ${e.expected}`,
    `  seen:     ${e.seen}`,
    ...(e.address !== undefined ? [`  address:  0x${e.address.toString(16)}`] : []),
    ...(e.detail ? [`  detail:   ${e.detail}`] : []),
  ];
}

function verdictLine(r: ResultRecord, c: CaseRecord | undefined): string {
  const index = c ? ` [index ${c.replay.index}]` : "";
  const known = kindOf(r) === "known" ? " (expected deviation)" : r.expected !== undefined ? ` (expected ${r.expected})` : "";
  return `${r.caseId}${index} ${r.status}${known} ${r.code}: ${r.message}`;
}

interface Group {
  requirement: string;
  adapter: string;
  variant: string;
  records: ResultRecord[];
}

/** Reads, validates and writes; `results` may be a parsed results.json or its path. */
export function writeAllureResults(results: Results | string, dir: string, options: WriteAllureResultsOptions = {}): AllureResultsWritten {
  const run = typeof results === "string" ? Results.parse(JSON.parse(readFileSync(results, "utf8"))) : results;
  const maxCases = options.maxCasesPerTest ?? 25;
  mkdirSync(dir, { recursive: true });
  if (options.clean ?? true) {
    for (const f of readdirSync(dir)) if (ALLURE_FILE.test(f)) rmSync(join(dir, f), { force: true });
  }

  const sources = loadSpec().requirements.sources;
  const start = Date.parse(run.run.startedAt);
  const stop = Date.parse(run.run.finishedAt);
  const seed = run.run.seed;
  const casesByKey = new Map<string, CaseRecord>();
  for (const c of run.cases) casesByKey.set(`${c.adapter}\u0000${c.variant}\u0000${c.caseId}`, c);

  const groups = new Map<string, Group>();
  for (const r of run.records) {
    const key = `${r.requirement}\u0000${r.adapter}\u0000${r.variant}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { requirement: r.requirement, adapter: r.adapter, variant: r.variant, records: [] }));
    g.records.push(r);
  }

  const written: AllureResultsWritten = { dir, tests: 0, byStatus: { passed: 0, failed: 0, broken: 0, skipped: 0 }, knownDeviations: 0, attachments: 0 };

  for (const g of groups.values()) {
    const entry = run.run.requirements[g.requirement];
    const meta = requirementMetadata(g.requirement, entry, sources);
    const suite = `${g.adapter}/${g.variant}`;
    const uuid = uuidOf(run.run.startedAt, String(seed), g.requirement, g.adapter, g.variant);
    const caseOf = (r: ResultRecord): CaseRecord | undefined => casesByKey.get(`${r.adapter}\u0000${r.variant}\u0000${r.caseId}`);

    const byKind = (k: Kind): ResultRecord[] => g.records.filter((r) => kindOf(r) === k);
    const fail = byKind("fail");
    const broken = byKind("broken");
    const known = byKind("known");
    const passes = byKind("pass");
    const total = g.records.length;
    // An expectation that demanded a deviation the loader no longer shows: the gate judges it, the report says it.
    const notSeen = g.records.filter((r) => r.expected !== undefined && BAD.has(r.expected) && !BAD.has(r.status)).length;

    const unexpected = [...fail, ...broken];
    const bad = [...unexpected, ...known];
    const first = bad[0] ?? g.records[0];
    const firstText = first ? `${first.code}: ${first.message}` : "";
    const statusesOf = (rs: ResultRecord[]): string => [...new Set(rs.map((r) => r.status))].join("/");

    let status: AllureStatus;
    let message: string | undefined;
    if (fail.length) {
      status = "failed";
      message = `${fail.length} of ${total} cases FAIL${broken.length ? `, ${broken.length} ${statusesOf(broken)}` : ""}; first: ${firstText}`;
    } else if (broken.length) {
      status = "broken";
      message = `${broken.length} of ${total} cases ${statusesOf(broken)}; first: ${firstText}`;
    } else if (known.length) {
      status = "skipped";
      message = `expected deviation: ${known.length} of ${total} cases ${statusesOf(known)}, as the expectations file allows; first: ${firstText}`;
    } else if (passes.length) {
      status = "passed";
    } else {
      status = "skipped";
      message = `${first?.notApplicable ? "not applicable" : "skipped"} in all ${total} cases: ${firstText}`;
    }

    const shown = bad.slice(0, maxCases);
    const more = bad.length > shown.length ? [`... and ${bad.length - shown.length} more`] : [];
    const trace = bad.length ? [...bad.slice(0, maxCases).map((r) => verdictLine(r, caseOf(r))), ...more].join("\n") : undefined;

    const steps: AllureStep[] = shown.map((r) => ({
      name: verdictLine(r, caseOf(r)),
      status: stepStatus[kindOf(r)],
      statusDetails: { message: [r.message, ...evidenceLines(r)].join("\n") },
      stage: "finished",
      start,
      stop,
      steps: [],
      attachments: [],
      parameters: [{ name: "tags", value: (caseOf(r)?.tags ?? []).join(" ") }],
    }));

    const attachments: AllureAttachment[] = [];
    const attach = (name: string, ext: "json" | "txt", type: string, body: string): void => {
      const source = `${uuidOf(uuid, name)}-attachment.${ext}`;
      writeFileSync(join(dir, source), body);
      attachments.push({ name, source, type });
    };
    if (shown.length) {
      const count = `${shown.length} of ${bad.length}`;
      const indexes = shown.map((r) => caseOf(r)?.replay.index).filter((i): i is number => i !== undefined);
      attach(
        `failing cases (${count})`,
        "json",
        "application/json",
        JSON.stringify(
          shown.map((r) => {
            const c = caseOf(r);
            return { verdict: r, replay: c ? replayCommand(g.adapter, g.variant, seed, [c.replay.index]) : null, case: c ?? null };
          }),
          null,
          2,
        ),
      );
      attach(`evidence (${count})`, "txt", "text/plain", shown.map((r) => [verdictLine(r, caseOf(r)), ...evidenceLines(r)].join("\n")).join("\n\n") + "\n");
      const commands = shown.flatMap((r) => {
        const cmd = caseOf(r)?.command;
        return cmd ? [`# ${r.caseId}\n${cmd.map(shellQuote).join(" ")}`] : [];
      });
      // The reference loader runs in-process: there is no command line to show.
      if (commands.length) attach(`VMM command lines (${count}; their temporary files are gone)`, "txt", "text/plain", commands.join("\n\n") + "\n");
      if (indexes.length) {
        const perCase = shown.flatMap((r) => {
          const c = caseOf(r);
          return c ? [`${replayCommand(g.adapter, g.variant, seed, [c.replay.index])}   # ${r.caseId}`] : [];
        });
        attach("replay commands", "txt", "text/plain", [`# all ${indexes.length} at once`, replayCommand(g.adapter, g.variant, seed, indexes), "", ...perCase].join("\n") + "\n");
      }
      attach(
        `loader messages (${count})`,
        "txt",
        "text/plain",
        shown
          .map((r) => {
            const c = caseOf(r);
            return `${r.caseId}: outcome ${c?.outcome ?? "unknown"}${c?.malformed ? `, malformed ${c.malformed}` : ""}\n  ${c?.message ?? "(the loader said nothing)"}\n  case: ${c?.summary ?? "(not in results.json)"}`;
          })
          .join("\n\n") + "\n",
      );
    }

    const description = [
      entry ? `**${g.requirement}** (${entry.level}, ${entry.side} side): ${entry.statement}` : `**${g.requirement}** (not in this run's catalogue)`,
      meta.sourceText ? `Source: ${meta.sourceText}` : "",
      `Verdicts over ${total} cases of ${suite}, seed ${seed}: ${countsText(g.records)}.`,
      notSeen ? `The expected deviation did not occur in ${notSeen} case(s): the gate decides whether the expectation is stale.` : "",
      `Replay a case: \`${replayCommand(g.adapter, g.variant, seed, [])}<index>\``,
    ]
      .filter(Boolean)
      .join("\n\n");

    const tags = [...(known.length && !unexpected.length ? ["known-deviation"] : []), ...(notSeen ? ["deviation-not-seen"] : [])];
    const result: AllureResult = {
      uuid,
      historyId: md5(`${g.requirement}|${g.adapter}|${g.variant}`),
      testCaseId: md5(g.requirement),
      fullName: `${suite}#${g.requirement}`,
      name: `${g.requirement} [${entry?.level ?? "?"}] on ${suite}`,
      titlePath: [suite, meta.epic, meta.area],
      status,
      statusDetails: { ...(message ? { message } : {}), ...(trace ? { trace } : {}), ...(status === "skipped" && known.length ? { known: true } : {}) },
      stage: "finished",
      description,
      start,
      stop,
      labels: [
        ...meta.labels,
        { name: "suite", value: suite },
        { name: "subSuite", value: meta.area },
        { name: "adapter", value: g.adapter },
        { name: "variant", value: g.variant },
        { name: "host", value: run.run.host.hostname },
        { name: "framework", value: "pvh-conformance" },
        ...tags.map((value) => ({ name: "tag", value })),
      ],
      links: meta.links,
      parameters: [
        { name: "adapter", value: g.adapter },
        { name: "variant", value: g.variant },
        { name: "cases", value: String(total), excluded: true },
        { name: "verdicts", value: countsText(g.records), excluded: true },
      ],
      attachments,
      steps,
    };
    writeFileSync(join(dir, `${uuid}-result.json`), JSON.stringify(result));
    written.tests++;
    written.byStatus[status]++;
    if (status === "skipped" && known.length) written.knownDeviations++;
    written.attachments += attachments.length;
  }

  writeFileSync(join(dir, "environment.properties"), environmentProperties(run));
  writeFileSync(
    join(dir, "executor.json"),
    JSON.stringify({ name: "pvh-conformance", type: "pvh-conformance", buildName: `pvh-conformance ${run.run.suiteVersion}, seed ${seed}`, reportName: "PVH boot ABI conformance" }),
  );
  // Allure 2 reads categories from the results folder (Allure 3 from its config, see generateAllureHtml).
  writeFileSync(join(dir, "categories.json"), JSON.stringify(allure2Categories));
  return written;
}

const allure2Categories = [
  { name: "Expected deviations", matchedStatuses: ["skipped"], messageRegex: "expected deviation:[\\s\\S]*" },
  { name: "Unexpected failures", matchedStatuses: ["failed"] },
  { name: "Loader crashed, timed out, or harness error", matchedStatuses: ["broken"] },
];

/** Java properties text: backslash, line breaks and the separators must be escaped. */
function environmentProperties(run: Results): string {
  const esc = (s: string): string => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/([=:#!])/g, "\\$1");
  const key = (s: string): string => esc(s).replace(/ /g, "\\ ");
  const entries: [string, string][] = [
    ["suite.version", run.run.suiteVersion],
    ["seed", String(run.run.seed)],
    ["cases", String(run.run.cases)],
    ["started", run.run.startedAt],
    ["finished", run.run.finishedAt],
    ["host", `${run.run.host.hostname} (${run.run.host.platform}, ${run.run.host.cpus} CPUs)`],
    ["node", run.run.host.node],
    ["command", run.run.command.map(shellQuote).join(" ")],
  ];
  for (const a of run.run.adapters) {
    entries.push([`adapter.${a.id}.version`, a.version], [`adapter.${a.id}.variants`, a.variants.join(" ")]);
    if (a.binary) entries.push([`adapter.${a.id}.binary`, a.binary]);
  }
  return entries.map(([k, v]) => `${key(k)}=${esc(v)}`).join("\n") + "\n";
}
