// The scheduling of merge's worker threads (src/in-order.ts), with FAKE workers: names that record what they were
// handed, answered by the test in an order of its choosing.
import { describe, expect, it } from 'vitest';
import { InOrder } from '../src/in-order.js';

function setup(total: number, window: number, workers: string[]) {
  const posted: [string, number][] = [];
  const taken: [number, string][] = [];
  const order = new InOrder<string, string>(total, window, workers, (w, i) => posted.push([w, i]), (i, a) => {
    if (a === 'bad') throw new Error(`job ${i} is bad`);
    taken.push([i, a]);
  });
  return { order, posted, taken };
}

describe('InOrder', () => {
  it('takes answers in job order whatever order they arrive in', () => {
    const { order, posted, taken } = setup(4, 4, ['a', 'b']);
    order.pump();
    expect(posted).toEqual([['b', 0], ['a', 1]]);
    expect(order.answer('a', 1, 'one')).toBe(false);
    expect(taken).toEqual([]);
    expect(order.answer('b', 0, 'zero')).toBe(false);
    expect(taken).toEqual([[0, 'zero'], [1, 'one']]);
    const [[w2, j2], [w3, j3]] = posted.slice(2) as [[string, number], [string, number]];
    expect([j2, j3]).toEqual([2, 3]);
    expect(order.answer(w3, j3, 'three')).toBe(false);
    expect(order.answer(w2, j2, 'two')).toBe(true);
    expect(taken.map(([i]) => i)).toEqual([0, 1, 2, 3]);
  });

  it('a slow job holds back the rest: no more than the window is handed out beyond it', () => {
    // the last idle worker gets the first job: 'slow' is handed job 0 and never answers
    const { order, posted, taken } = setup(100, 4, ['fast', 'slow']);
    order.pump();
    expect(posted[0]).toEqual(['slow', 0]);
    // the fast worker answers each job it is handed, once, until it is handed no more
    for (let answered = 1; ; answered += 1) {
      const mine = posted.filter(([w]) => w === 'fast').map(([, i]) => i);
      const job = mine[answered - 1];
      if (job === undefined) break;
      order.answer('fast', job, `answer ${job}`);
    }
    expect(posted.map(([, i]) => i)).toEqual([0, 1, 2, 3]);
    expect(taken).toEqual([]);
    // once job 0 answers, everything waiting is taken and more goes out
    order.answer('slow', 0, 'late');
    expect(taken.map(([i]) => i)).toEqual([0, 1, 2, 3]);
    expect(posted.map(([, i]) => i)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('what take throws stops it there: the first bad answer in job order, not the first to arrive', () => {
    const { order, posted, taken } = setup(3, 3, ['a', 'b', 'c']);
    order.pump();
    expect(order.answer('a', 2, 'bad')).toBe(false);
    expect(() => order.answer('c', 0, 'bad')).toThrow('job 0 is bad');
    expect(taken).toEqual([]);
    expect(posted).toHaveLength(3);
  });
});
