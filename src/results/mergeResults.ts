import { sortCanonically } from "./sortCanonically.js";
import type { Results } from "./Results.js";

/**
 * Join the results.json files of a sharded campaign into the one an unsharded run
 * of the same seed writes. Throws when they cannot belong together (different
 * seeds, case counts, implementation versions) or overlap.
 */
export function mergeResults(parts: Results[]): Results {
  if (parts.length === 0) throw new Error("nothing to merge");
  const first = parts[0]!;
  for (const p of parts) {
    if (p.run.seed !== first.run.seed) throw new Error(`seeds differ: ${first.run.seed} and ${p.run.seed}`);
    if (p.run.cases !== first.run.cases) throw new Error(`case counts differ: ${first.run.cases} and ${p.run.cases}`);
    if (p.run.suiteVersion !== first.run.suiteVersion) throw new Error(`suite versions differ: ${first.run.suiteVersion} and ${p.run.suiteVersion}`);
  }
  const adapters: Results["run"]["adapters"] = [];
  for (const p of parts) {
    for (const a of p.run.adapters) {
      const seen = adapters.find((x) => x.id === a.id);
      if (!seen) adapters.push({ ...a, variants: [...a.variants] });
      else {
        if (seen.version !== a.version) throw new Error(`${a.id} versions differ between parts: ${seen.version} and ${a.version}`);
        for (const v of a.variants) if (!seen.variants.includes(v)) seen.variants.push(v);
      }
    }
  }
  const cases = parts.flatMap((p) => p.cases);
  const keys = new Set<string>();
  for (const c of cases) {
    const k = `${c.adapter}/${c.variant}/${c.caseId}`;
    if (keys.has(k)) throw new Error(`case ${k} is in more than one part: shards overlap`);
    keys.add(k);
  }
  // The shards of one campaign must all be there, or the file is not what one run writes.
  const sharded = parts.flatMap((p) => (p.run.shard ? [p.run.shard] : []));
  if (sharded.length > 0) {
    const count = sharded[0]!.count;
    if (sharded.some((s) => s.count !== count)) throw new Error(`shard counts differ: ${[...new Set(sharded.map((s) => s.count))].join(" and ")}`);
    const have = new Set(sharded.map((s) => s.index));
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !have.has(i));
    if (missing.length) throw new Error(`shard(s) ${missing.map((i) => `${i}/${count}`).join(", ")} missing: without them the merge is not the whole campaign`);
  }
  const records = parts.flatMap((p) => p.records);
  sortCanonically(cases, records, adapters);
  const { shard: _shard, ...run } = first.run;
  void _shard;
  // The command as one unsharded run would have been given.
  const command = run.command.filter((a, i, all) => a !== "--shard" && all[i - 1] !== "--shard" && !a.startsWith("--shard="));
  return {
    format: first.format,
    run: {
      ...run,
      command,
      startedAt: parts.map((p) => p.run.startedAt).sort()[0]!,
      finishedAt: parts.map((p) => p.run.finishedAt).sort().at(-1)!,
      adapters,
      requirements: Object.assign({}, ...parts.map((p) => p.run.requirements)) as Results["run"]["requirements"],
    },
    cases,
    records,
  };
}
