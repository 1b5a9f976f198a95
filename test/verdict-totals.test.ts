// Locked totals and "not resident" judged on CONSTRUCTED observations (fakes: no system call is made here); the live
// figures are in sequence.test.ts.
import { describe, expect, it } from 'vitest';
import type { Observation, Probes } from '../src/results.js';
import type { ProfileExpectation } from '../src/spec/schema.js';
import { judge } from '../src/verdict.js';

const probe = { available: true, method: 'fake' };
const probes: Probes = { lockState: probe, residency: probe, lockedTotal: probe, forkChild: probe, execChild: probe };
const noVmLck: Probes = { ...probes, lockedTotal: { available: false, method: 'no VmLck (fake gVisor)' } };

/** FAKE: a two-page mapping after the call, with the process's locked bytes at the start and now. */
function fake(locked: string, resident: string, lockedBytes: number | null, lockedBytesAtStart?: number | null): Observation {
  return {
    before: [],
    call: { text: 'mlock(buf, 2p)', ret: 0, errno: null },
    effects: {
      mappings: { buf: { pages: locked.length, locked, resident } },
      lockedBytes,
      ...(lockedBytesAtStart !== undefined ? { lockedBytesAtStart } : {}),
    },
  };
}

const judged = (e: ProfileExpectation, o: Observation, p: Probes = probes) => judge({ status: 'ran', observed: o, probes: p }, e, new Map());

describe('locked_total (fake observations)', () => {
  it('case: the locked pages of the case\'s mappings, counted', () => {
    expect(judged({ returns: 0, locked_total: { case: '2p' }, basis: 'inferred', reason: 'test fixture' }, fake('LL', 'RR', 8192, 0)).verdict).toBe('conforms');
    const v = judged({ returns: 0, locked_total: { case: '2p' }, basis: 'inferred', reason: 'test fixture' }, fake('LU', 'RR', 4096, 0));
    expect(v).toMatchObject({ verdict: 'diverges', reason: 'case locked total: expected 2p, observed 1p' });
  });

  it('process: what the process locked more than at the start, none or some', () => {
    const e: ProfileExpectation = { returns: 0, locked_total: { process: 'none' }, basis: 'inferred', reason: 'test fixture' };
    expect(judged(e, fake('UU', 'RR', 8192, 8192)).verdict).toBe('conforms');
    expect(judged(e, fake('UU', 'RR', 12288, 8192))).toMatchObject({ verdict: 'diverges', reason: 'process locked total: expected none, observed 4096 B more than at the start' });
  });

  it('process: inconclusive without VmLck (gVisor), and where the start was not recorded', () => {
    const e: ProfileExpectation = { returns: 0, locked_total: { process: 'some' }, basis: 'inferred', reason: 'test fixture' };
    expect(judged(e, fake('LL', 'RR', null, null), noVmLck)).toMatchObject({ verdict: 'inconclusive', reason: 'cannot observe process locked total: no VmLck (fake gVisor)' });
    expect(judged(e, fake('LL', 'RR', 8192))).toMatchObject({ verdict: 'inconclusive', reason: 'cannot observe process locked total: not recorded when the case started' });
  });

  it('one_of alternatives inherit the top-level locked_total', () => {
    const e: ProfileExpectation = {
      one_of: [{ returns: 0 }, { fails: 'ENOMEM' }],
      locked_total: { case: '0p' },
      basis: 'inferred',
      reason: 'test fixture',
    };
    expect(judged(e, fake('LL', 'RR', 8192, 0))).toMatchObject({ verdict: 'diverges', reason: 'case locked total: expected 0p, observed 2p' });
  });
});

describe('not_resident (fake observations)', () => {
  const e: ProfileExpectation = { returns: 0, not_resident: { buf: [1] }, basis: 'inferred', reason: 'test fixture' };
  it('the listed pages must not be resident; the others may be either', () => {
    expect(judged(e, fake('UU', 'RN', 0, 0)).verdict).toBe('conforms');
    expect(judged(e, fake('UU', 'NN', 0, 0)).verdict).toBe('conforms');
    expect(judged(e, fake('UU', 'NR', 0, 0))).toMatchObject({ verdict: 'diverges', reason: 'not resident buf: expected pages 1, observed NR' });
  });
  it('is inconclusive where residency cannot be seen', () => {
    const blind: Probes = { ...probes, residency: { available: false, method: 'no mincore (fake)' } };
    expect(judged(e, fake('UU', 'RN', 0, 0), blind).verdict).toBe('inconclusive');
  });
});
