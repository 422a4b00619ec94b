import * as allure from "allure-js-commons/sync";
import { loadSpec } from "../../src/spec/loadSpec.js";
import { requirementMetadata } from "./requirementMetadata.js";

export interface SuiteTestMeta {
  adapter: string;
  variant: string;
  /** The requirements the test judges: each gets the same labels and source link as in writeAllureResults. */
  requirements?: readonly string[];
  /** What kind of suite test: a tag, to filter the per-requirement tests from property and boundary ones. */
  kind: "requirement" | "property" | "boundary" | "malformed" | "differential";
  parameters?: Readonly<Record<string, string>>;
}

/**
 * Allure metadata for a test of suites/: labels, parameters and links, through
 * allure-js-commons' synchronous API so it can be called from synchronous tests. Without
 * the allure-vitest reporter these calls do nothing.
 */
export function annotateSuiteTest(meta: SuiteTestMeta): void {
  const catalogue = loadSpec().requirements;
  const epics = new Set<string>();
  for (const id of new Set(meta.requirements ?? [])) {
    const entry = catalogue.requirements.find((r) => r.id === id);
    const m = requirementMetadata(id, entry, catalogue.documents);
    // The epic is set once below: two epics on one test would file it under both.
    allure.labels(...m.labels.filter((l) => l.name !== "epic"));
    if (m.links.length) allure.links(...m.links);
    epics.add(m.epic);
  }
  allure.epic(epics.size === 1 ? [...epics][0]! : "conformance");
  allure.tag(meta.kind);
  allure.label("adapter", meta.adapter);
  allure.label("variant", meta.variant);
  allure.parameter("adapter", meta.adapter);
  allure.parameter("variant", meta.variant);
  for (const [name, value] of Object.entries(meta.parameters ?? {})) allure.parameter(name, value);
}
