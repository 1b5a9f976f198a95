// semconf schema: write the editor JSON Schemas generated from the zod schemas.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderJsonSchema, SCHEMA_FILES } from '../spec/json-schema.js';
import { type Command, EXIT, PACKAGE_ROOT, str } from './command.js';

export const schemaCommand: Command = {
  summary: 'write the JSON Schemas of spec and profile files (for editors) into a directory',
  usage: 'semconf schema [--out DIR]   (default: the schema/ shipped with semconf)',
  options: { out: { type: 'string' } },
  async run(values) {
    const dir = str(values.out) ?? join(PACKAGE_ROOT, 'schema');
    mkdirSync(dir, { recursive: true });
    for (const [name, schema] of Object.entries(SCHEMA_FILES)) writeFileSync(join(dir, name), renderJsonSchema(schema));
    process.stdout.write(`wrote ${Object.keys(SCHEMA_FILES).join(', ')} to ${dir}\n`);
    return EXIT.ok;
  },
};
