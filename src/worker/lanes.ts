// Which item a worker lane runs next, so that no lane idles while another runs a long tail. Pure: no processes.
//
// Two kinds of work: a fresh process per item (a Node start each, ~100-200 ms), and a reused worker, which runs case
// after case: ordinary ones (~1 ms each), whole-process ones (mlockall pins the worker: ~10-30 ms each) and, in forked
// copies of itself (forked.ts), the ones that need a process of their own. Every reused worker is of one kind, without
// a JIT (lean.ts), so any of them runs any reused item: the lanes take from one queue and none waits for a worker of
// another kind. (There were two kinds, a worker with a JIT for ordinary cases and one without for the rest; the lane
// that ran the ordinary cases then started a worker of the other kind for what was left of it, a third Node start.
// Measured with one kind against two, in turns, on this machine kind (medians of 10, 8, 6 and 3 runs each): the native
// suite 0.68 -> 0.62 s, the gVisor run 2.58 -> 2.42 s, the ia32 run 1.09 -> 1.03 s and the VM run 13.7 -> 12.5 s,
// and every observation the same.)
//
// A lane with a reused worker takes the next reused item; a lane without one takes one (claims) when no lane has one
// yet, or when a worker started before the plan (run.ts) waits for it, so that the start overlaps other work; fresh
// items, the longest, are the filler every lane takes once no reused item is left for it; a lane starts a worker of
// its own later only when the reused work left outweighs a start. Each context's items come together, the costliest
// groups first, so that the lanes end on short items (byContext). Results are put back in plan order by the pool.
import type { PlanItem } from '../plan.js';
import { contextName } from '../spec/context-name.js';

export type WorkKind = 'fresh' | 'reused';

/** Rough costs in ms on this machine kind; only their proportions steer the schedule. A case whose context asks for
 * an unlimited RLIMIT_MEMLOCK without privilege needs a process of its own wherever the hard limit is finite, which
 * the planner cannot always see (gVisor has no /proc/self/limits: the worker finds out, plan.ts): it is costed as
 * one. (Seen inside gVisor: the two such cases came last, ~130 ms of forked copies on one lane while the other had
 * nothing left.) */
const START_MS = 150;
function costMs(item: PlanItem): number {
  const mayNeedOwn = item.context !== 'privileged' && item.context.memlock === 'unlimited';
  return item.isolated || mayNeedOwn ? 40 : item.wholeProcess ? 20 : 2;
}

/** `isolation`: whether an item that needs a process of its own gets a forked copy of a reused worker (forked.ts:
 * the copy may lock the whole of itself) or a fresh process. */
export function kindOf(item: PlanItem, isolation: 'forked' | 'fresh' = 'forked'): WorkKind {
  return item.isolated && isolation === 'fresh' ? 'fresh' : 'reused';
}

/** A fresh item's cost beyond its start, relatively: a forked child to inspect, a program to exec. */
const freshWeight = (item: PlanItem): number => (item.observe.exec ? 2 : 0) + (item.observe.child ? 1 : 0);

/** The items of one context together, the groups with the costliest items first (the lanes then end on short items),
 * else in the order the plan first names them; within each group the costlier first, else plan order. A reused worker
 * holds a dropped context from one case to the next of the same context (child.ts), so each context is entered and
 * left once per run of its cases instead of once per case. The items for forked copies are one group: a copy enters
 * its context itself, and the worker leaves whatever it holds before it forks one. */
function byContext(items: readonly PlanItem[]): PlanItem[] {
  const groups = new Map<string, { first: number; costliest: number }>();
  const grouped = items.map((item, at) => {
    const name = item.isolated ? '' : contextName(item.context);
    const group = groups.get(name) ?? { first: at, costliest: 0 };
    group.costliest = Math.max(group.costliest, costMs(item));
    groups.set(name, group);
    return { item, group };
  });
  // stable: among equals, plan order
  return grouped
    .sort((a, b) => b.group.costliest - a.group.costliest || a.group.first - b.group.first || costMs(b.item) - costMs(a.item))
    .map((g) => g.item);
}

export class LaneSchedule {
  private readonly fresh: PlanItem[];
  private readonly reused: PlanItem[];
  /** the lanes that have taken a reused worker */
  private readonly owners = new Set<number>();
  /** workers started before the plan (run.ts StartedWorkers) that no lane has taken yet */
  private waiting: number;

  constructor(
    items: readonly PlanItem[],
    isolation: 'forked' | 'fresh' = 'forked',
    /** how many reused workers were started before the plan */
    started = 0,
  ) {
    // stable sort: among equals, plan order
    this.fresh = items.filter((i) => kindOf(i, isolation) === 'fresh').sort((a, b) => freshWeight(b) - freshWeight(a));
    this.reused = byContext(items.filter((i) => kindOf(i, isolation) === 'reused'));
    this.waiting = started;
  }

  get remaining(): number {
    return this.fresh.length + this.reused.length;
  }

  /** The next item for `lane`, or undefined when it has nothing more to do (what is left belongs to other lanes). */
  next(lane: number): PlanItem | undefined {
    if (this.reused.length > 0 && (this.owners.has(lane) || this.owners.size === 0 || this.waiting > 0)) return this.claim(lane);
    const fresh = this.fresh.shift();
    if (fresh !== undefined) return fresh;
    return this.worthAnotherWorker() ? this.claim(lane) : undefined;
  }

  /** The lane is done: it no longer runs reused items. */
  release(lane: number): void {
    this.owners.delete(lane);
  }

  /** whether the reused work left outweighs starting one more worker for it */
  private worthAnotherWorker(): boolean {
    return this.reused.reduce((sum, item) => sum + costMs(item), 0) > 2 * START_MS;
  }

  private claim(lane: number): PlanItem | undefined {
    if (!this.owners.has(lane)) {
      this.owners.add(lane);
      if (this.waiting > 0) this.waiting -= 1;
    }
    return this.reused.shift();
  }
}
