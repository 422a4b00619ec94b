import { STATUSES, type Status } from "../../src/model/Verdict.js";
import type { CaseRecord, ResultRecord, Results } from "../../src/results/Results.js";
import { classifyRecord, type RecordClass } from "./classifyRecord.js";
import { shellLine } from "../../src/_internals/shellQuote.js";
import { caseReplayCommand } from "../../src/runner/replayCommand.js";

/** Bad records embedded per cell; past it the page says how many more results.json holds. */
export const RECORDS_PER_CELL = 200;

export type CellKind = "crash" | "timeout" | "fail" | "error" | "upass" | "xbad" | "skip" | "pass" | "na" | "none";

export interface Counts {
  PASS: number;
  SKIP: number;
  /** SKIPs because the requirement does not apply (kept apart from SKIP). */
  NA: number;
  ERROR: number;
  FAIL: number;
  TIMEOUT: number;
  CRASH: number;
  unexpectedBad: number;
  expectedBad: number;
  unexpectedPass: number;
}

/**
 * One embedded record: [case index, status, class ("u" unexpected bad, "x" expected
 * bad, "p" unexpected pass), code, message, evidence expected, evidence seen,
 * address or -1, detail, expected status or ""]. Strings are indexes into
 * `strings`: a crashing case repeats one message for every requirement.
 */
export type RecordTuple = [number, Status, "u" | "x" | "p", number, number, number, number, number, number, string];

export interface CellModel {
  kind: CellKind;
  /** "FAIL 12/400", "expected CRASH 3/400", "SKIP (n/a) 400/400" */
  label: string;
  /** the other non-zero counts, "388 PASS · 12 n/a" */
  rest: string;
  total: number;
  counts: Counts;
  records: RecordTuple[];
  /** bad records of this cell not embedded */
  more: number;
}

export interface MatrixModel {
  run: {
    suiteVersion: string;
    seed: number;
    startedAt: string;
    finishedAt: string;
    seconds: number;
    host: string;
    adapters: { id: string; version: string; binary: string | null; variants: string[] }[];
    casesPerVariant: number;
    caseRecords: number;
    shard: string | null;
    command: string;
    expectations: boolean;
  };
  totals: Counts & { records: number; cells: Partial<Record<CellKind, number>> };
  columns: { adapter: string; variant: string; version: string; cases: number }[];
  rows: { id: string; area: string; level: string; side: string; statement: string; source: string }[];
  /** row-major: cells[row * columns.length + column] */
  cells: CellModel[];
  cases: { id: string; outcome: string; malformed: string | null; message: string | null; summary: string; replay: string; command: string | null }[];
  strings: string[];
  cap: number;
}

const BAD_ORDER: Status[] = ["CRASH", "TIMEOUT", "FAIL", "ERROR"];
const CLASS_RANK: Record<string, number> = { u: 0, p: 1, x: 2 };

function zero(): Counts {
  return { PASS: 0, SKIP: 0, NA: 0, ERROR: 0, FAIL: 0, TIMEOUT: 0, CRASH: 0, unexpectedBad: 0, expectedBad: 0, unexpectedPass: 0 };
}

interface Acc {
  counts: Counts;
  total: number;
  /** per status, how many are unexpected / expected */
  unexpected: Partial<Record<Status, number>>;
  expected: Partial<Record<Status, number>>;
  bad: { r: ResultRecord; cls: "u" | "x" | "p" }[];
}

/** What the matrix page embeds: aggregates per (requirement, variant) cell and the bad records only. */
export function matrixModel(results: Results, cap = RECORDS_PER_CELL): MatrixModel {
  const { run } = results;

  const columns: MatrixModel["columns"] = [];
  const colIndex = new Map<string, number>();
  const addColumn = (adapter: string, variant: string): number => {
    const key = `${adapter}/${variant}`;
    let i = colIndex.get(key);
    if (i === undefined) {
      i = columns.length;
      colIndex.set(key, i);
      columns.push({ adapter, variant, version: run.adapters.find((a) => a.id === adapter)?.version ?? "unknown", cases: 0 });
    }
    return i;
  };
  for (const a of run.adapters) for (const v of a.variants) addColumn(a.id, v);

  const reqIds = Object.keys(run.requirements);
  const seen = new Set(reqIds);
  for (const r of results.records) if (!seen.has(r.requirement)) (seen.add(r.requirement), reqIds.push(r.requirement));
  // Grouped by area, areas and requirements in catalogue order.
  const areaOrder: string[] = [];
  const byArea = new Map<string, string[]>();
  for (const id of reqIds) {
    const area = id.split(".")[1] ?? id;
    let list = byArea.get(area);
    if (!list) (byArea.set(area, (list = [])), areaOrder.push(area));
    list.push(id);
  }
  const rows: MatrixModel["rows"] = [];
  const rowIndex = new Map<string, number>();
  for (const area of areaOrder)
    for (const id of byArea.get(area)!) {
      const req = run.requirements[id];
      rowIndex.set(id, rows.length);
      rows.push({ id, area, level: req?.level ?? "unknown", side: req?.side ?? "", statement: req?.statement ?? "(not in this run's catalogue)", source: req?.source ?? "" });
    }

  for (const c of results.cases) columns[addColumn(c.adapter, c.variant)]!.cases++;
  for (const r of results.records) addColumn(r.adapter, r.variant);

  const accs: Acc[] = [];
  const totals = { ...zero(), records: results.records.length, cells: {} as Partial<Record<CellKind, number>> };
  const width = columns.length;
  for (const r of results.records) {
    const at = rowIndex.get(r.requirement)! * width + colIndex.get(`${r.adapter}/${r.variant}`)!;
    const acc = (accs[at] ??= { counts: zero(), total: 0, unexpected: {}, expected: {}, bad: [] });
    acc.total++;
    const cls: RecordClass = classifyRecord(r);
    for (const counts of [acc.counts, totals]) {
      if (cls === "n/a") counts.NA++;
      else counts[r.status]++;
      if (cls === "unexpected-bad") counts.unexpectedBad++;
      else if (cls === "expected-bad") counts.expectedBad++;
      else if (cls === "unexpected-pass") counts.unexpectedPass++;
    }
    if (cls === "unexpected-bad") {
      acc.unexpected[r.status] = (acc.unexpected[r.status] ?? 0) + 1;
      acc.bad.push({ r, cls: "u" });
    } else if (cls === "expected-bad") {
      acc.expected[r.status] = (acc.expected[r.status] ?? 0) + 1;
      acc.bad.push({ r, cls: "x" });
    } else if (cls === "unexpected-pass") acc.bad.push({ r, cls: "p" });
  }

  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const intern = (s: string | undefined): number => {
    if (s === undefined || s === "") return -1;
    let i = stringIndex.get(s);
    if (i === undefined) (stringIndex.set(s, (i = strings.length)), strings.push(s));
    return i;
  };
  const caseByKey = new Map<string, CaseRecord>();
  for (const c of results.cases) caseByKey.set(`${c.adapter}/${c.variant}/${c.caseId}`, c);
  const cases: MatrixModel["cases"] = [];
  const caseIndex = new Map<string, number>();
  const caseOf = (r: ResultRecord): number => {
    const key = `${r.adapter}/${r.variant}/${r.caseId}`;
    let i = caseIndex.get(key);
    if (i === undefined) {
      const c = caseByKey.get(key);
      i = cases.length;
      caseIndex.set(key, i);
      cases.push(
        c
          ? { id: c.caseId, outcome: c.outcome, malformed: c.malformed, message: c.message, summary: c.summary, replay: caseReplayCommand(c), command: c.command ? shellLine(c.command) : null }
          : { id: r.caseId, outcome: "unknown", malformed: null, message: "(the case is not in results.cases)", summary: "", replay: "", command: null },
      );
    }
    return i;
  };

  const cells: CellModel[] = [];
  for (let at = 0; at < rows.length * width; at++) {
    const acc = accs[at];
    const cell = acc ? summarise(acc, cap, caseOf, intern) : { kind: "none" as const, label: "no records", rest: "", total: 0, counts: zero(), records: [], more: 0 };
    totals.cells[cell.kind] = (totals.cells[cell.kind] ?? 0) + 1;
    cells.push(cell);
  }

  const seconds = Math.max(0, (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000);
  return {
    run: {
      suiteVersion: run.suiteVersion,
      seed: run.seed,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      seconds: Number.isFinite(seconds) ? seconds : 0,
      host: `${run.host.hostname} (${run.host.platform}, ${run.host.cpus} CPUs, Node ${run.host.node})`,
      adapters: run.adapters.map((a) => ({ id: a.id, version: a.version, binary: a.binary, variants: a.variants })),
      casesPerVariant: run.cases,
      caseRecords: results.cases.length,
      shard: run.shard ? `${run.shard.index}/${run.shard.count}` : null,
      command: shellLine(run.command),
      expectations: results.records.some((r) => r.expected !== undefined),
    },
    totals,
    columns,
    rows,
    cells,
    cases,
    strings,
    cap,
  };
}

function summarise(acc: Acc, cap: number, caseOf: (r: ResultRecord) => number, intern: (s: string | undefined) => number): CellModel {
  const { counts, total } = acc;
  const of = (n: number): string => `${n}/${total}`;
  let kind: CellKind;
  let label: string;
  let shown: string | undefined;
  const worstUnexpected = BAD_ORDER.find((s) => acc.unexpected[s]);
  const worstExpected = BAD_ORDER.find((s) => acc.expected[s]);
  if (worstUnexpected) {
    kind = worstUnexpected.toLowerCase() as CellKind;
    label = `${worstUnexpected} ${of(acc.unexpected[worstUnexpected]!)}`;
    shown = `u${worstUnexpected}`;
  } else if (counts.unexpectedPass) {
    kind = "upass";
    label = `unexpected PASS ${of(counts.unexpectedPass)}`;
    shown = "upass";
  } else if (worstExpected) {
    kind = "xbad";
    label = `expected ${worstExpected} ${of(acc.expected[worstExpected]!)}`;
    shown = `x${worstExpected}`;
  } else if (counts.SKIP) {
    // Worst wins: a requirement not checked for want of a capability outranks PASS.
    kind = "skip";
    label = `SKIP ${of(counts.SKIP)}`;
    shown = "SKIP";
  } else if (counts.PASS) {
    kind = "pass";
    label = `PASS ${of(counts.PASS)}`;
    shown = "PASS";
  } else {
    kind = "na";
    label = `SKIP (n/a) ${of(counts.NA)}`;
    shown = "NA";
  }

  const parts: string[] = [];
  for (const s of BAD_ORDER) {
    const u = acc.unexpected[s] ?? 0;
    const x = acc.expected[s] ?? 0;
    if (u && shown !== `u${s}`) parts.push(`${u} ${s}`);
    if (x && shown !== `x${s}`) parts.push(`${x} expected ${s}`);
  }
  if (counts.unexpectedPass && shown !== "upass") parts.push(`${counts.unexpectedPass} unexpected PASS`);
  const plainPass = counts.PASS - counts.unexpectedPass;
  if (plainPass && shown !== "PASS") parts.push(`${plainPass} PASS`);
  if (counts.SKIP && shown !== "SKIP") parts.push(`${counts.SKIP} SKIP`);
  if (counts.NA && shown !== "NA") parts.push(`${counts.NA} n/a`);

  const bad = acc.bad.sort(
    (a, b) => CLASS_RANK[a.cls]! - CLASS_RANK[b.cls]! || STATUSES.indexOf(b.r.status) - STATUSES.indexOf(a.r.status) || a.r.caseId.localeCompare(b.r.caseId),
  );
  const records = bad.slice(0, cap).map(({ r, cls }): RecordTuple => [
    caseOf(r),
    r.status,
    cls,
    intern(r.code),
    intern(r.message),
    intern(r.evidence?.expected),
    intern(r.evidence?.seen),
    r.evidence?.address ?? -1,
    intern(r.evidence?.detail),
    r.expected ?? "",
  ]);
  return { kind, label, rest: parts.join(" · "), total, counts, records, more: bad.length - records.length };
}
