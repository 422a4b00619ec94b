/**
 * JUnit XML view of results.json, for CI systems that colour a build by it.
 *
 * Layout: one <testsuite> per adapter variant ("qemu.pc-tcg"), one <testcase> per
 * record, classname "<adapter>.<variant>.<area>" so the CI's tree groups by area,
 * name "<requirement> [<level>] <caseId>".
 *
 * Known deviations: a bad record the expectations allow (record.expected ===
 * record.status) is <skipped message="expected deviation: ..."/>, not a failure.
 * CI systems read JUnit as red or green, and the gate already accepts these; as
 * failures they would turn every run of a known-deviant VMM red and hide the new
 * deviations among the old. Only unexpected results fail: an unexpected FAIL is a
 * <failure type=CODE>, an unexpected ERROR, CRASH or TIMEOUT an <error type=STATUS>,
 * and a PASS where the expectations demand a deviation a <failure
 * type="unexpected-pass"> (the gate fails on it too: the expectations are stale).
 * Without expectations in the run every bad record is unexpected.
 *
 * Times: results.json keeps no per-case durations, so each testcase and testsuite
 * says time="0" and only <testsuites> carries the run's wall-clock time.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { CaseRecord, ResultRecord, Results } from "../../src/results/Results.js";
import { classifyRecord } from "../matrix/classifyRecord.js";
import { shellLine } from "../../src/_internals/shellQuote.js";
import { caseReplayCommand } from "../../src/runner/replayCommand.js";
import { xmlAttr, xmlEscape } from "./xmlEscape.js";

const MESSAGE_ATTR_MAX = 500;

export function junitXml(results: Results): string {
  return [...junitChunks(results)].join("");
}

/** Written a suite at a time: a million-record run would not fit in one string. */
export function writeJunit(file: string, results: Results): void {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, "w");
  try {
    for (const chunk of junitChunks(results)) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

interface Counts {
  passed: number;
  failures: number;
  errors: number;
  skipped: number;
}

function* junitChunks(results: Results): Generator<string> {
  const { run } = results;
  const cases = new Map<string, CaseRecord>();
  for (const c of results.cases) cases.set(`${c.adapter}/${c.variant}/${c.caseId}`, c);

  // Suites in the order the run lists its adapters; records of any other pair after.
  const suites = new Map<string, ResultRecord[]>();
  for (const a of run.adapters) for (const v of a.variants) suites.set(`${a.id}/${v}`, []);
  for (const r of results.records) {
    const key = `${r.adapter}/${r.variant}`;
    let list = suites.get(key);
    if (!list) suites.set(key, (list = []));
    list.push(r);
  }
  // The root element carries the totals, so they are counted before anything is written.
  const counted = new Map<string, Counts>();
  const total: Counts = { passed: 0, failures: 0, errors: 0, skipped: 0 };
  for (const [key, records] of suites) {
    const c: Counts = { passed: 0, failures: 0, errors: 0, skipped: 0 };
    for (const r of records) c[outcomeOf(r)]++;
    counted.set(key, c);
    total.failures += c.failures;
    total.errors += c.errors;
    total.skipped += c.skipped;
  }

  const timestamp = xsDateTime(run.startedAt);
  const seconds = Math.max(0, (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000) || 0;
  yield `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="pvh-conformance" tests="${results.records.length}" failures="${total.failures}" errors="${total.errors}" skipped="${total.skipped}" time="${seconds.toFixed(3)}" timestamp="${xmlAttr(timestamp)}">\n`;
  let id = 0;
  for (const [key, records] of suites) {
    if (records.length === 0) continue;
    const [adapterId = "", variant = ""] = splitKey(key);
    const adapter = run.adapters.find((a) => a.id === adapterId);
    const counts = counted.get(key)!;
    const props: [string, string][] = [
      ["suite.version", run.suiteVersion],
      ["seed", String(run.seed)],
      ["adapter", adapterId],
      ["adapter.version", adapter?.version ?? "unknown"],
      ["adapter.binary", adapter?.binary ?? ""],
      ["variant", variant],
      ["cases", String(results.cases.filter((c) => c.adapter === adapterId && c.variant === variant).length)],
      ["command", shellLine(run.command)],
    ];
    const body: string[] = [
      `  <testsuite name="${xmlAttr(`${adapterId}.${variant}`)}" id="${id++}" package="${xmlAttr(adapterId)}" tests="${records.length}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="0" timestamp="${xmlAttr(timestamp)}" hostname="${xmlAttr(run.host.hostname)}">\n`,
      `    <properties>\n${props.map(([n, v]) => `      <property name="${xmlAttr(n)}" value="${xmlAttr(v)}"/>\n`).join("")}    </properties>\n`,
    ];
    for (const r of records) {
      body.push(testcase(r, results, cases));
      if (body.length >= 20_000) yield body.splice(0).join("");
    }
    body.push(`  </testsuite>\n`);
    yield body.join("");
  }
  yield `</testsuites>\n`;
}

function outcomeOf(r: ResultRecord): keyof Counts {
  const kind = classifyRecord(r);
  if (kind === "pass") return "passed";
  if (kind === "skip" || kind === "n/a" || kind === "expected-bad") return "skipped";
  return kind === "unexpected-pass" || r.status === "FAIL" ? "failures" : "errors";
}

function testcase(r: ResultRecord, results: Results, cases: Map<string, CaseRecord>): string {
  const level = results.run.requirements[r.requirement]?.level ?? "unknown";
  const open = `    <testcase classname="${xmlAttr(`${r.adapter}.${r.variant}.${areaOf(r.requirement)}`)}" name="${xmlAttr(`${r.requirement} [${level}] ${r.caseId}`)}" time="0"`;
  const kind = classifyRecord(r);
  if (kind === "pass") return `${open}/>\n`;
  if (kind === "skip" || kind === "n/a") {
    return `${open}>\n      <skipped message="${xmlAttr(oneLine(`${kind === "n/a" ? "not applicable" : "skipped"}: ${r.message}`))}"/>\n    </testcase>\n`;
  }
  if (kind === "expected-bad") {
    return `${open}>\n      <skipped message="${xmlAttr(oneLine(`expected deviation: ${r.status} ${r.code}: ${r.message}`))}"/>\n    </testcase>\n`;
  }
  const detail = xmlEscape(describe(r, results, cases.get(`${r.adapter}/${r.variant}/${r.caseId}`)));
  if (kind === "unexpected-pass") {
    return `${open}>\n      <failure message="${xmlAttr(oneLine(`unexpected PASS: the expectations demand ${r.expected}; fix them if the deviation is gone`))}" type="unexpected-pass">${detail}</failure>\n    </testcase>\n`;
  }
  if (r.status === "FAIL") {
    return `${open}>\n      <failure message="${xmlAttr(oneLine(r.message))}" type="${xmlAttr(r.code)}">${detail}</failure>\n    </testcase>\n`;
  }
  return `${open}>\n      <error message="${xmlAttr(oneLine(r.message))}" type="${r.status}">${detail}</error>\n    </testcase>\n`;
}

function describe(r: ResultRecord, results: Results, c: CaseRecord | undefined): string {
  const req = results.run.requirements[r.requirement];
  const lines = [`${r.status} ${r.requirement} (${r.code}): ${r.message}`];
  if (r.expected !== undefined && r.expected !== r.status) lines.push(`expected status: ${r.expected}`);
  if (r.evidence) {
    lines.push(`expected: ${r.evidence.expected}`, `seen:     ${r.evidence.seen}`);
    if (r.evidence.address !== undefined) lines.push(`address:  0x${r.evidence.address.toString(16)}`);
    if (r.evidence.detail) lines.push(`detail:   ${r.evidence.detail}`);
  }
  if (req) lines.push(`requirement (${req.level}, ${req.side}): ${req.statement} [${req.source}]`);
  if (c) {
    lines.push(`case:     ${c.caseId}, ${c.outcome}${c.malformed ? `, malformed: ${c.malformed}` : ""}: ${c.summary}`);
    if (c.message) lines.push(`outcome:  ${c.message}`);
    if (c.tags.length) lines.push(`tags:     ${c.tags.join(" ")}`);
    lines.push(`replay:   ${caseReplayCommand(c)}`);
    if (c.command) lines.push(`vmm:      ${shellLine(c.command)}`);
  } else {
    lines.push(`case:     ${r.caseId} (not in results.cases)`);
  }
  return lines.join("\n") + "\n";
}

function areaOf(requirement: string): string {
  return requirement.split(".")[1] ?? requirement;
}

function splitKey(key: string): string[] {
  const slash = key.indexOf("/");
  return [key.slice(0, slash), key.slice(slash + 1)];
}

function oneLine(s: string): string {
  const line = s.replace(/\s*\n[\s\S]*$/, " …");
  return line.length > MESSAGE_ATTR_MAX ? `${line.slice(0, MESSAGE_ATTR_MAX)}…` : line;
}

/** xs:dateTime as the JUnit schema has it: no fraction, no zone (results.json keeps UTC). */
function xsDateTime(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)/.exec(iso);
  return m?.[1] ?? iso;
}
