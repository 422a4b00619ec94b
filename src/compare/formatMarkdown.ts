import type { CompareOutput } from "./Compare.js";

const CASE_LEVEL = new Set(["CRASH", "TIMEOUT"]);

const cellText = (s: string): string => s.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();

/**
 * The comparison as Markdown tables, one per adapter, a column per input that tested it:
 * for the README's "what the suite finds" tables, made by the command rather than by
 * hand. A row per requirement that FAILs or ERRORs in some input, with the most
 * frequent reason and the variants it holds on; case-level CRASH and TIMEOUT (which
 * every requirement of the case records) in one row, `*`.
 */
export function formatMarkdown(doc: CompareOutput): string {
  const adapters = [...new Set(doc.variants.map((v) => v.adapter))];
  const out: string[] = [];
  for (const adapter of adapters) {
    const variants = doc.variants.filter((v) => v.adapter === adapter);
    const inputs = doc.inputs.map((_x, i) => i).filter((i) => doc.inputs[i]!.adapters.some((a) => a.id === adapter));
    const header = `| requirement | ${inputs.map((i) => cellText(doc.inputs[i]!.label)).join(" | ")} |`;
    const rule = `|---|${inputs.map(() => "---").join("|")}|`;
    const rows: string[] = [];

    // Case-level outcomes: the most CRASH (TIMEOUT) records any requirement of the variant has.
    const caseLevel = inputs.map((i) => {
      const parts: string[] = [];
      for (const v of variants) {
        const vi = v.inputs[i];
        if (!vi) continue;
        for (const s of ["CRASH", "TIMEOUT"] as const) {
          const n = Math.max(0, ...doc.cells.filter((c) => c.variant === v.key).map((c) => c.columns[i]?.counts[s] ?? 0));
          if (n) parts.push(`${s} ${n}/${vi.cases} (${v.variant})`);
        }
      }
      return parts.join(", ");
    });
    if (caseLevel.some(Boolean)) rows.push(`| \`*\` (CRASH, TIMEOUT) | ${caseLevel.map((t) => cellText(t || "none")).join(" | ")} |`);

    for (const req of doc.requirements) {
      const cells = variants.map((v) => ({ v, cell: doc.cells.find((c) => c.requirement === req.id && c.variant === v.key) }));
      const texts = inputs.map((i) => {
        const bad = new Map<string, string[]>();
        let ran = false;
        for (const { v, cell } of cells) {
          const col = cell?.columns[i];
          if (!col) continue;
          ran = true;
          const top = col.reasons.find((r) => !CASE_LEVEL.has(r.status));
          if (!top) continue;
          const n = col.counts.FAIL + col.counts.ERROR;
          const why = `${top.status === "FAIL" ? "" : `${top.status}: `}${top.message.split("\n")[0]}`;
          (bad.get(why) ?? bad.set(why, []).get(why)!).push(`${v.variant} ${n}/${col.total}`);
        }
        if (!bad.size) return ran ? "" : "not run";
        return [...bad].map(([why, where]) => `${why} (${where.join(", ")})`).join("; ");
      });
      if (texts.every((t) => t === "" || t === "not run")) continue;
      rows.push(`| \`${req.id}\` (${req.level}) | ${texts.map((t) => cellText(t || "PASS")).join(" | ")} |`);
    }
    out.push(`${adapter} (${variants.map((v) => v.variant).join(", ")}):`, "", header, rule, ...(rows.length ? rows : [`| nothing bad | ${inputs.map(() => "").join(" | ")} |`]), "");
  }
  return out.join("\n");
}
