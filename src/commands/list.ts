// semconf list: the cases a run would select (id, function, context, title), as a table or JSON, without running any.
import { terminalText as s } from '../report/escape.js';
import { contextName } from '../spec/context-name.js';
import { loadCatalog } from '../spec/lint.js';
import { type Command, DEFAULT_SPECS, EXIT, str } from './command.js';
import { SELECTION_OPTIONS, SELECTION_USAGE, selectionFrom } from './selection-options.js';

export const listCommand: Command = {
  summary: 'list the cases a run would select: id, function, context and title',
  usage: `semconf list [--specs DIR] [--filter PATTERN]... [--exclude PATTERN]... [--shard K/N] [--json]

  --specs DIR       spec directory (default: the specs/ shipped with semconf)
${SELECTION_USAGE}
  --json            print a JSON array of { id, function, context, title }`,
  options: { specs: { type: 'string' }, ...SELECTION_OPTIONS, json: { type: 'boolean' } },
  async run(values) {
    const catalog = loadCatalog(str(values.specs) ?? DEFAULT_SPECS);
    const { cases } = selectionFrom(values, catalog, '');
    const rows = cases.map(({ spec, case: c }) => ({ id: c.id, function: spec.value.function, context: contextName(c.as ?? 'privileged'), title: c.title }));
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT.ok;
    }
    const width = (k: 'id' | 'function' | 'context'): number => Math.max(k.length, ...rows.map((r) => s(r[k]).length));
    const [wi, wf, wc] = [width('id'), width('function'), width('context')];
    const line = (r: { id: string; function: string; context: string; title: string }): string =>
      `${s(r.id).padEnd(wi)}  ${s(r.function).padEnd(wf)}  ${s(r.context).padEnd(wc)}  ${s(r.title)}`.trimEnd();
    process.stdout.write(`${[line({ id: 'id', function: 'function', context: 'context', title: 'title' }), ...rows.map(line)].join('\n')}\n`);
    process.stderr.write(`semconf: ${rows.length} case(s)\n`);
    return EXIT.ok;
  },
};
