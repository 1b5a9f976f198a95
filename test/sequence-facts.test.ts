// After-steps, per-step snapshots and the process's grown locked total in the one-line observation (terminal,
// markdown, junit), the HTML report's cells and in behaviour (diff, run --repeat), on CONSTRUCTED results (fakes: no system call here).
import { describe, expect, it } from 'vitest';
import { behaviourChanges, behaviourOf } from '../src/behaviour.js';
import { asMatrix } from '../src/merge.js';
import { htmlModel } from '../src/report/html-data.js';
import type { CaseResult, Observation } from '../src/results.js';
import { describeObserved } from '../src/verdict.js';
import { emptyResults } from './helpers.js';

/** FAKE: the PROT_NONE sequence of specs/mlock-sequences.yaml, with the lock state after the call as given. */
function observation(lockedAfterCall: string, lockedBytes = 4096): Observation {
  return {
    before: [],
    call: { text: 'mlock(pn, 1p)', ret: -1, errno: 'ENOMEM' },
    after: [{ text: 'touch(pn, 1p)', ret: 0, errno: null }],
    snapshots: [
      { after: 'mlock(pn, 1p)', mappings: { pn: { pages: 2, locked: lockedAfterCall, resident: 'NN' } } },
      { after: 'touch(pn, 1p)', mappings: { pn: { pages: 2, locked: 'LU', resident: 'RN' } } },
    ],
    effects: { mappings: { pn: { pages: 2, locked: 'LU', resident: 'RN' } }, lockedBytes, lockedBytesAtStart: 0 },
  };
}

const result = (observed: Observation): CaseResult => ({
  id: 'mlock.seq-fake',
  function: 'mlock',
  title: 'fake',
  context: { name: 'privileged', spec: 'privileged', established: true, credentials: null },
  status: 'ran',
  durationMs: 1,
  observed,
  verdicts: {},
});

describe('sequences in reports and diffs (fake results)', () => {
  it('the one-line observation names the after-steps and the state after each step', () => {
    expect(describeObserved(observation('UU'))).toBe(
      'fails ENOMEM; after: touch(pn, 1p) returns 0; pn locked LU, resident RN; after each step: mlock(pn, 1p) pn UU/NN, touch(pn, 1p) pn LU/RN',
    );
  });

  it('behaviour holds the after-steps, each snapshot and whether the process locked more', () => {
    const facts = behaviourOf(result(observation('UU')));
    expect(facts).toContainEqual({ what: 'steps after the call', part: 'outcome', value: 'touch(pn, 1p) → returns 0' });
    expect(facts).toContainEqual({ what: 'after step 1 (mlock(pn, 1p)) pn locked', part: 'effect', value: 'UU' });
    expect(facts).toContainEqual({ what: 'process locked total grown', part: 'effect', value: 'some' });
  });

  it('a diff names the step where two runs part, though their final states agree', () => {
    const changes = behaviourChanges(result(observation('UU')), result(observation('LU')));
    expect(changes).toEqual([{ part: 'effect', what: 'after step 1 (mlock(pn, 1p)) pn locked', old: 'UU', new: 'LU' }]);
  });
});

describe('results written before the process total was recorded (fake results)', () => {
  it('compare with new ones as visibility, not as a change of behaviour', () => {
    const old = observation('UU');
    delete old.effects.lockedBytesAtStart;
    const changes = behaviourChanges(result(old), result(observation('UU')));
    expect(changes).toEqual([{ part: 'visibility', what: 'process locked total grown', old: '?', new: 'some' }]);
  });
});

describe('sequences in the HTML report\'s cell data (fake results)', () => {
  it('a cell lists the after-steps with their outcomes and the state after each step', () => {
    const results = { ...emptyResults(), cases: [result(observation('UU'))] };
    const model = htmlModel(asMatrix({ kind: 'results', results }, 'fake.json'), []);
    const cell = model.cellsOf(0)[0];
    expect(cell?.after).toEqual(['touch(pn, 1p) → returns 0']);
    expect(cell?.steps).toEqual(['mlock(pn, 1p) pn UU/NN', 'touch(pn, 1p) pn LU/RN']);
  });
});
