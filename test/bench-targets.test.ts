// How the bench judges a target set in seconds (bench/results-file.ts timeTarget): as the ratio it is at the issue's
// node start-up of 100 ms, against this run's node start-up; and, where the time itself would say otherwise, a note
// that says so. Pure: made-up times, no process started.
import { describe, expect, it } from 'vitest';
import { ISSUE_BASELINE_MS, timeTarget } from '../bench/results-file.js';

describe('a target in seconds, judged as a ratio to node start-up', () => {
  it('met within the ratio, and the time agrees: no note', () => {
    expect(ISSUE_BASELINE_MS).toBe(100);
    expect(timeTarget(900, 1000, 100)).toEqual({ target: '1.0 s at node start-up 100 ms: 10 ×', met: true });
    expect(timeTarget(1100, 1000, 100)).toEqual({ target: '1.0 s at node start-up 100 ms: 10 ×', met: false });
  });

  it('a slower host: met by the ratio, the time not met, and the note says so with the host\'s start-up', () => {
    expect(timeTarget(2250, 2000, 115)).toEqual({
      target: '2.0 s at node start-up 100 ms: 20 ×',
      met: true,
      note: 'as a time: not met, 2.25 s against 2.0 s, on a host whose node start-up took 115.0 ms',
    });
  });

  it('a faster host: the time met, the ratio not: not met, and the note says the time was', () => {
    expect(timeTarget(950, 1000, 90)).toEqual({ target: '1.0 s at node start-up 100 ms: 10 ×', met: false, note: 'as a time: met, 0.95 s against 1.0 s, on a host whose node start-up took 90.0 ms' });
  });

  it('a target under 100 ms is said in ms', () => {
    expect(timeTarget(0.9, 1, 100)).toEqual({ target: '1 ms at node start-up 100 ms: 0.01 ×', met: true });
  });
});
