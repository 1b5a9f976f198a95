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

  it('one_of alternatives inherit the child, exec and locked_total expectations too', () => {
    const e: ProfileExpectation = {
      one_of: [{ returns: 0 }, { fails: 'EAGAIN' }],
      child: { locked_total: 'none', locked: { buf: 'none' } },
      exec: { locked_total: 'none' },
      clause: 'mlock.errors.einval',
    };
    const withChild = (childBytes: number, childPages: string, execBytes: number): Observation => {
      const o = fakeObservation(0, null, 'LL');
      o.effects.child = { mappings: { buf: childPages }, lockedBytes: childBytes };
      o.effects.exec = { lockedBytes: execBytes };
      return o;
    };
    expect(verdictOf(e, withChild(0, 'UU', 0))).toBe('conforms');
    // a child holding 8 KiB locked does not conform to "the child holds none", in either alternative
    const v = judge(ran(withChild(8192, 'UU', 0)), e, clauses);
    expect(v.verdict).toBe('diverges');
    expect(v.reason).toMatch(/child locked total: expected none, observed 8192 B/);
    expect(verdictOf(e, withChild(0, 'LU', 0))).toBe('diverges');
    expect(verdictOf(e, withChild(0, 'UU', 4096))).toBe('diverges');
  });

  it('an asynchronous completion that differs is named as such, not as two equal return values', () => {
    const e: ProfileExpectation = { returns: 0, completes: { returns: 0 }, clause: 'mlock.errors.einval' };
    const o = fakeObservation(0, null);
    o.call.completion = { ret: -1, errno: 'EAGAIN' };
    const v = judge(ran(o), e, clauses);
    expect(v.verdict).toBe('diverges');
    expect(v.reason).toBe('completes: expected returns 0, observed fails EAGAIN');
    // and inside one_of, where the shared completion applies to every alternative
    const one: ProfileExpectation = { one_of: [{ returns: 0 }, { fails: 'ENOMEM' }], completes: { returns: 0 }, clause: 'mlock.errors.einval' };
    const w = judge(ran(o), one, clauses);
    expect(w.verdict).toBe('diverges');
    expect(w.reason).toBe('completes: expected returns 0, observed fails EAGAIN');
    o.call.completion = { ret: 0, errno: null };
    expect(verdictOf(one, o)).toBe('conforms');
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
