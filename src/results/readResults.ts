import { NotRegularFileError, readRegularTextFileSync } from "../_internals/regularFile.js";
import type { Results } from "./Results.js";
import { resultsValidator, schemaErrors } from "./writeResults.js";

/** Read a results.json and check it against the published schema. */
export function readResults(file: string): Results {
  let data: unknown;
  try {
    data = JSON.parse(readRegularTextFileSync(file));
  } catch (err) {
    if (err instanceof NotRegularFileError) throw err;
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const validate = resultsValidator();
  if (!validate(data)) throw new Error(`${file} is not a results.json (spec/schema/results.schema.json): ${schemaErrors(validate.errors)}`);
  return data as Results;
}
