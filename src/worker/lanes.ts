// Which item a worker lane runs next, so that no lane idles while another runs a long tail. Pure: no processes.
//
// Three kinds of work: a fresh process per item (a Node start each, ~100-200 ms), a reused worker with a JIT for
// ordinary cases (~1 ms each) and a reused worker without one for whole-process cases (mlockall pins the worker:
// ~10-30 ms each). A lane keeps to the reused kind it has a worker for (no second start); a reused kind no lane has
// yet is claimed early, so its one start overlaps the other lanes' work; fresh items, the longest, are the filler
// every lane takes, longest first, once its own kind is done; a lane starts a second worker of a kind another lane
// runs only when what is left of it outweighs a start, and starts it while it runs the last of its own kind
// (prestart), so that the start overlaps work instead of leaving the lane idle. Within a reused kind the items come
// grouped by context (byContext). Results are put back in plan order by the pool.
import type { PlanItem } from '../plan.js';
import { contextName } from '../spec/context-name.js';

export type ReusedKind = 'jit' | 'jitless';
export type WorkKind = 'fresh' | ReusedKind;

/** Longest first: the order in which unclaimed reused kinds are taken. */
const REUSED: readonly ReusedKind[] = ['jitless', 'jit'];

/** Rough costs in ms on this machine kind; only their proportions steer the schedule. */
const START_MS = 150;
const CASE_MS: Record<ReusedKind, number> = { jit: 2, jitless: 20 };

/** `isolation`: whether an item that needs a process of its own gets a forked copy of a reused worker without a JIT
 * (forked.ts: the copy may lock the whole of itself) or a fresh process. */
export function kindOf(item: PlanItem, isolation: 'forked' | 'fresh' = 'forked'): WorkKind {
  if (item.isolated) return isolation === 'fresh' ? 'fresh' : 'jitless';
  return item.wholeProcess ? 'jitless' : 'jit';
}

/** A fresh item's cost beyond its start, relatively: a forked child to inspect, a program to exec. */
const freshWeight = (item: PlanItem): number => (item.observe.exec ? 2 : 0) + (item.observe.child ? 1 : 0);

/** The items of one context together, the contexts in the order the plan first names them, plan order within each: a
 * reused worker holds a dropped context from one case to the next of the same context (child.ts), so each context is
 * entered and left once per run of its cases instead of once per case. The items for forked copies are one group of
 * their own: a copy enters its context itself, and the worker leaves whatever it holds before it forks one. */
function byContext(items: readonly PlanItem[]): PlanItem[] {
  const rank = new Map<string, number>();
  const ranked = items.map((item) => {
    const group = item.isolated ? '' : contextName(item.context);
    if (!rank.has(group)) rank.set(group, rank.size);
    return { item, rank: rank.get(group) ?? 0 };
  });
  return ranked.sort((a, b) => a.rank - b.rank).map((r) => r.item);
}

export class LaneSchedule {
  private readonly queues: Record<WorkKind, PlanItem[]>;
  private readonly owners: Record<ReusedKind, Set<number>> = { jit: new Set(), jitless: new Set() };
  /** the kind each lane has started a worker of ahead (prestart), which it claims whatever is left of it */
  private readonly prestarted = new Map<number, ReusedKind>();

  constructor(
    items: readonly PlanItem[],
    private readonly isolation: 'forked' | 'fresh' = 'forked',
  ) {
    const of = (k: WorkKind): PlanItem[] => items.filter((i) => kindOf(i, isolation) === k);
    // stable sorts: among equals, plan order
    this.queues = { fresh: [...of('fresh')].sort((a, b) => freshWeight(b) - freshWeight(a)), jit: byContext(of('jit')), jitless: byContext(of('jitless')) };
  }

  get remaining(): number {
    return this.queues.fresh.length + this.queues.jit.length + this.queues.jitless.length;
  }

  /** The next item for `lane`, or undefined when it has nothing more to do (what is left belongs to other lanes). */
  next(lane: number): PlanItem | undefined {
    for (const k of REUSED) if (this.owners[k].has(lane) && this.queues[k].length > 0) return this.queues[k].shift();
    for (const k of REUSED) {
      if (this.owners[k].size === 0 && this.queues[k].length > 0) return this.claim(lane, k);
    }
    const fresh = this.queues.fresh.shift();
    if (fresh !== undefined) return fresh;
    // its start is paid already: any item left of that kind is worth taking
    const started = this.prestarted.get(lane);
    if (started !== undefined && this.queues[started].length > 0) return this.claim(lane, started);
    for (const k of REUSED) {
      if (this.worthSecondWorker(k)) return this.claim(lane, k);
    }
    return undefined;
  }

  /** The reused kind `lane` should start a worker of now, or undefined. When what is left of the lane's own kind is
   * less than a start, and the lane would then take a second worker of another kind (no fresh items to fill in), the
   * worker is started at once: measured natively, the lane that ran the ordinary cases otherwise idled ~120-140 ms
   * (a Node start) before its first whole-process case. Each lane is told once; next() then claims that kind. */
  prestart(lane: number): ReusedKind | undefined {
    if (this.prestarted.has(lane) || this.queues.fresh.length > 0) return undefined;
    const own = REUSED.find((k) => this.owners[k].has(lane));
    if (own === undefined || this.queues[own].length * CASE_MS[own] > START_MS) return undefined;
    const other = REUSED.find((k) => k !== own && this.worthSecondWorker(k));
    if (other !== undefined) this.prestarted.set(lane, other);
    return other;
  }

  /** whether what is left of a kind outweighs starting another worker of it */
  private worthSecondWorker(k: ReusedKind): boolean {
    return this.queues[k].length * CASE_MS[k] > 2 * START_MS;
  }

  /** An item a worker found it cannot run restorably (a limit above the hard one, seen only by the worker): it goes
   * to the items that need a process of their own. */
  requeue(item: PlanItem): void {
    this.queues[kindOf(item, this.isolation)].push(item);
  }

  /** The lane is done: the kinds it ran are free for another lane to claim. */
  release(lane: number): void {
    for (const k of REUSED) this.owners[k].delete(lane);
    this.prestarted.delete(lane);
  }

  private claim(lane: number, k: ReusedKind): PlanItem | undefined {
    this.owners[k].add(lane);
    return this.queues[k].shift();
  }
}
