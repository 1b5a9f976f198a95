// Whether text written to a stream may carry ANSI colour. One decision for every command, in the order users know
// from other tools: the --color flag, then FORCE_COLOR, then NO_COLOR (https://no-color.org), then TERM=dumb, then
// whether the stream is a terminal. Node's own tty.WriteStream.hasColors() reads the same variables but exists only
// on a terminal stream, so a piped run with FORCE_COLOR could not ask it.

export const COLOR_CHOICES = ['auto', 'always', 'never'] as const;
export type ColorChoice = (typeof COLOR_CHOICES)[number];

let choice: ColorChoice = 'auto';

/** Set once by the command line from --color (default auto). */
export function setColorChoice(c: ColorChoice): void {
  choice = c;
}

export function isColorChoice(s: string): s is ColorChoice {
  return (COLOR_CHOICES as readonly string[]).includes(s);
}

/** Colour for `stream`? `env` and `choice` are parameters so tests can pin them. */
export function useColor(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
  c: ColorChoice = choice,
): boolean {
  if (c !== 'auto') return c === 'always';
  const force = env.FORCE_COLOR;
  // FORCE_COLOR=0 / false means "no colour", as in Node and chalk; any other value (also empty) forces it
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false');
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}
