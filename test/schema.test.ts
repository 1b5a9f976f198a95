// The committed JSON Schemas (used by editors through the yaml-language-server comment) must be what the zod schemas
// generate today; if this fails, run `npm run schema` and commit schema/.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderJsonSchema, SCHEMA_FILES } from '../src/spec/json-schema.js';

describe('committed JSON Schemas', () => {
  for (const [name, schema] of Object.entries(SCHEMA_FILES)) {
    it(`schema/${name} is up to date with src/spec/schema.ts`, () => {
      const committed = readFileSync(new URL(`../schema/${name}`, import.meta.url), 'utf8');
      expect(committed, `schema/${name} is stale: run npm run schema`).toBe(renderJsonSchema(schema));
    });
  }

  it('the spec schema rejects unknown keys and lists the callable functions', () => {
    const spec = JSON.parse(renderJsonSchema(SCHEMA_FILES['spec.schema.json'])) as {
      additionalProperties: boolean;
      properties: { function: { enum: string[] } };
    };
    expect(spec.additionalProperties).toBe(false);
    expect(spec.properties.function.enum).toContain('mlock');
  });
});
