// Writes spec/schema/*.schema.json from the zod definitions (the source of truth).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../src/_internals/packageRoot.js";
import { jsonSchemas } from "../src/publishedSchemas.js";

const dir = join(packageRoot(), "spec", "schema");
mkdirSync(dir, { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas())) {
  const file = join(dir, `${name}.schema.json`);
  writeFileSync(file, JSON.stringify(schema, null, 2) + "\n");
  console.log(`wrote ${file}`);
}
