import type { Adapter, AdapterOption, Variant } from "../../adapters/Adapter.js";

/** One option as run's parser sees it: the adapters that declared it, alike. */
export interface DeclaredOption {
  option: AdapterOption;
  adapters: string[];
}

const sameShape = (a: AdapterOption, b: AdapterOption): boolean =>
  a.key === b.key && a.value === b.value && Boolean(a.multiple) === Boolean(b.multiple) && Boolean(a.dashValues) === Boolean(b.dashValues) && a.facet === b.facet;

/**
 * Every adapter's options, merged by flag. Two adapters may declare one flag only
 * alike (the same key, value and kind), else the registry is inconsistent and this throws.
 */
export function declaredOptions(adapters: readonly Adapter[], reserved: ReadonlySet<string>): DeclaredOption[] {
  const byFlag = new Map<string, DeclaredOption>();
  for (const a of adapters) {
    for (const o of a.options ?? []) {
      if (reserved.has(o.flag)) throw new Error(`adapter ${a.id} declares --${o.flag}, which is one of run's own options`);
      const seen = byFlag.get(o.flag);
      if (!seen) byFlag.set(o.flag, { option: o, adapters: [a.id] });
      else if (!sameShape(seen.option, o)) throw new Error(`adapters ${seen.adapters.join(", ")} and ${a.id} declare --${o.flag} differently`);
      else seen.adapters.push(a.id);
    }
  }
  return [...byFlag.values()];
}

/** parseArgs entries for the declared options. */
export function parserOptions(declared: readonly DeclaredOption[]): Record<string, { type: "string"; multiple?: boolean }> {
  return Object.fromEntries(declared.map(({ option: o }) => [o.flag, { type: "string" as const, ...(o.multiple ? { multiple: true } : {}) }]));
}

/** `--qemu-arg -L`: parseArgs would read "-L" as an option; glue such a pair into `--qemu-arg=-L`. */
export function glueDashValues(args: readonly string[], declared: readonly DeclaredOption[]): string[] {
  const dash = new Set(declared.filter((d) => d.option.dashValues).map((d) => `--${d.option.flag}`));
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (dash.has(args[i]!) && i + 1 < args.length) out.push(`${args[i]}=${args[++i]}`);
    else out.push(args[i]!);
  }
  return out;
}

function wrap(text: string, indent: number, width = 80): string[] {
  const lines: string[] = [];
  let line = "";
  for (const w of text.split(/\s+/)) {
    if (line && indent + line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}

/** The help section of the adapters' own options, each marked with the adapters that read it. */
export function adapterOptionsHelp(declared: readonly DeclaredOption[]): string {
  const col = 22;
  const out: string[] = [];
  for (const { option: o, adapters } of declared) {
    const head = `  --${o.flag} ${o.value}`;
    const body = wrap(`${o.help} [${adapters.join(", ")}]`, col);
    out.push(head.length + 1 < col ? head.padEnd(col) + body[0] : `${head}\n${" ".repeat(col)}${body[0]}`);
    for (const l of body.slice(1)) out.push(" ".repeat(col) + l);
  }
  return out.join("\n") + "\n";
}

const split = (v: string | string[] | undefined): string[] =>
  (v === undefined ? [] : Array.isArray(v) ? v : [v]).flatMap((x) => x.split(",")).map((s) => s.trim()).filter(Boolean);

/** The configure() values one adapter gets: its own non-facet options that were given. */
export function configurationFor(adapter: Adapter, values: Readonly<Record<string, string | string[] | boolean | undefined>>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const o of adapter.options ?? []) {
    if (o.facet) continue;
    const v = values[o.flag];
    if (typeof v === "string" || Array.isArray(v)) out[o.key] = v;
  }
  return out;
}

/** The adapter's own non-facet options as given, as argv words (a replay repeats them; the variant stands for the facets). */
export function adapterArgsGiven(adapter: Adapter, values: Readonly<Record<string, string | string[] | boolean | undefined>>): string[] {
  const out: string[] = [];
  for (const o of adapter.options ?? []) {
    if (o.facet) continue;
    const v = values[o.flag];
    for (const x of typeof v === "string" ? [v] : Array.isArray(v) ? v : []) out.push(o.dashValues ? `--${o.flag}=${x}` : `--${o.flag}`, ...(o.dashValues ? [] : [x]));
  }
  return out;
}

/** Whether any facet option of this adapter was given (then variants are chosen by facets). */
export function facetFiltering(adapter: Adapter, values: Readonly<Record<string, unknown>>): boolean {
  return (adapter.options ?? []).some((o) => o.facet && values[o.flag] !== undefined);
}

/**
 * The variants the facet options select: each facet given keeps the variants with one
 * of its values; a facet not given keeps its declared default values, or any.
 */
export function variantsByFacets(adapter: Adapter, variants: readonly Variant[], values: Readonly<Record<string, string | string[] | boolean | undefined>>): Variant[] {
  const facets = (adapter.options ?? []).filter((o) => o.facet);
  return variants.filter((v) =>
    facets.every((o) => {
      const given = split(values[o.flag] as string | string[] | undefined);
      const wanted = given.length ? given : [...(o.facetDefault ?? [])];
      return wanted.length === 0 || wanted.includes(v.facets?.[o.facet!] ?? "");
    }),
  );
}

/** Facet values given that no variant of any adapter declaring the option has (a typo such as --machine q53). */
export function unknownFacetValues(adapters: readonly Adapter[], values: Readonly<Record<string, string | string[] | boolean | undefined>>): string[] {
  const known = new Map<string, Set<string>>();
  for (const a of adapters) {
    for (const o of a.options ?? []) {
      if (!o.facet) continue;
      const set = known.get(o.flag) ?? new Set<string>();
      for (const v of a.variants) if (v.facets?.[o.facet] !== undefined) set.add(v.facets[o.facet]!);
      known.set(o.flag, set);
    }
  }
  const out: string[] = [];
  for (const [flag, set] of known) for (const g of split(values[flag] as string | string[] | undefined)) if (!set.has(g)) out.push(`--${flag} ${g} (known: ${[...set].join(", ")})`);
  return out;
}
