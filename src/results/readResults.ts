import { readFileSync } from "node:fs";
import type { Results } from "./Results.js";
import { resultsValidator } from "./writeResults.js";

/** Read a results.json and check it against the published schema. */
export function readResults(file: string): Results {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const validate = resultsValidator();
  if (!validate(data)) throw new Error(`${file} does not match spec/schema/results.schema.json: ${JSON.stringify(validate.errors?.slice(0, 2))}`);
  return data as Results;
}
