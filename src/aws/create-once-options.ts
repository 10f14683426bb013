import type { StepContext } from '../engine/types.js';

/** createOnce settings from the run: the attempt budget, cancellation, the lookup's patience and a word when adopting. */
export function onceOptions(ctx: StepContext): { attempts: number; lookupWaitMs: number; signal?: AbortSignal; onAdopt: () => void } {
  return {
    attempts: ctx.aws.maxAttempts(),
    lookupWaitMs: Math.min(8_000, ctx.options.propagationRetryMs),
    signal: ctx.signal,
    onAdopt: () => ctx.progress('adopting what an earlier attempt created (its response was lost)'),
  };
}
