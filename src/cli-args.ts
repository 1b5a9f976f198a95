// A command's arguments → option values and positionals, with node:util parseArgs; a mistake in them is said in
// semconf's words, naming the option (and the nearest known one), never in parseArgs' own text (which quotes
// unbalanced and tells the user about '--' when they only mistyped a name).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { type OptionValues, UsageError } from './commands/command.js';
import { nearest } from './suggest.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** A mistake in the arguments themselves, not in what they name: the command line prints it with the usage line. */
export class ArgumentError extends UsageError {}

/** `options` with the short letters of `shortFlags` (long name → letter) for the long options they have. */
export function withShortFlags(options: OptionSpecs, shortFlags: Readonly<Record<string, string>>): OptionSpecs {
  return Object.fromEntries(
    Object.entries(options).map(([long, spec]) => {
      const short = Object.hasOwn(shortFlags, long) ? shortFlags[long] : undefined;
      return [long, short === undefined ? spec : { ...spec, short }];
    }),
  );
}

/** How the user wrote an option, and its long name when they used the short one: `-o (--out)`. */
function written(rawName: string, name: string): string {
  return rawName === `--${name}` ? rawName : `${rawName} (--${name})`;
}

/** Values and positionals of `args`, or an ArgumentError for an unknown option, a missing value or a value given
 * to a switch. The arguments are read leniently first so each mistake can be named; the strict read after that
 * finds nothing new (it stays as the guard that the lenient checks missed no case). */
export function parseCommandArgs(args: string[], options: OptionSpecs): { values: OptionValues; positionals: string[] } {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (spec === undefined) {
      // a short letter is too short to guess from; a long name is compared with the long names
      const near = token.rawName.startsWith('--') ? nearest(token.name, Object.keys(options)) : undefined;
      throw new ArgumentError(`unknown option ${token.rawName}${near === undefined ? '' : `; did you mean --${near}?`}`);
    }
    const option = written(token.rawName, token.name);
    if (spec.type === 'boolean' && token.value !== undefined) {
      throw new ArgumentError(`${option} is a switch and takes no value (got "${token.value}")`);
    }
    if (spec.type === 'string' && token.value === undefined) throw new ArgumentError(`${option} needs a value`);
    // parseArgs takes the next argument as the value even when it looks like an option; "--out --json" is far more
    // often a forgotten value than an output file named "--json" (which "--out=--json" still allows)
    if (spec.type === 'string' && token.inlineValue === false && token.value !== undefined && /^-./.test(token.value)) {
      throw new ArgumentError(`${option} needs a value, but the next argument is the option ${token.value} (for a value that starts with "-", write --${token.name}=${token.value})`);
    }
  }
  const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  // parseArgs types a repeated option as (string | boolean)[] because a boolean may be `multiple` too; no semconf
  // option is a repeatable switch, so a repeated option's values are strings
  const values: OptionValues = {};
  for (const [name, value] of Object.entries(parsed.values)) values[name] = Array.isArray(value) ? value.map(String) : value;
  return { values, positionals: parsed.positionals };
}
