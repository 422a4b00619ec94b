import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../_internals/packageRoot.js";
import { Layouts, NoteCatalogue, RequirementCatalogue } from "./schemas.js";

export interface Spec {
  requirements: RequirementCatalogue;
  layouts: Layouts;
  notes: NoteCatalogue;
}

let cached: Spec | undefined;

function readSpecFile(name: string): unknown {
  const path = join(packageRoot(), "spec", `${name}.json`);
  return JSON.parse(readFileSync(path, "utf8"));
}

/** The spec/ data, parsed and validated once per process. */
export function loadSpec(): Spec {
  if (cached) return cached;
  cached = {
    requirements: RequirementCatalogue.parse(readSpecFile("requirements")),
    layouts: Layouts.parse(readSpecFile("layouts")),
    notes: NoteCatalogue.parse(readSpecFile("notes")),
  };
  return cached;
}
