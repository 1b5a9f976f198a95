// One line per completed case for run --progress, as LTP's kirk prints them (`abs01: pass (0.003s)`): the verdicts
// of a case that ran, or why it did not run, and how long it took. The same line natively and inside a target.
import { VERDICTS } from './results-summary.js';
import { terminalText } from './report/escape.js';
import type { CaseProgress } from './run.js';

const REASON_CHARS = 100;

export function progressLine(done: number, planned: number, p: CaseProgress): string {
  const seconds = `${(p.durationMs / 1000).toFixed(3)}s`;
  const verdicts = Object.values(p.result?.verdicts ?? {});
  const counts = VERDICTS.map((v) => [v, verdicts.filter((x) => x.verdict === v).length] as const).filter(([, n]) => n > 0);
  const reason = p.result?.reason;
  const what =
    p.status === 'ran' && counts.length > 0
      ? counts.map(([v, n]) => `${v} ${n}`).join(', ')
      : `${p.status}${reason !== undefined ? ` (${terminalText(reason.length > REASON_CHARS ? `${reason.slice(0, REASON_CHARS - 1)}…` : reason)})` : ''}`;
  return `[${done}/${planned}] ${terminalText(p.key)}: ${what} (${seconds})`;
}
