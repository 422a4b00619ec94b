import { z } from "zod";
import { VmmDescriptor } from "../adapters/vmm/VmmDescriptor.js";
import { CheckImageOutput } from "./checkImage/ImageReport.js";
import { CompareOutput } from "./compare/Compare.js";
import { ExpectationsFile } from "./expectations/Expectations.js";
import { Results } from "./results/Results.js";
import { specFiles } from "./spec/schemas.js";

/** Every schema published in spec/schema/: the spec's data files and the suite's outputs. */
export const publishedSchemas: Record<string, z.ZodType> = {
  ...specFiles,
  "check-image": CheckImageOutput,
  results: Results,
  expectations: ExpectationsFile,
  "vmm-descriptor": VmmDescriptor,
  compare: CompareOutput,
};

/** The published JSON Schema of each, derived from its zod definition. */
export function jsonSchemas(): Record<string, object> {
  const out: Record<string, object> = {};
  for (const [name, schema] of Object.entries(publishedSchemas)) {
    out[name] = {
      ...(z.toJSONSchema(schema, { target: "draft-2020-12", io: "input" }) as object),
      $id: `pvh-conformance/spec/schema/${name}.schema.json`,
      title: `pvh-conformance ${name}`,
    };
  }
  return out;
}
