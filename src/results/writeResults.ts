import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv";
import { packageRoot } from "../_internals/packageRoot.js";
import type { Results } from "./Results.js";

let validator: ValidateFunction | undefined;

/** ajv's errors as a person reads them: where in the document, and what is wrong. */
export function schemaErrors(errors: ValidateFunction["errors"], most = 3): string {
  return (errors ?? [])
    .slice(0, most)
    .map((e) => `${e.instancePath || "(top level)"} ${e.message ?? "is invalid"}${e.params && "additionalProperty" in e.params ? ` (${String(e.params["additionalProperty"])})` : ""}`)
    .join("; ");
}

/** The validator of the published spec/schema/results.schema.json (not of the zod source). */
export function resultsValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(join(packageRoot(), "spec", "schema", "results.schema.json"), "utf8")) as object;
    validator = new Ajv2020({ allErrors: false, strict: false }).compile(schema);
  }
  return validator;
}

const BATCH = 20_000;

/**
 * Validate results against the published schema and write them. Large runs hold a
 * million records, so both are done in slices: each slice is checked as a whole
 * document by the same schema, and written without building one giant string.
 */
export function writeResults(file: string, results: Results): void {
  const validate = resultsValidator();
  const header = { ...results, cases: [], records: [] };
  const check = (doc: object, what: string): void => {
    if (!validate(doc)) throw new Error(`results.json would not match its schema (${what}): ${schemaErrors(validate.errors)}`);
  };
  check(header, "run");
  for (let i = 0; i < results.records.length; i += BATCH) check({ ...header, records: results.records.slice(i, i + BATCH) }, `records from ${i}`);
  for (let i = 0; i < results.cases.length; i += BATCH) check({ ...header, cases: results.cases.slice(i, i + BATCH) }, `cases from ${i}`);

  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, "w");
  try {
    const head = JSON.stringify({ format: results.format, run: results.run }, null, 2);
    writeSync(fd, head.slice(0, -2) + ',\n  "cases": [\n');
    writeArray(fd, results.cases);
    writeSync(fd, '  ],\n  "records": [\n');
    writeArray(fd, results.records);
    writeSync(fd, "  ]\n}\n");
  } finally {
    closeSync(fd);
  }
}

function writeArray(fd: number, items: readonly object[]): void {
  for (let i = 0; i < items.length; i += BATCH) {
    const part = items.slice(i, i + BATCH).map((x) => "    " + JSON.stringify(x));
    writeSync(fd, part.join(",\n") + (i + BATCH < items.length ? ",\n" : "\n"));
  }
}
