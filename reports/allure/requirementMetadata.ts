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
  /** "pvh.pandoc#ebx — Xen docs/misc/pvh.pandoc, ..." for a description. */
  sourceText: string;
}

const xenbits = (path: string): string => `https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=${path};hb=HEAD`;

/**
 * Web views of the catalogue's source documents. The anchors are the catalogue's own
 * names, not HTML anchors, so links go to the document and the anchor stays in the
 * link's name. A document with no single page (vmm-loaders) gets no link: its name
 * and description are in the label and the description instead.
 */
const documentUrls: Record<string, string> = {
  "pvh.pandoc": xenbits("docs/misc/pvh.pandoc"),
  "start_info.h": xenbits("xen/include/public/arch-x86/hvm/start_info.h"),
  "elfnote.h": xenbits("xen/include/public/elfnote.h"),
  "xen.h": xenbits("xen/include/public/xen.h"),
  "xen-pvh-guest": xenbits("xen/arch/x86/guest/xen/pvh-boot.c"),
  "linux-pvh": "https://github.com/torvalds/linux/tree/master/arch/x86/platform/pvh",
  "freebsd-pv": "https://github.com/freebsd/freebsd-src/blob/main/sys/x86/xen/pv.c",
  "ovmf-pvh": "https://github.com/tianocore/edk2/tree/master/OvmfPkg",
  gabi: "https://www.sco.com/developers/gabi/latest/contents.html",
  acpi: "https://uefi.org/specs/ACPI/6.5/05_ACPI_Software_Programming_Model.html",
};

const severities = { must: "critical", should: "normal", interop: "minor" } as const;

/**
 * The Allure labels and links of one requirement, shared by the results.json writer and
 * the vitest suites so both kinds of report group and filter the same way.
 */
export function requirementMetadata(id: string, entry: RequirementEntry | undefined, sources: Readonly<Record<string, string>>): RequirementMetadata {
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
    const url = documentUrls[document];
    if (url) links.push({ name: entry.source, url, type: "link" });
    const about = sources[document];
    sourceText = about ? `${entry.source} — ${about}` : entry.source;
  }
  return { labels, links, area, epic, sourceText };
}
