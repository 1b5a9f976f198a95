// The call text of a step, in a module of its own: the worker needs it, and must not load zod (schema.ts) to get it.
import type { Step } from './schema.js';

/** The call text of a step: a plain call text, or the `call` of a declared step. */
export const stepCall = (step: Step): string => (typeof step === 'string' ? step : step.call);
