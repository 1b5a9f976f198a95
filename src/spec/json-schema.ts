// JSON Schemas for editors (yaml-language-server) generated from the zod schemas, so they cannot drift apart.
// `npm run schema` rewrites schema/*.json; a test fails when the committed files are stale.
import * as z from 'zod';
import { Profile, SpecFile } from './schema.js';

export const SCHEMA_FILES = {
  'spec.schema.json': SpecFile,
  'profile.schema.json': Profile,
} as const;

export function renderJsonSchema(schema: z.ZodType): string {
  return `${JSON.stringify(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), null, 2)}\n`;
}
