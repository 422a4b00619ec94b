import { shellQuote } from "../../src/_internals/shellQuote.js";
import { caseReplayCommand } from "../../src/runner/replayCommand.js";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BAD_STATUSES } from "../../src/model/Verdict.js";
import { Results, type CaseRecord, type ResultRecord } from "../../src/results/Results.js";
import { loadSpec } from "../../src/spec/loadSpec.js";
import type { AllureAttachment, AllureLabel, AllureResult, AllureStatus, AllureStep } from "./AllureResult.js";
import { requirementMetadata } from "./requirementMetadata.js";

/**
 * results.json as Allure results.
 *
 * One Allure test per (requirement, adapter, variant), its verdicts aggregated over the
 * run's cases: a test per record would be one per case too (26,000 for a 150-case QEMU
 * run) and bury the few that matter. The cases that went wrong are inside each test, as
 * steps and attachments (case JSON, evidence, VMM command lines, replay commands, the
 * loader's messages).
 *
 * A crash or time-out (or a harness error) happens to a case, not to a requirement, and
 * results.json repeats it on every loader requirement of that case. Counted there it
 * would paint every requirement the same; so it is counted once, in one more test per
 * adapter variant, "case outcomes", and a requirement's test lists such cases as not
 * judged without taking its status from them.
 *
 * Status of a test, worst first:
 *   failed   a verdict FAIL that no expectation allows (the gate fails on it)
 *   broken   an ERROR, CRASH or TIMEOUT that no expectation allows (likewise)
 *   skipped  "expected deviation: ...", with statusDetails.known and the tag known-deviation:
 *            every bad verdict is one the expectations file allows. The gate decides CI;
 *            the report has to tell these apart from real failures and from clean passes,
 *            and Allure's "skipped" with a message and a category does that.
 *   passed   some case PASSed, the rest SKIPped or not judged
 *   skipped  no case PASSed: not applicable, or beyond the loader's capabilities
 */
export interface WriteAllureResultsOptions {
  /** Cases kept per test as steps and in the attachments; the message and counts still cover them all. Default 25. */
  maxCasesPerTest?: number;
  /**
   * Remove the allure-results files already in the folder (results, containers,
   * attachments, environment.properties, executor.json, categories.json) first, so the
   * report shows this run only; other files are left alone. Default true; false merges.
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

const CASE_LEVEL_OUTCOMES: ReadonlySet<CaseRecord["outcome"]> = new Set<CaseRecord["outcome"]>(["crashed", "timeout", "harness-error"]);
const ALLURE_FILE = /(-result\.json|-container\.json|-attachment(\.[A-Za-z0-9]+)?)$|^(environment\.properties|executor\.json|categories\.json)$/;
const CASE_OUTCOMES = "case outcomes";

type Kind = "pass" | "skip" | "fail" | "broken" | "known";

function kindOf(r: ResultRecord): Kind {
  if (!BAD_STATUSES.has(r.status)) return r.status === "PASS" ? "pass" : "skip";
  if (r.expected === r.status) return "known";
  return r.status === "FAIL" ? "fail" : "broken";
}

const stepStatus: Record<Kind, AllureStatus> = { pass: "passed", skip: "skipped", fail: "failed", broken: "broken", known: "skipped" };

/** Stable ids, so the same results.json always gives the same files. */
function uuidOf(...parts: string[]): string {
  const h = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
const md5 = (s: string): string => createHash("md5").update(s).digest("hex");

/** The --case token: boundary examples replay by name, generated cases by index; a user's kernel has none. */
function caseToken(c: CaseRecord): string | undefined {
  const example = c.replay.example;
  if (example?.startsWith("kernel:")) return undefined;
  return example !== undefined ? `example:${example}` : String(c.replay.index);
}

function replayCommand(adapter: string, variant: string, seed: number, tokens: readonly string[]): string {
  return `pvh-conformance run --adapter ${shellQuote(adapter)} --variant ${shellQuote(variant)} --seed ${seed} --case ${tokens.join(",")}`;
}


function countsText(records: readonly ResultRecord[]): string {
  const counts = new Map<string, { n: number; expected: number }>();
  for (const r of records) {
    const c = counts.get(r.status) ?? { n: 0, expected: 0 };
    c.n++;
    if (kindOf(r) === "known") c.expected++;
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
  const where = c ? ` [case ${caseToken(c) ?? c.replay.example}]` : "";
  const known = kindOf(r) === "known" ? " (expected deviation)" : r.expected !== undefined ? ` (expected ${r.expected})` : "";
  return `${r.caseId}${where} ${r.status}${known} ${r.code}: ${r.message}`;
}

const statusesOf = (rs: readonly ResultRecord[]): string => [...new Set(rs.map((r) => r.status))].join("/");

interface Verdicts {
  status: AllureStatus;
  message?: string;
  known: boolean;
  /** Bad verdicts, unexpected first: the cases shown. */
  bad: ResultRecord[];
}

/** The aggregate status of records judged together; see the file comment. */
function aggregate(records: readonly ResultRecord[], total: number, what: string): Verdicts {
  const of = (k: Kind): ResultRecord[] => records.filter((r) => kindOf(r) === k);
  const [fail, broken, known, passes] = [of("fail"), of("broken"), of("known"), of("pass")];
  const bad = [...fail, ...broken, ...known];
  const first = bad[0] ?? records[0];
  const firstText = first ? `; first: ${first.code}: ${first.message}` : "";
  if (fail.length) return { status: "failed", known: false, bad, message: `${fail.length} of ${total} ${what} FAIL${broken.length ? `, ${broken.length} ${statusesOf(broken)}` : ""}${firstText}` };
  if (broken.length) return { status: "broken", known: false, bad, message: `${broken.length} of ${total} ${what} ${statusesOf(broken)}${firstText}` };
  if (known.length) return { status: "skipped", known: true, bad, message: `expected deviation: ${known.length} of ${total} ${what} ${statusesOf(known)}, as the expectations file allows${firstText}` };
  if (passes.length || records.length === 0) return { status: "passed", known: false, bad };
  return { status: "skipped", known: false, bad, message: `${first?.notApplicable ? "not applicable" : "skipped"} in all ${total} ${what}${firstText}` };
}

/** Reads, validates and writes; `results` is a parsed results.json or its path. */
export function writeAllureResults(results: Results | string, dir: string, options: WriteAllureResultsOptions = {}): AllureResultsWritten {
  const doc = typeof results === "string" ? Results.parse(JSON.parse(readFileSync(results, "utf8"))) : results;
  const { run } = doc;
  const maxCases = options.maxCasesPerTest ?? 25;
  mkdirSync(dir, { recursive: true });
  if (options.clean ?? true) {
    for (const f of readdirSync(dir)) if (ALLURE_FILE.test(f)) rmSync(join(dir, f), { force: true });
  }

  const documents = loadSpec().requirements.documents;
  const start = Date.parse(run.startedAt);
  const stop = Date.parse(run.finishedAt);
  const seed = run.seed;
  const casesByKey = new Map<string, CaseRecord>();
  for (const c of doc.cases) casesByKey.set(`${c.adapter}\u0000${c.variant}\u0000${c.caseId}`, c);
  const caseOf = (r: ResultRecord): CaseRecord | undefined => casesByKey.get(`${r.adapter}\u0000${r.variant}\u0000${r.caseId}`);
  const caseLevel = (r: ResultRecord): boolean => r.status !== "FAIL" && BAD_STATUSES.has(r.status) && CASE_LEVEL_OUTCOMES.has(caseOf(r)?.outcome ?? "entered");

  const written: AllureResultsWritten = { dir, tests: 0, byStatus: { passed: 0, failed: 0, broken: 0, skipped: 0 }, knownDeviations: 0, attachments: 0 };

  interface TestSpec {
    key: string[];
    adapter: string;
    variant: string;
    name: string;
    fullName: string;
    testCaseId: string;
    titlePath: string[];
    labels: AllureLabel[];
    links: AllureResult["links"];
    description: string;
    verdicts: Verdicts;
    parameters: AllureResult["parameters"];
  }

  function writeTest(t: TestSpec): void {
    const uuid = uuidOf(run.startedAt, String(seed), ...t.key);
    const shown = t.verdicts.bad.slice(0, maxCases);
    const more = t.verdicts.bad.length > shown.length ? [`... and ${t.verdicts.bad.length - shown.length} more`] : [];
    const steps: AllureStep[] = shown.map((r) => ({
      name: verdictLine(r, caseOf(r)),
      status: stepStatus[kindOf(r)],
      statusDetails: { message: [r.message, ...evidenceLines(r)].join("\n") },
      stage: "finished",
      // A case's own time is not in results.json; zero-length steps at least do not claim the whole run.
      start,
      stop: start,
      steps: [],
      attachments: [],
      parameters: [{ name: "case tags", value: (caseOf(r)?.tags ?? []).join(" ") }],
    }));
    const attachments = shown.length ? writeCaseAttachments(uuid, t.adapter, t.variant, shown) : [];
    const result: AllureResult = {
      uuid,
      historyId: md5(t.key.join("|")),
      testCaseId: t.testCaseId,
      fullName: t.fullName,
      name: t.name,
      titlePath: t.titlePath,
      status: t.verdicts.status,
      statusDetails: {
        ...(t.verdicts.message ? { message: t.verdicts.message } : {}),
        ...(shown.length ? { trace: [...shown.map((r) => verdictLine(r, caseOf(r))), ...more].join("\n") } : {}),
        ...(t.verdicts.known ? { known: true } : {}),
      },
      stage: "finished",
      description: t.description,
      start,
      stop,
      labels: [
        ...t.labels,
        { name: "suite", value: `${t.adapter}/${t.variant}` },
        { name: "adapter", value: t.adapter },
        { name: "variant", value: t.variant },
        { name: "host", value: run.host.hostname },
        { name: "framework", value: "pvh-conformance" },
        ...(t.verdicts.known ? [{ name: "tag", value: "known-deviation" }] : []),
      ],
      links: t.links,
      parameters: [{ name: "adapter", value: t.adapter }, { name: "variant", value: t.variant }, ...t.parameters],
      attachments,
      steps,
    };
    writeFileSync(join(dir, `${uuid}-result.json`), JSON.stringify(result));
    written.tests++;
    written.byStatus[result.status]++;
    if (t.verdicts.known) written.knownDeviations++;
    written.attachments += attachments.length;
  }

  function writeCaseAttachments(uuid: string, adapter: string, variant: string, shown: readonly ResultRecord[]): AllureAttachment[] {
    const out: AllureAttachment[] = [];
    const attach = (name: string, ext: "json" | "txt", type: string, body: string): void => {
      const source = `${uuidOf(uuid, name)}-attachment.${ext}`;
      writeFileSync(join(dir, source), body);
      out.push({ name, source, type });
    };
    const withCase = shown.map((r) => ({ r, c: caseOf(r) }));
    attach(
      "cases.json",
      "json",
      "application/json",
      JSON.stringify(withCase.map(({ r, c }) => ({ verdict: r, replay: c ? caseReplayCommand(c) : null, case: c ?? null })), null, 2),
    );
    attach("evidence.txt", "txt", "text/plain", withCase.map(({ r, c }) => [verdictLine(r, c), ...evidenceLines(r)].join("\n")).join("\n\n") + "\n");
    const commands = withCase.flatMap(({ r, c }) => (c?.command ? [`# ${r.caseId} (its temporary files are gone; repro/${r.caseId}/ beside results.json, when the run wrote one, has the kernel and run.sh)\n${c.command.map(shellQuote).join(" ")}`] : []));
    // The reference loader runs in-process: it has no command line to show.
    if (commands.length) attach("VMM command lines.txt", "txt", "text/plain", commands.join("\n\n") + "\n");
    const tokens = withCase.flatMap(({ c }) => (c ? [caseToken(c)].filter((t): t is string => t !== undefined) : []));
    const one = withCase.flatMap(({ r, c }) => (c ? [`${caseReplayCommand(c)}   # ${r.caseId}`] : []));
    if (one.length) {
      const all = tokens.length > 1 ? [`# all ${tokens.length} at once`, replayCommand(adapter, variant, seed, tokens), ""] : [];
      attach("replay commands.txt", "txt", "text/plain", [...all, "# one by one", ...one].join("\n") + "\n");
    }
    attach(
      "loader messages.txt",
      "txt",
      "text/plain",
      withCase
        .map(({ r, c }) => `${r.caseId}: outcome ${c?.outcome ?? "unknown"}${c?.malformed ? ` (malformed on purpose: ${c.malformed})` : ""}\n  ${c?.message ?? "(the loader said nothing)"}\n  case: ${c?.summary ?? "(not in results.json)"}`)
        .join("\n\n") + "\n",
    );
    return out;
  }

  // Requirement tests, grouped in the order results.json lists them.
  const groups = new Map<string, ResultRecord[]>();
  for (const r of doc.records) {
    const key = `${r.adapter}\u0000${r.variant}\u0000${r.requirement}`;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  const variants = new Map<string, { adapter: string; variant: string }>();
  for (const records of groups.values()) {
    const { requirement: id, adapter, variant } = records[0]!;
    variants.set(`${adapter}\u0000${variant}`, { adapter, variant });
    const entry = run.requirements[id];
    const meta = requirementMetadata(id, entry, documents);
    const suite = `${adapter}/${variant}`;
    const judged = records.filter((r) => !caseLevel(r));
    const unjudged = records.length - judged.length;
    // An expectation that demanded a deviation the loader no longer shows: the gate judges it, the report says it.
    const notSeen = records.filter((r) => r.expected !== undefined && BAD_STATUSES.has(r.expected) && !BAD_STATUSES.has(r.status)).length;
    const verdicts = aggregate(judged, records.length, "cases");
    writeTest({
      key: [id, adapter, variant],
      adapter,
      variant,
      name: `${id} [${entry?.level ?? "?"}] on ${suite}`,
      fullName: `${suite}#${id}`,
      testCaseId: md5(id),
      titlePath: [suite, meta.epic, meta.area],
      labels: [...meta.labels, { name: "subSuite", value: meta.area }, ...(notSeen ? [{ name: "tag", value: "deviation-not-seen" }] : [])],
      links: meta.links,
      description: [
        entry ? `**${id}** (${entry.level}, ${entry.side} side): ${entry.statement}` : `**${id}** (not in this run's catalogue)`,
        meta.sourceText ? `Source: ${meta.sourceText}` : "",
        `Verdicts over ${records.length} cases of ${suite}, seed ${seed}: ${countsText(records)}.`,
        unjudged ? `${unjudged} case(s) crashed, timed out or broke the harness before this requirement could be judged: see "${CASE_OUTCOMES} on ${suite}".` : "",
        notSeen ? `The expected deviation did not occur in ${notSeen} case(s): the gate decides whether the expectation is stale.` : "",
        `Replay a case: \`${replayCommand(adapter, variant, seed, ["<index>"])}\``,
      ]
        .filter(Boolean)
        .join("\n\n"),
      verdicts,
      parameters: [
        { name: "cases", value: String(records.length), excluded: true },
        { name: "verdicts", value: countsText(records), excluded: true },
      ],
    });
  }

  // One case-outcome test per adapter variant: a case's crash counted once.
  for (const c of doc.cases) variants.set(`${c.adapter}\u0000${c.variant}`, { adapter: c.adapter, variant: c.variant });
  for (const { adapter, variant } of variants.values()) {
    const suite = `${adapter}/${variant}`;
    const cases = doc.cases.filter((c) => c.adapter === adapter && c.variant === variant);
    // A case's worst case-level record stands for the case: unexpected before expected.
    const perCase = new Map<string, ResultRecord>();
    const rank = (r: ResultRecord): number => ["known", "broken"].indexOf(kindOf(r));
    for (const r of doc.records) {
      if (r.adapter !== adapter || r.variant !== variant || !caseLevel(r)) continue;
      const seen = perCase.get(r.caseId);
      if (!seen || rank(r) > rank(seen)) perCase.set(r.caseId, r);
    }
    const outcomes = new Map<string, number>();
    for (const c of cases) outcomes.set(c.outcome, (outcomes.get(c.outcome) ?? 0) + 1);
    const outcomeText = [...outcomes].map(([o, n]) => `${o} ${n}`).join(", ");
    writeTest({
      key: [CASE_OUTCOMES, adapter, variant],
      adapter,
      variant,
      name: `${CASE_OUTCOMES} on ${suite}`,
      fullName: `${suite}#${CASE_OUTCOMES}`,
      testCaseId: md5(CASE_OUTCOMES),
      titlePath: [suite, "conformance", CASE_OUTCOMES],
      labels: [
        { name: "epic", value: "conformance" },
        { name: "feature", value: CASE_OUTCOMES },
        { name: "story", value: "the loader enters or refuses every case, never crashes or hangs" },
        { name: "subSuite", value: CASE_OUTCOMES },
        { name: "severity", value: "critical" },
      ],
      links: [],
      description: [
        `Every case of ${suite} either reaches the entry point or is refused; a crash, a time-out or an error of the harness is counted here once, not under each requirement.`,
        `Outcomes of ${cases.length} cases, seed ${seed}: ${outcomeText || "none"}.`,
        `Replay a case: \`${replayCommand(adapter, variant, seed, ["<index>"])}\``,
      ].join("\n\n"),
      verdicts: aggregate([...perCase.values()], cases.length, "cases"),
      parameters: [
        { name: "cases", value: String(cases.length), excluded: true },
        { name: "outcomes", value: outcomeText, excluded: true },
      ],
    });
  }

  writeFileSync(join(dir, "environment.properties"), environmentProperties(doc));
  writeFileSync(
    join(dir, "executor.json"),
    JSON.stringify({ name: "pvh-conformance", type: "pvh-conformance", buildName: `pvh-conformance ${run.suiteVersion}, seed ${seed}`, reportName: "PVH boot ABI conformance" }),
  );
  // Allure 2 takes categories from the results folder; Allure 3 from its config (generateAllureHtml writes one).
  writeFileSync(
    join(dir, "categories.json"),
    JSON.stringify([
      { name: "Unexpected failures", matchedStatuses: ["failed"] },
      { name: "Loader crashed, timed out, or harness error", matchedStatuses: ["broken"] },
      { name: "Expected deviations", matchedStatuses: ["skipped"], messageRegex: "expected deviation:[\\s\\S]*" },
    ]),
  );
  return written;
}

/** Java properties text: keys escape their separators; values only backslashes and line breaks. */
function environmentProperties(doc: Results): string {
  const { run } = doc;
  const value = (s: string): string => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
  const key = (s: string): string => value(s).replace(/([=: #!])/g, "\\$1");
  const entries: [string, string][] = [
    ["suite.version", run.suiteVersion],
    ["seed", String(run.seed)],
    ["cases", String(run.cases)],
    ["started", run.startedAt],
    ["finished", run.finishedAt],
    ["host", `${run.host.hostname} (${run.host.platform}, ${run.host.cpus} CPUs)`],
    ["node", run.host.node],
    ["command", run.command.map(shellQuote).join(" ")],
  ];
  for (const a of run.adapters) {
    entries.push([`adapter.${a.id}.version`, a.version], [`adapter.${a.id}.variants`, a.variants.join(" ")]);
    if (a.binary) entries.push([`adapter.${a.id}.binary`, a.binary]);
  }
  return entries.map(([k, v]) => `${key(k)}=${value(v)}`).join("\n") + "\n";
}
