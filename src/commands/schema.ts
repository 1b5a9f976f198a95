// semconf schema: write the editor JSON Schemas generated from the zod schemas and the profiles of a specs directory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { profileIdsIn, renderJsonSchema, schemaFiles } from '../spec/json-schema.js';
import { type Command, DEFAULT_SPECS, EXIT, PACKAGE_ROOT, str } from './command.js';

export const schemaCommand: Command = {
  summary: 'write the JSON Schemas of spec and profile files (for editors) into a directory',
  usage: `semconf schema [--out DIR] [--specs DIR]

  --out DIR     where to write (default: the schema/ shipped with semconf)
  --specs DIR   whose profile ids the spec schema allows under expect: (default: the specs/ shipped with semconf)`,
  options: { out: { type: 'string' }, specs: { type: 'string' } },
  async run(values) {
    const dir = str(values.out) ?? join(PACKAGE_ROOT, 'schema');
    // Every file is rendered before any is written: a bad specs directory leaves schema/ as it was.
    const files = Object.entries(schemaFiles(profileIdsIn(str(values.specs) ?? DEFAULT_SPECS))).map(
      ([name, schema]) => [name, renderJsonSchema(schema)] as const,
    );
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    process.stdout.write(`wrote ${files.map(([name]) => name).join(', ')} to ${dir}\n`);
    return EXIT.ok;
  },
};
