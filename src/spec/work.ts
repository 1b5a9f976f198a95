// A count of the elementary steps loading and linting take (nodes walked, keys compared or looked up), so tests can
// show that the work grows linearly with the input without timing anything. Costs one increment per step.
let steps = 0;

export function countWork(n = 1): void {
  steps += n;
}

/** Steps counted since the last reset. */
export function workDone(): number {
  return steps;
}

export function resetWork(): void {
  steps = 0;
}
