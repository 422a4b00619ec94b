import type { Expectation, ExpectationsFile } from "./Expectations.js";

/** The entry a regenerated one continues: the same requirement and case tags, and a variant in common. */
function counterpart(fresh: Expectation, old: readonly Expectation[]): Expectation | undefined {
  const sameWhen = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().every((t, i) => t === [...b].sort()[i]);
  return old.find((o) => (o.note !== undefined || o.link !== undefined) && o.requirement === fresh.requirement && sameWhen(o.when, fresh.when) && o.variants.some((v) => fresh.variants.includes(v)));
}

export interface Carried {
  file: ExpectationsFile;
  /** Annotated entries of the old file that no regenerated entry continues (their note or link would be lost). */
  dropped: Expectation[];
}

/**
 * A regenerated expectations file keeps what people wrote into the one it replaces:
 * each entry's `note` and `link` move to the entry that continues it. The `reason`
 * is the suite's own account of the evidence and is always rewritten.
 */
export function carryAnnotations(fresh: ExpectationsFile, old: ExpectationsFile | undefined): Carried {
  if (!old) return { file: fresh, dropped: [] };
  const used = new Set<Expectation>();
  const expectations = fresh.expectations.map((e) => {
    const o = counterpart(e, old.expectations);
    if (!o) return e;
    used.add(o);
    return { ...e, ...(o.note !== undefined ? { note: o.note } : {}), ...(o.link !== undefined ? { link: o.link } : {}) };
  });
  const dropped = old.expectations.filter((o) => (o.note !== undefined || o.link !== undefined) && !used.has(o));
  return { file: { ...fresh, expectations }, dropped };
}
