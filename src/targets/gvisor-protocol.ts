// What the outer `semconf run --target gvisor` and the run inside the sandbox (gvisor-inner.ts) exchange.

/** The run inside the sandbox: argv[2] of gvisor-inner.js, as JSON. */
export interface InnerRequest {
  /** absolute spec directory (the host's file system is visible, read-only, inside runsc do) */
  specs: string;
  jobs: number;
  profiles?: string[];
  filter?: string;
}

/** The results JSON travels on stdout between these lines, so any other output of runsc cannot corrupt it. */
export const RESULTS_BEGIN = '<<<semconf-results>>>';
export const RESULTS_END = '<<<end-semconf-results>>>';

/** The JSON text between the markers of the inner run's stdout, or null when it never printed them. */
export function extractResults(stdout: string): string | null {
  const begin = stdout.lastIndexOf(`${RESULTS_BEGIN}\n`);
  if (begin === -1) return null;
  const from = begin + RESULTS_BEGIN.length + 1;
  const end = stdout.indexOf(`\n${RESULTS_END}`, from);
  return end === -1 ? null : stdout.slice(from, end);
}
