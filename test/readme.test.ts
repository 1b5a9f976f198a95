// README's results section is generated from the committed results (scripts/readme.ts): it must say exactly what
// they say. After regenerating results, run `npm run readme`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { END, generate, START, withSection } from '../scripts/readme.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));

describe('README results section', () => {
  it('is what the committed results and explanations generate', () => {
    const readme = readFileSync(README, 'utf8');
    const section = readme.slice(readme.indexOf(START), readme.indexOf(END) + END.length);
    expect(section, 'README is stale: run npm run readme').toBe(generate());
  });

  it('replaces only the text between its markers', () => {
    expect(withSection(`a\n${START}\nold\n${END}\nb`, `${START}\nnew\n${END}`)).toBe(`a\n${START}\nnew\n${END}\nb`);
    expect(() => withSection('no markers', 'x')).toThrow(/has no <!-- results-summary:start -->/);
  });
});
