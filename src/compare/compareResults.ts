import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { BAD_STATUSES, STATUSES, type Status } from "../model/Verdict.js";
import type { CaseRecord, ResultRecord, Results } from "../results/Results.js";
import { shellLine } from "../_internals/shellQuote.js";
import { caseReplayCommand } from "../runner/replayCommand.js";
import type { CaseChange, Cell, Column, CompareCase, CompareInput, CompareOutput, CompareVariant, Counts, Reason, Step } from "./Compare.js";

/** Cases listed per column of a cell; past it the document says how many more there are. */
export const CASES_PER_COLUMN = 50;
const REASONS_KEPT = 10;

export interface CompareSource {
  results: Results;
  /** the results.json read, for the document and for finding reproducers beside it */
  file: string;
  label?: string;
}

/** One input's records and cases for one adapter variant, indexed. */
interface VariantData {
  cases: Map<string, CaseRecord>;
  /** requirement → caseId → record */
  byRequirement: Map<string, Map<string, ResultRecord>>;
}

const key = (adapter: string, variant: string): string => `${adapter}/${variant}`;
const isBad = (s: string): boolean => BAD_STATUSES.has(s);
const WORST_FIRST: Status[] = [...STATUSES].reverse();

function index(results: Results): Map<string, VariantData> {
  const out = new Map<string, VariantData>();
  const get = (k: string): VariantData => {
    let d = out.get(k);
    if (!d) out.set(k, (d = { cases: new Map(), byRequirement: new Map() }));
    return d;
  };
  for (const a of results.run.adapters) for (const v of a.variants) get(key(a.id, v));
  for (const c of results.cases) get(key(c.adapter, c.variant)).cases.set(c.caseId, c);
  for (const r of results.records) {
    const d = get(key(r.adapter, r.variant));
    let m = d.byRequirement.get(r.requirement);
    if (!m) d.byRequirement.set(r.requirement, (m = new Map()));
    const had = m.get(r.caseId);
    // One record per (requirement, variant, case); should a file hold two, the worse one speaks.
    if (!had || STATUSES.indexOf(r.status) > STATUSES.indexOf(had.status)) m.set(r.caseId, r);
  }
  return out;
}

/** The same case on both sides: the same id (from seed and index) and the same content. */
function sameCase(a: CaseRecord | undefined, b: CaseRecord | undefined): boolean {
  return a !== undefined && b !== undefined && a.replay.caseSeed === b.replay.caseSeed && a.replay.example === b.replay.example && a.summary === b.summary;
}

function shortVersion(v: string): string {
  return /\d+\.\d+[\w.+~-]*/.exec(v)?.[0] ?? v;
}

/** "qemu 7.2.22", from the adapters a run tested (the reference loader only when it is alone). */
export function defaultLabel(results: Results): string {
  const others = results.run.adapters.filter((a) => a.id !== "reference");
  const shown = others.length ? others : results.run.adapters;
  return shown.map((a) => `${a.id} ${shortVersion(a.version)}`).join(", ") || `seed ${results.run.seed}`;
}

function labels(sources: CompareSource[]): string[] {
  const base = sources.map((s) => s.label ?? defaultLabel(s.results));
  return base.map((l, i) => {
    if (sources[i]!.label !== undefined || base.filter((x) => x === l).length === 1) return l;
    const sameSeed = sources.filter((s, j) => base[j] === l && s.results.run.seed === sources[i]!.results.run.seed).length;
    return sameSeed === 1 ? `${l} seed ${sources[i]!.results.run.seed}` : `${l} #${i + 1}`;
  });
}

/** The options of the run's command line that pick the loader's binary, so a replay uses the same one. */
function loaderOptions(command: readonly string[]): string[] {
  const keep = new Set(["--qemu", "--qemu-arg", "--xen", "--boot-timeout"]);
  const out: string[] = [];
  for (let i = 0; i < command.length; i++) {
    const a = command[i]!;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0 && keep.has(a.slice(0, eq))) out.push(a);
    else if (keep.has(a) && i + 1 < command.length) out.push(a, command[++i]!);
  }
  return out;
}

/**
 * The case's replay command (the one the run recorded, else what its replay fields
 * allow), with the run's choice of loader binary added: a 10.0 run's case replays on 10.0.
 */
export function replayLine(c: CaseRecord, runCommand: readonly string[]): string {
  const line = caseReplayCommand(c);
  const extra = loaderOptions(runCommand);
  const prefix = shellLine(["pvh-conformance", "run", "--adapter", c.adapter, "--variant", c.variant]);
  if (!extra.length || !line.startsWith(`${prefix} `) || extra.some((o) => o.startsWith("--") && line.includes(` ${o.split("=")[0]} `))) return line;
  return `${prefix} ${shellLine(extra)}${line.slice(prefix.length)}`;
}

function zero(): Counts {
  return { PASS: 0, SKIP: 0, NA: 0, ERROR: 0, FAIL: 0, TIMEOUT: 0, CRASH: 0 };
}

function reasons(bad: ResultRecord[]): Reason[] {
  const groups = new Map<string, ResultRecord[]>();
  for (const r of bad) {
    const k = `${r.status}\u0000${r.code}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(r);
  }
  const out: Reason[] = [];
  for (const g of groups.values()) {
    const byMessage = new Map<string, ResultRecord[]>();
    for (const r of g) (byMessage.get(r.message) ?? byMessage.set(r.message, []).get(r.message)!).push(r);
    const common = [...byMessage.values()].sort((a, b) => b.length - a.length)[0]!;
    const first = common.find((r) => r.evidence) ?? common[0]!;
    out.push({ status: first.status, code: first.code, message: first.message, ...(first.evidence ? { evidence: first.evidence } : {}), cases: g.length });
  }
  return out.sort((a, b) => b.cases - a.cases || STATUSES.indexOf(b.status) - STATUSES.indexOf(a.status)).slice(0, REASONS_KEPT);
}

const CHANGE_RANK: Record<string, number> = { regressed: 0, "still-failing": 1, null: 2, fixed: 3, unchecked: 4 };

function caseChange(prev: Status, cur: Status): CaseChange | null {
  if (isBad(prev)) return isBad(cur) ? "still-failing" : cur === "PASS" ? "fixed" : "unchecked";
  return isBad(cur) ? "regressed" : null;
}

interface Side {
  input: number;
  data: VariantData;
  records: Map<string, ResultRecord> | undefined;
}

/**
 * Two or more results side by side, oldest first. Cases are matched by id where
 * both inputs ran them with the same content (the same seed and index, or the same
 * boundary example); where they did not (different seeds), the requirement's
 * aggregate decides. Adapters are matched by id and variant, whatever their version.
 */
export function compareResults(sources: CompareSource[], opts: { campaign?: boolean; cap?: number } = {}): CompareOutput {
  if (sources.length < 2) throw new Error("compare needs at least two results");
  const cap = opts.cap ?? CASES_PER_COLUMN;
  const mode = opts.campaign || sources.length > 2 ? "campaign" : "pair";
  const names = labels(sources);
  const indexed = sources.map((s) => index(s.results));

  const inputs: CompareInput[] = sources.map((s, i) => ({
    label: names[i]!,
    file: s.file,
    suiteVersion: s.results.run.suiteVersion,
    seed: s.results.run.seed,
    cases: s.results.run.cases,
    startedAt: s.results.run.startedAt,
    adapters: s.results.run.adapters.map((a) => ({ id: a.id, version: a.version, binary: a.binary, variants: a.variants })),
  }));

  // Variants in the order the inputs list them.
  const variantKeys: string[] = [];
  for (const ix of indexed) for (const k of ix.keys()) if (!variantKeys.includes(k)) variantKeys.push(k);

  // Requirements in catalogue order: the newest input's catalogue first, then any only older ones name.
  const reqInfo = new Map<string, CompareOutput["requirements"][number]>();
  for (const s of [...sources].reverse()) {
    for (const [id, r] of Object.entries(s.results.run.requirements)) if (!reqInfo.has(id)) reqInfo.set(id, { id, level: r.level, side: r.side, statement: r.statement });
  }
  for (const s of sources) for (const r of s.results.records) if (!reqInfo.has(r.requirement)) reqInfo.set(r.requirement, { id: r.requirement, level: "unknown", side: "", statement: "(not in the run's catalogue)" });
  const requirementOrder = [...reqInfo.keys()];

  const variants: CompareVariant[] = [];
  const cells: Cell[] = [];
  for (const vk of variantKeys) {
    const [adapter, ...rest] = vk.split("/");
    const variant = rest.join("/");
    const present = indexed.map((ix) => ix.get(vk));
    // The inputs this variant is compared across: in a pair, both (a variant one side lacks is
    // new or gone); in a campaign, those that tested the adapter at all (Xen runs are not
    // compared with QEMU runs), so a variant a release dropped still shows as gone.
    const chain = sources
      .map((s, i) => i)
      .filter((i) => mode === "pair" || present[i] !== undefined || sources[i]!.results.run.adapters.some((a) => a.id === adapter) || sources[i]!.results.records.some((r) => r.adapter === adapter));
    const empty: VariantData = { cases: new Map(), byRequirement: new Map() };
    const pairs: [number, number][] = chain.slice(1).map((to, k) => [chain[k]!, to]);
    variants.push({
      key: vk,
      adapter: adapter!,
      variant,
      inputs: present.map((d, i) => (d ? { version: sources[i]!.results.run.adapters.find((a) => a.id === adapter)?.version ?? "unknown", cases: d.cases.size } : null)),
      steps: pairs.map(([from, to]) => {
        const a = present[from] ?? empty;
        const b = present[to] ?? empty;
        let matched = 0;
        let differing = 0;
        for (const [id, c] of a.cases) {
          const d = b.cases.get(id);
          if (sameCase(c, d)) matched++;
          else if (d) differing++;
        }
        return { from, to, matched, onlyFrom: a.cases.size - matched - differing, onlyTo: b.cases.size - matched - differing, differing };
      }),
    });

    const previousOf = new Map(pairs.map(([from, to]) => [to, from]));
    for (const req of requirementOrder) {
      const sides: (Side | null)[] = present.map((d, i) => (d ? { input: i, data: d, records: d.byRequirement.get(req) } : null));
      if (sides.every((s) => !s?.records?.size)) continue;
      const columns: (Column | null)[] = sides.map((s, i) => {
        if (!s?.records?.size) return null;
        const from = previousOf.get(i);
        const prev = from === undefined ? undefined : sides[from] ?? undefined;
        return column(s, prev, sources[i]!, cap);
      });
      const steps: Step[] = [];
      for (const [from, to] of pairs) {
        const step = compareStep(sides[from] ?? null, sides[to] ?? null, from, to);
        if (step) steps.push(step);
      }
      cells.push({ requirement: req, variant: vk, columns, steps });
    }
  }

  // Every (from, to) that some step uses, in input order.
  const pairKeys = new Map<string, CompareOutput["totals"][number]>();
  for (const c of cells)
    for (const st of c.steps) {
      const k = `${st.from}>${st.to}`;
      let t = pairKeys.get(k);
      if (!t) pairKeys.set(k, (t = { from: st.from, to: st.to, regressed: 0, fixed: 0, stillFailing: 0, unchecked: 0, good: 0, new: 0, gone: 0 }));
      if (st.change === "still-failing") t.stillFailing++;
      else t[st.change]++;
    }
  const stepTotals = [...pairKeys.values()].sort((a, b) => a.from - b.from || a.to - b.to);
  const requirements = requirementOrder.filter((id) => cells.some((c) => c.requirement === id)).map((id) => reqInfo.get(id)!);
  return { format: "pvh-conformance/compare@1", mode, inputs, variants, requirements, cells, totals: stepTotals, regressed: stepTotals.some((t) => t.regressed > 0), cap };
}

function column(side: Side, prev: Side | undefined, source: CompareSource, cap: number): Column {
  const counts = zero();
  const bad: ResultRecord[] = [];
  const listed: { r: ResultRecord; change: CaseChange | null; previous: Status | null }[] = [];
  for (const r of side.records!.values()) {
    if (r.status === "SKIP" && r.notApplicable) counts.NA++;
    else counts[r.status]++;
    const c = side.data.cases.get(r.caseId);
    const pc = prev?.data.cases.get(r.caseId);
    const pr = prev && sameCase(c, pc) ? prev.records?.get(r.caseId) : undefined;
    const change = pr ? caseChange(pr.status, r.status) : null;
    if (isBad(r.status)) bad.push(r);
    if (isBad(r.status) || change === "fixed" || change === "unchecked") listed.push({ r, change, previous: pr?.status ?? null });
  }
  listed.sort((a, b) => CHANGE_RANK[String(a.change)]! - CHANGE_RANK[String(b.change)]! || WORST_FIRST.indexOf(a.r.status) - WORST_FIRST.indexOf(b.r.status));
  const dir = dirname(source.file);
  const cases: CompareCase[] = listed.slice(0, cap).map(({ r, change, previous }) => {
    const c = side.data.cases.get(r.caseId);
    const repro = join(dir, "repro", r.caseId, "run.sh");
    return {
      caseId: r.caseId,
      status: r.status,
      code: r.code,
      message: r.message,
      ...(r.evidence ? { evidence: r.evidence } : {}),
      change,
      previous,
      outcome: c?.outcome ?? "unknown",
      summary: c?.summary ?? "(the case is not in results.cases)",
      replay: c ? replayLine(c, source.results.run.command) : "",
      command: c?.command ? shellLine(c.command) : null,
      reproducer: existsSync(repro) ? repro : null,
    };
  });
  return { label: columnLabel(counts, side.records!.size), total: side.records!.size, counts, bad: bad.length, reasons: reasons(bad), cases, more: listed.length - cases.length };
}

/** The worst status present and its share of the records. */
export function columnLabel(counts: Counts, total: number): string {
  for (const s of ["CRASH", "TIMEOUT", "FAIL", "ERROR"] as const) if (counts[s]) return `${s} ${counts[s]}/${total}`;
  if (counts.SKIP) return `SKIP ${counts.SKIP}/${total}`;
  if (counts.PASS) return `PASS ${counts.PASS}/${total}`;
  return `SKIP (n/a) ${counts.NA}/${total}`;
}

function compareStep(a: Side | null, b: Side | null, from: number, to: number): Step | null {
  const ra = a?.records;
  const rb = b?.records;
  const zeroStep = { from, to, basis: "requirement" as const, matched: 0, fixed: 0, regressed: 0, stillFailing: 0, unchecked: 0 };
  if (!ra?.size && !rb?.size) return null;
  if (!ra?.size) return { ...zeroStep, change: "new" };
  if (!rb?.size) return { ...zeroStep, change: "gone" };
  let matched = 0;
  let fixed = 0;
  let regressed = 0;
  let stillFailing = 0;
  let unchecked = 0;
  let badA = 0;
  let badAMatched = 0;
  for (const [id, r] of ra) {
    if (isBad(r.status)) badA++;
    const s = rb.get(id);
    if (!s || !sameCase(a!.data.cases.get(id), b!.data.cases.get(id))) continue;
    matched++;
    if (isBad(r.status)) badAMatched++;
    const ch = caseChange(r.status, s.status);
    if (ch === "fixed") fixed++;
    else if (ch === "regressed") regressed++;
    else if (ch === "still-failing") stillFailing++;
    else if (ch === "unchecked") unchecked++;
  }
  let badB = 0;
  let passB = 0;
  for (const r of rb.values()) {
    if (isBad(r.status)) badB++;
    else if (r.status === "PASS") passB++;
  }
  const counts = { matched, fixed, regressed, stillFailing, unchecked };
  if (regressed) return { from, to, change: "regressed", basis: "cases", ...counts };
  if (!badA && badB) return { from, to, change: "regressed", basis: "requirement", ...counts };
  if (badA && badB) return { from, to, change: "still-failing", basis: stillFailing ? "cases" : "requirement", ...counts };
  if (badA) return { from, to, change: passB ? "fixed" : "unchecked", basis: badAMatched === badA ? "cases" : "requirement", ...counts };
  return { from, to, change: "good", basis: matched === ra.size && matched === rb.size ? "cases" : "requirement", ...counts };
}
