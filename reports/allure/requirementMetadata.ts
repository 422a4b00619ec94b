import type { SourceDocument } from "../../src/spec/schemas.js";
import type { AllureLabel, AllureLink } from "./AllureResult.js";

export interface RequirementEntry {
  level: "must" | "should" | "interop";
  side: "loader" | "kernel";
  statement: string;
  source: string;
}

export interface RequirementMetadata {
  labels: AllureLabel[];
  links: AllureLink[];
  /** "pvh.note" for pvh.note.entry.present: the areas the README names. */
  area: string;
  /** Conformance and interop verdicts are kept apart in every report, Allure's epics included. */
  epic: "conformance" | "interop";
  /** "pvh.pandoc#L16-L17 — Xen docs/misc/pvh.pandoc, ... (commit:...)" for a description. */
  sourceText: string;
}

/** Web pages of the specifications the catalogue pins by edition (no repository to link into). */
const editionUrls: Record<string, string> = {
  gabi: "https://www.sco.com/developers/gabi/2013-06-10/contents.html",
  acpi: "https://uefi.org/specs/ACPI/6.5/05_ACPI_Software_Programming_Model.html",
  multiboot: "https://www.gnu.org/software/grub/manual/multiboot/multiboot.html",
};

/**
 * The web view of a source at the document's pinned revision: a file in a repository at
 * its commit or tag (with the line range, for documents cited by line), or the page of a
 * specification's edition. The catalogue's own anchors (symbols, sections, headings)
 * stay in the link's name.
 */
export function sourceUrl(source: string, documents: Readonly<Record<string, SourceDocument>>): string | undefined {
  const [name = "", anchor = ""] = source.split("#");
  const d = documents[name];
  if (!d) return undefined;
  const m = /^(commit|tag):(.+)$/.exec(d.revision);
  if (m && d.path && /^[\w.-]+\/[\w.-]+$/.test(d.where)) {
    return `https://github.com/${d.where}/blob/${m[2]}/${d.path}${d.anchors === "lines" ? `#${anchor}` : ""}`;
  }
  return editionUrls[name];
}

const severities = { must: "critical", should: "normal", interop: "minor" } as const;

/**
 * The Allure labels and links of one requirement, shared by the results.json writer and
 * the vitest suites so both kinds of report group and filter the same way.
 */
export function requirementMetadata(id: string, entry: RequirementEntry | undefined, documents: Readonly<Record<string, SourceDocument>>): RequirementMetadata {
  const area = id.split(".").slice(0, 2).join(".");
  const epic = entry?.level === "interop" ? "interop" : "conformance";
  const labels: AllureLabel[] = [
    { name: "requirement", value: id },
    { name: "epic", value: epic },
    { name: "feature", value: area },
    { name: "story", value: id },
  ];
  const links: AllureLink[] = [];
  let sourceText = "";
  if (entry) {
    labels.push(
      { name: "level", value: entry.level },
      { name: "side", value: entry.side },
      { name: "severity", value: severities[entry.level] },
      { name: "source", value: entry.source },
    );
    const document = entry.source.split("#")[0] ?? entry.source;
    const url = sourceUrl(entry.source, documents);
    if (url) links.push({ name: entry.source, url, type: "link" });
    const about = documents[document];
    sourceText = about ? `${entry.source} — ${about.title} (${about.revision})` : entry.source;
  }
  return { labels, links, area, epic, sourceText };
}
