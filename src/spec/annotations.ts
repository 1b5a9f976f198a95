// Diagnostics as GitHub Actions workflow commands, so that a pull request shows each problem on its line:
// `::error file=PATH,line=L,col=C::MESSAGE`. GitHub reads the message up to the end of the line and the properties
// up to `,` and `::`, so those are escaped as GitHub documents: % CR LF in the message (%25 %0D %0A), and also
// `:` and `,` in a property (%3A %2C). A file from a pull request could otherwise end an annotation and start a
// second command of its own (`::add-mask::`, `::stop-commands::`) with a line break in a key.
import { visibleControls } from '../report/escape.js';
import type { Diagnostic } from './diagnostics.js';

export const escapeGithubData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

export const escapeGithubProperty = (s: string): string => escapeGithubData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One `::error` line for one diagnostic: its key path leads the message, as in the text format. Other controls
 * (ESC and the like) are made visible first, as on a terminal: a CI log is shown by a terminal emulator too. */
export function githubAnnotation(d: Diagnostic): string {
  const message = visibleControls(`${d.path ? `${d.path}: ` : ''}${d.message}`);
  const props = `file=${escapeGithubProperty(visibleControls(d.file))},line=${d.line},col=${d.col}`;
  return `::error ${props}::${escapeGithubData(message)}`;
}
