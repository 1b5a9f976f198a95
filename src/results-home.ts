// Where `semconf run` writes a user's results when no --out is given: their own state directory, never the
// checkout. The committed results/*.json are reference results, refreshed deliberately (npm run results).
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** $XDG_STATE_HOME/semconf/results, or ~/.local/state/semconf/results (the XDG Base Directory default; a relative
 * XDG_STATE_HOME is invalid by that specification and ignored). */
export function defaultResultsDir(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME;
  const base = state !== undefined && isAbsolute(state) ? state : join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'semconf', 'results');
}

export const defaultResultsFile = (targetId: string, env: NodeJS.ProcessEnv = process.env): string => join(defaultResultsDir(env), `${targetId}.json`);
