// README's results section is generated from the committed results (scripts/readme.ts): it must say exactly what
// they say; its exit-code list is generated from EXIT_CODES. After regenerating results, run `npm run readme`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { END, EXIT_END, EXIT_START, EXPLORE_END, EXPLORE_START, generate, generateExitCodes, generateExplore, generateSpeed, SPEED_END, SPEED_START, START, withSection } from '../scripts/readme.js';
import { EXIT_CODES } from '../src/commands/command.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));

describe('README generated sections', () => {
  it('is what the committed results and explanations generate', () => {
    const readme = readFileSync(README, 'utf8');
    const section = readme.slice(readme.indexOf(START), readme.indexOf(END) + END.length);
    expect(section, 'README is stale: run npm run readme').toBe(generate());
  });

  it('lists the exit codes the EXIT_CODES table defines, as generated', () => {
    const readme = readFileSync(README, 'utf8');
    const section = readme.slice(readme.indexOf(EXIT_START), readme.indexOf(EXIT_END) + EXIT_END.length);
    expect(section, 'README is stale: run npm run readme').toBe(generateExitCodes());
    for (const e of Object.values(EXIT_CODES)) expect(section).toContain(`| ${e.code} | `);
    expect(readme, 'the hand-written exit-code sentence is gone').not.toContain('Exit codes: 0 completed');
  });

  it('shows the committed exploration summary, as generated', () => {
    const readme = readFileSync(README, 'utf8');
    const section = readme.slice(readme.indexOf(EXPLORE_START), readme.indexOf(EXPLORE_END) + EXPLORE_END.length);
    expect(section, 'README is stale: run npm run readme').toBe(generateExplore());
    expect(section).toContain('| native/gvisor |');
  });

  it('shows the speed figures of bench/results.json, as generated (npm run bench, then npm run readme)', () => {
    const readme = readFileSync(README, 'utf8');
    const section = readme.slice(readme.indexOf(SPEED_START), readme.indexOf(SPEED_END) + SPEED_END.length);
    expect(section, 'README is stale: run npm run readme').toBe(generateSpeed());
    for (const id of ['--help', '--version', 'lint', 'merge', 'whole native suite']) expect(section).toContain(id);
  });

  it('replaces only the text between its markers', () => {
    expect(withSection(`a\n${START}\nold\n${END}\nb`, `${START}\nnew\n${END}`)).toBe(`a\n${START}\nnew\n${END}\nb`);
    expect(() => withSection('no markers', 'x')).toThrow(/has no <!-- results-summary:start -->/);
    expect(withSection(`${START}\nr\n${END}\n${EXIT_START}\nold\n${EXIT_END}`, `${EXIT_START}\nnew\n${EXIT_END}`, EXIT_START, EXIT_END)).toBe(
      `${START}\nr\n${END}\n${EXIT_START}\nnew\n${EXIT_END}`,
    );
  });
});
