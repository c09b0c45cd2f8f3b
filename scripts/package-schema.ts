import '../scenario-sections.js';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareJsonSchema } from '../models/compare.js';
import { scenarioJsonSchema } from '../models/scenario.js';

/**
 * The JSON Schemas published in the package at stable paths, for editors and SchemaStore:
 * `mqsim/schema.json` (scenario files) and `mqsim/compare-schema.json` (compare files), each
 * with a `$id`. Written into dist/ by `npm run build` from the same code as `mqsim schema`.
 */
export const SCHEMA_ID = 'https://json.schemastore.org/mqsim.json';
export const COMPARE_SCHEMA_ID = 'https://json.schemastore.org/mqsim-compare.json';

/** A schema with its $id first (after $schema), as SchemaStore lists them. */
export function withId(schema: Record<string, unknown>, id: string): Record<string, unknown> {
  const { $schema, ...rest } = schema;
  return { ...($schema !== undefined ? { $schema } : {}), $id: id, ...rest };
}

export function publishedSchemas(): { file: string; schema: Record<string, unknown> }[] {
  return [
    { file: 'schema.json', schema: withId(scenarioJsonSchema(), SCHEMA_ID) },
    { file: 'compare-schema.json', schema: withId(compareJsonSchema(), COMPARE_SCHEMA_ID) },
  ];
}

const here = dirname(fileURLToPath(import.meta.url));
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // dist/scripts/package-schema.js -> dist/
  for (const { file, schema } of publishedSchemas()) writeFileSync(join(here, '..', file), JSON.stringify(schema, null, 2) + '\n');
}
