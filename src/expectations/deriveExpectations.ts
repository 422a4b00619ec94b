import type { CaseRecord, ResultRecord, Results } from "../results/Results.js";
import { majorMinor } from "./applyExpectations.js";
import type { Expectation, ExpectationsFile } from "./Expectations.js";
import { BAD_STATUSES } from "../model/Verdict.js";

/** Cases a deviation must have been seen in before a PASS there counts as unexpected (fixed). */
const DEMAND_MIN_CASES = 20;

interface Group {
  requirement: string;
  status: string;
  cases: CaseRecord[];
  messages: string[];
}

/**
 * The narrowest tag condition that covers every case of a group: from the empty
 * condition, single tags and pairs of tags common to all of them, the one that also
 * covers the fewest other cases of the same variant.
 */
function condition(group: CaseRecord[], universe: CaseRecord[], maxTags = 2): string[] {
  const common = group[0]!.tags.filter((t) => group.every((c) => c.tags.includes(t)));
  const candidates: string[][] = [[], ...common.map((t) => [t])];
  if (maxTags >= 2) for (let i = 0; i < common.length; i++) for (let j = i + 1; j < common.length; j++) candidates.push([common[i]!, common[j]!]);
  const ids = new Set(group.map((c) => c.caseId));
  const scored = candidates.map((cand) => ({
    cand,
    extra: universe.filter((c) => cand.every((t) => c.tags.includes(t)) && !ids.has(c.caseId)).length,
  }));
  // Fewer tags unless more tags cover clearly fewer other cases: a deviation that shows
  // only sometimes (a crash) must not be pinned to tags that happened to come along.
  const least = Math.min(...scored.map((x) => x.extra));
  const good = scored.filter((x) => x.extra <= least * 1.5 + 5);
  good.sort((a, b) => a.cand.length - b.cand.length || a.extra - b.extra);
  return good[0]!.cand;
}

/** A message with its numbers taken out, so that the same kind of event groups together. */
function messageKind(m: string | null): string {
  // Numbers, and hex words with a digit in them (Xen prints addresses without 0x).
  return (m ?? "").split("\n")[0]!.replace(/0x[0-9a-f]+|\b[0-9a-f]*\d[0-9a-f]*\b|\d+/gi, "#").slice(0, 120);
}

/** How many tags may narrow a group: few cases can share tags by chance, so those get one at most. */
const tagsFor = (g: Group): number => (g.cases.length < 3 ? 1 : 2);

/**
 * A group whose narrowest condition still covers cases that passed may be several
 * deviations under one requirement (a loader refusing valid images for three different
 * reasons): then one group per kind of message, each narrowed on its own, and kinds the
 * same condition narrows joined again. Otherwise the group as it is.
 */
function narrowed(g: Group, judgedHere: CaseRecord[]): { g: Group; when: string[] }[] {
  const when = condition(g.cases, judgedHere, tagsFor(g));
  const covered = judgedHere.filter((c) => when.every((t) => c.tags.includes(t))).length;
  if (covered === g.cases.length) return [{ g, when }];
  const parts = new Map<string, Group>();
  g.cases.forEach((c, i) => {
    const k = messageKind(g.messages[i]!);
    let p = parts.get(k);
    if (!p) parts.set(k, (p = { requirement: g.requirement, status: g.status, cases: [], messages: [] }));
    p.cases.push(c);
    p.messages.push(g.messages[i]!);
  });
  if (parts.size === 1) return [{ g, when }];
  const byWhen = new Map<string, { g: Group; when: string[] }>();
  for (const p of parts.values()) {
    const w = condition(p.cases, judgedHere, tagsFor(p));
    const k = JSON.stringify(w);
    const m = byWhen.get(k);
    if (!m) byWhen.set(k, { g: p, when: w });
    else {
      m.g.cases.push(...p.cases);
      m.g.messages.push(...p.messages);
    }
  }
  return [...byWhen.values()];
}

function topMessage(messages: string[]): string {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(m, (counts.get(m) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
}

/** Expectations that make this results file pass the gate, each with its evidence. */
export function deriveExpectations(results: Results, adapter: string): ExpectationsFile {
  const info = results.run.adapters.find((a) => a.id === adapter);
  if (!info) throw new Error(`the results hold no run of adapter ${adapter}`);
  const out: Expectation[] = [];
  for (const variant of info.variants) {
    const cases = results.cases.filter((c) => c.adapter === adapter && c.variant === variant);
    const byId = new Map(cases.map((c) => [c.caseId, c]));
    // Case-level outcomes first: a crash or a timeout marks every requirement of its case.
    const caseLevel = new Map<string, CaseRecord[]>();
    for (const c of cases) {
      // A harness error is this suite's bug, never an implementation's known deviation: it stays unexpected.
      if (c.outcome === "crashed" || c.outcome === "timeout") {
        const status = c.outcome === "crashed" ? "CRASH" : "TIMEOUT";
        // Different ways of dying are different deviations (a SIGSEGV is not a guest reset).
        const k = `${status}\t${messageKind(c.message)}\t${c.malformed ?? ""}`;
        caseLevel.set(k, [...(caseLevel.get(k) ?? []), c]);
      }
    }
    for (const [key, group] of caseLevel) {
      const status = key.split("\t")[0]!;
      out.push({
        requirement: "*",
        variants: [variant],
        // Crashes and timeouts may show only sometimes: one tag at most, so chance co-occurrences do not narrow them.
        when: condition(group, cases, 1),
        allow: [status as Expectation["allow"][number]],
        reason: `${status} in ${group.length} of ${cases.length} cases; e.g. ${group[0]!.caseId}: ${(group[0]!.message ?? "").split("\n")[0]!.slice(0, 200)}`,
      });
    }
    const caseLevelIds = new Set([...caseLevel.values()].flat().map((c) => c.caseId));
    const groups = new Map<string, Group>();
    // Per requirement, the cases where it was judged at all (not SKIP): coverage is counted among those.
    const judged = new Map<string, Set<string>>();
    for (const r of results.records as ResultRecord[]) {
      if (r.adapter !== adapter || r.variant !== variant || r.status === "SKIP" || byId.get(r.caseId)?.outcome === "harness-error") continue;
      let set = judged.get(r.requirement);
      if (!set) judged.set(r.requirement, (set = new Set()));
      set.add(r.caseId);
    }
    for (const r of results.records as ResultRecord[]) {
      if (r.adapter !== adapter || r.variant !== variant || !BAD_STATUSES.has(r.status) || caseLevelIds.has(r.caseId)) continue;
      if (byId.get(r.caseId)?.outcome === "harness-error") continue;
      const k = `${r.requirement} ${r.status} ${byId.get(r.caseId)!.malformed ?? ""}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { requirement: r.requirement, status: r.status, cases: [], messages: [] }));
      g.cases.push(byId.get(r.caseId)!);
      g.messages.push(r.message);
    }
    for (const whole of groups.values()) {
      const judgedHere = cases.filter((c) => judged.get(whole.requirement)?.has(c.caseId) && !caseLevelIds.has(c.caseId));
      for (const { g, when } of narrowed(whole, judgedHere)) {
        const covered = judgedHere.filter((c) => when.every((t) => c.tags.includes(t)));
        const allow: Expectation["allow"] = [g.status as Expectation["allow"][number]];
        // Where the condition also covers cases that passed, passing stays allowed; and a
        // deviation seen in few cases is not demanded (another seed may show the exception).
        if (covered.length > g.cases.length || g.cases.length < DEMAND_MIN_CASES) allow.push("PASS", "SKIP");
        out.push({
          requirement: g.requirement,
          variants: [variant],
          when,
          allow,
          reason: `${g.status} in ${g.cases.length} of ${covered.length} covered cases: ${topMessage(g.messages).slice(0, 200)} (e.g. ${g.cases.slice(0, 3).map((c) => c.caseId).join(", ")})`,
        });
      }
    }
  }
  // One entry for the same deviation on several variants.
  const merged = new Map<string, Expectation>();
  for (const e of out) {
    const k = JSON.stringify([e.requirement, e.when, e.allow]);
    const m = merged.get(k);
    if (m) m.variants.push(...e.variants.filter((v) => !m.variants.includes(v)));
    else merged.set(k, { ...e, variants: [...e.variants] });
  }
  return {
    format: "pvh-conformance/expectations@1",
    adapter,
    version: info.version,
    generatedFrom: { seed: results.run.seed, cases: results.run.cases, suiteVersion: results.run.suiteVersion, finishedAt: results.run.finishedAt },
    expectations: [...merged.values()].sort((a, b) => a.requirement.localeCompare(b.requirement)),
  };
}

/**
 * The file `into` with the entries of the variants `fresh` was made from replaced by
 * fresh's, the others kept as they were: how a campaign on some variants (KVM, say)
 * joins the file of another. Both must be of one adapter and one major.minor version.
 */
export function mergeExpectations(into: ExpectationsFile, fresh: ExpectationsFile, variants: string[]): ExpectationsFile {
  if (into.adapter !== fresh.adapter) throw new Error(`cannot merge expectations of ${fresh.adapter} into a file of ${into.adapter}`);
  if (majorMinor(into.version) !== majorMinor(fresh.version)) throw new Error(`cannot merge expectations of "${fresh.version}" into a file made from "${into.version}"`);
  const replaced = new Set(variants);
  const kept = into.expectations
    .map((e) => ({ ...e, variants: e.variants.filter((v) => !replaced.has(v)) }))
    .filter((e) => e.variants.length > 0);
  return {
    ...into,
    mergedFrom: [...(into.mergedFrom ?? []).map((m) => ({ ...m, variants: m.variants.filter((v) => !replaced.has(v)) })).filter((m) => m.variants.length > 0), { ...fresh.generatedFrom, variants }],
    expectations: [...kept, ...fresh.expectations],
  };
}

/**
 * The file without the entries of requirements the catalogue has withdrawn (or never
 * had): no record of a current run can match them, so they would only ever be listed
 * as matching nothing. The case-level "*" entries stay. What went is returned, for the
 * command to say.
 */
export function withoutWithdrawn(file: ExpectationsFile, catalogue: ReadonlyArray<{ id: string; status: string }>): { file: ExpectationsFile; withdrawn: Expectation[] } {
  const active = new Set(catalogue.filter((r) => r.status === "active").map((r) => r.id));
  const keep = (e: Expectation): boolean => e.requirement === "*" || active.has(e.requirement);
  return { file: { ...file, expectations: file.expectations.filter(keep) }, withdrawn: file.expectations.filter((e) => !keep(e)) };
}

/**
 * The fresh file with `previous`'s entries for the variants the fresh run ran added
 * back (only those variants, each entry once): what two campaigns saw, for a loader whose
 * deviations land on different cases from run to run.
 */
export function accumulateExpectations(previous: ExpectationsFile, fresh: ExpectationsFile, variants: string[]): ExpectationsFile {
  const ran = new Set(variants);
  const key = (e: Expectation): string => JSON.stringify([e.requirement, e.when, e.allow]);
  const out = new Map<string, Expectation>();
  const add = (e: Expectation): void => {
    const m = out.get(key(e));
    if (m) m.variants.push(...e.variants.filter((v) => !m.variants.includes(v)));
    else out.set(key(e), { ...e, variants: [...e.variants] });
  };
  fresh.expectations.forEach(add);
  for (const e of previous.expectations) {
    const vs = e.variants.filter((v) => ran.has(v));
    if (vs.length) add({ ...e, variants: vs });
  }
  return { ...fresh, expectations: [...out.values()].sort((a, b) => a.requirement.localeCompare(b.requirement)) };
}
