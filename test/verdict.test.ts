// Verdict logic on CONSTRUCTED observations (fakes: no system call is made here). The live behaviour is tested in
// runner.test.ts; this file pins down how an observation is judged.
import { describe, expect, it } from 'vitest';
import type { Observation, Probes } from '../src/results.js';
import type { Clause, ProfileExpectation } from '../src/spec/schema.js';
import { judge, pageSetMatches } from '../src/verdict.js';

const probes: Probes = {
  lockState: { available: true, method: 'fake' },
  residency: { available: true, method: 'fake' },
  lockedTotal: { available: true, method: 'fake' },
  forkChild: { available: true, method: 'fake' },
  execChild: { available: true, method: 'fake' },
};
const blindProbes: Probes = { ...probes, lockState: { available: false, method: 'no VmFlags (fake)' } };

function fakeObservation(ret: number, errno: string | null, locked = 'UU', resident = 'NN'): Observation {
  return {
    before: [],
    call: { text: 'mlock(buf, 2p)', ret, errno },
    effects: { mappings: { buf: { pages: locked.length, locked, resident } }, lockedBytes: 0 },
  };
}

const clauses = new Map<string, Clause>([
  ['mlock.errors.einval', { id: 'mlock.errors.einval', document: 'd', section: 'ERRORS', quote: '[EINVAL] The len parameter was zero.' }],
]);

const ran = (observed: Observation, p: Probes = probes) => ({ status: 'ran' as const, observed, probes: p });
const verdictOf = (e: ProfileExpectation, observed: Observation, p: Probes = probes) => judge(ran(observed, p), e, clauses).verdict;

describe('judge (fake observations)', () => {
  it('conforms when the return value matches', () => {
    expect(verdictOf({ returns: 0, clause: 'mlock.errors.einval' }, fakeObservation(0, null))).toBe('conforms');
  });

  it('diverges when a failure was expected and the call succeeded, naming expected and observed', () => {
    const v = judge(ran(fakeObservation(0, null)), { fails: 'EINVAL', clause: 'mlock.errors.einval' }, clauses);
    expect(v.verdict).toBe('diverges');
    expect(v.expected).toBe('fails EINVAL');
    expect(v.observed).toMatch(/^returns 0/);
    expect(v.clauses?.[0]?.quote).toBe('[EINVAL] The len parameter was zero.');
  });

  it('accepts any errno of a list, and no other', () => {
    const e: ProfileExpectation = { fails: ['ENOMEM', 'EINVAL'], basis: 'inferred', reason: 'either is documented somewhere' };
    expect(verdictOf(e, fakeObservation(-1, 'EINVAL'))).toBe('conforms');
    expect(verdictOf(e, fakeObservation(-1, 'EAGAIN'))).toBe('diverges');
  });

  it('one_of conforms when any alternative matches', () => {
    const e: ProfileExpectation = { one_of: [{ returns: 0 }, { fails: 'EINVAL' }], clause: 'mlock.errors.einval' };
    expect(verdictOf(e, fakeObservation(0, null))).toBe('conforms');
    expect(verdictOf(e, fakeObservation(-1, 'EINVAL'))).toBe('conforms');
    expect(verdictOf(e, fakeObservation(-1, 'ENOMEM'))).toBe('diverges');
  });

  it('diverges on lock state even when the return value matches', () => {
    const e: ProfileExpectation = { fails: 'ENOMEM', locked: { buf: 'none' }, clause: 'mlock.errors.einval' };
    const v = judge(ran(fakeObservation(-1, 'ENOMEM', 'LU')), e, clauses);
    expect(v.verdict).toBe('diverges');
    expect(v.reason).toBe('locked buf: expected none, observed LU');
  });

  it('is inconclusive, never conforming, when an expected effect cannot be observed', () => {
    const e: ProfileExpectation = { returns: 0, locked: { buf: 'all' }, clause: 'mlock.errors.einval' };
    const v = judge(ran(fakeObservation(0, null, 'LL'), blindProbes), e, clauses);
    expect(v.verdict).toBe('inconclusive');
    expect(v.reason).toContain('no VmFlags (fake)');
  });

  it('still diverges on the return value when effects are unobservable', () => {
    const e: ProfileExpectation = { returns: 0, locked: { buf: 'all' }, clause: 'mlock.errors.einval' };
    expect(verdictOf(e, fakeObservation(-1, 'ENOMEM'), blindProbes)).toBe('diverges');
  });

  it('applies the expectation-level effects to every one_of alternative', () => {
    const e: ProfileExpectation = { one_of: [{ returns: 0 }, { fails: 'ENOMEM' }], locked: { buf: 'none' }, clause: 'mlock.errors.einval' };
    expect(verdictOf(e, fakeObservation(-1, 'ENOMEM', 'UU'))).toBe('conforms');
    expect(verdictOf(e, fakeObservation(-1, 'ENOMEM', 'LU'))).toBe('diverges');
  });

  it('records the observation under unspecified', () => {
    const v = judge(ran(fakeObservation(0, null)), { unspecified: 'the page says nothing about len 0' }, clauses);
    expect(v).toMatchObject({ verdict: 'unspecified', reason: 'the page says nothing about len 0' });
    expect(v.observed).toMatch(/^returns 0/);
  });

  it('carries error, skipped and unsupported through to every profile', () => {
    for (const status of ['error', 'skipped', 'unsupported'] as const) {
      const v = judge({ status, reason: `because ${status}`, probes }, { returns: 0, clause: 'mlock.errors.einval' }, clauses);
      expect(v).toMatchObject({ verdict: status, reason: `because ${status}` });
    }
  });

  it('an error stays an error even where the profile is silent', () => {
    expect(judge({ status: 'error', reason: 'timeout', probes }, 'unspecified', clauses).verdict).toBe('error');
  });
});

describe('pageSetMatches', () => {
  it('all ignores unmapped pages and needs every mapped one marked', () => {
    expect(pageSetMatches('all', 'LL-', 'L', true)).toBe(true);
    expect(pageSetMatches('all', 'LU', 'L', true)).toBe(false);
  });
  it('an index list is exact for locks and a lower bound for residency', () => {
    expect(pageSetMatches([1], 'UL', 'L', true)).toBe(true);
    expect(pageSetMatches([1], 'LL', 'L', true)).toBe(false);
    expect(pageSetMatches([1], 'RR', 'R', false)).toBe(true);
    expect(pageSetMatches([0], 'NR', 'R', false)).toBe(false);
  });
});
