// Jobs spread over a few workers, their answers taken in job order: the scheduling of merge's worker threads
// (src/merge-files.ts), kept apart from the threads so that it can be tested on its own.

/** Hands job indexes 0..total-1 to idle workers (`post`), and answers to `take` in index order whatever order they
 * arrive in. Jobs go out at most `window` ahead of the next one to take: answers that arrive before their turn wait
 * here, and one slow job must not let every later one pile up. */
export class InOrder<W, A> {
  private readonly waiting = new Map<number, A>();
  private readonly idle: W[];
  private sent = 0;
  private next = 0;

  constructor(
    private readonly total: number,
    private readonly window: number,
    workers: readonly W[],
    private readonly post: (worker: W, index: number) => void,
    private readonly take: (index: number, answer: A) => void,
  ) {
    this.idle = [...workers];
  }

  /** Hand out what may go out now. */
  pump(): void {
    while (this.idle.length > 0 && this.sent < this.total && this.sent - this.next < this.window) {
      const worker = this.idle.pop() as W;
      this.post(worker, this.sent);
      this.sent += 1;
    }
  }

  /** `worker` answered job `index`: take every answer whose turn has come, then hand out more. True once all are
   * taken. What `take` throws is thrown here, and nothing more is handed out. */
  answer(worker: W, index: number, answer: A): boolean {
    this.waiting.set(index, answer);
    this.idle.push(worker);
    for (let a = this.waiting.get(this.next); a !== undefined; a = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      this.take(this.next, a);
      this.next += 1;
    }
    if (this.next === this.total) return true;
    this.pump();
    return false;
  }
}
