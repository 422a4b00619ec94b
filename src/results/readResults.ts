import { readFileSync } from "node:fs";
import type { Results } from "./Results.js";
import { resultsValidator, schemaErrors } from "./writeResults.js";

/** Read a results.json and check it against the published schema. */
export function readResults(file: string): Results {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const validate = resultsValidator();
  if (!validate(data)) throw new Error(`${file} is not a results.json (spec/schema/results.schema.json): ${schemaErrors(validate.errors)}`);
  return data as Results;
}
