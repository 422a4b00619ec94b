import { z } from "zod";
import { specFiles, type SpecFileName } from "./schemas.js";

/** The published JSON Schema of each spec/ data file, derived from its zod definition. */
export function jsonSchemas(): Record<SpecFileName, object> {
  const out = {} as Record<SpecFileName, object>;
  for (const [name, schema] of Object.entries(specFiles) as [SpecFileName, z.ZodType][]) {
    out[name] = {
      ...(z.toJSONSchema(schema, { target: "draft-2020-12", io: "input" }) as object),
      $id: `https://pvh-conformance.invalid/spec/schema/${name}.schema.json`,
      title: `pvh-conformance ${name}`,
    };
  }
  return out;
}
