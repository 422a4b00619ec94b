import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../_internals/packageRoot.js";
import type { Layouts, NoteCatalogue, RequirementCatalogue } from "./schemas.js";

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

/**
 * The spec/ data, read once per process. It is not re-validated here: the unit tests
 * validate every file against its schema (zod and the published JSON Schema), and
 * loading zod would cost a command-line call a tenth of a second.
 */
export function loadSpec(): Spec {
  if (cached) return cached;
  cached = {
    requirements: readSpecFile("requirements") as RequirementCatalogue,
    layouts: readSpecFile("layouts") as Layouts,
    notes: readSpecFile("notes") as NoteCatalogue,
  };
  return cached;
}
