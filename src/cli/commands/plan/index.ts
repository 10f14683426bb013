import { preflight } from '../../../doctor/preflight.js';
import type { Reporter } from '../../../engine/events.js';
import { DEFAULT_RUN_OPTIONS } from '../../../engine/types.js';
import { ExitCode } from '../../../errors.js';
import { openDay2 } from '../../day2-context.js';
import { engineFor } from '../../engine.js';
import type { GlobalOptions, Io } from '../../options.js';
import { emitRunDone } from '../../run-context.js';
import { onInterrupt } from '../../signals.js';

/** `plan --detailed-exitcode` (and `deploy --dry-run --detailed-exitcode`): changes are pending. */
export const EXIT_CHANGES_PENDING = 3;

export interface PlanOptions extends GlobalOptions {
  detailedExitcode?: boolean;
  /** deploy --dry-run --image: plan with the pinned images. */
  images?: Record<string, string>;
}

/**
 * Read every step's live state and show what a deploy would do, changing nothing: no
 * mutating AWS call, no lock, no manifest write (the store is read-only).
 */
export async function runPlan(opts: PlanOptions, io: Io, reporter: Reporter): Promise<number> {
  const started = Date.now();
  const run = await openDay2(opts, io, reporter, opts.images ? { images: opts.images } : {});
  const controller = new AbortController();
  const stopListening = onInterrupt(controller, reporter, run.store);
  try {
    // Doctor's cheap checks (no AWS call), so plan refuses what deploy would refuse.
    preflight(run.config, run.region);
    reporter.emit({ type: 'run.start', command: 'plan', app: run.config.app, env: opts.env, region: run.region, account: run.account });
    const engine = engineFor(run, opts, reporter, controller.signal, { ...DEFAULT_RUN_OPTIONS, wait: false });
    const plan = await engine.planDeploy();
    emitRunDone(reporter, 'plan', plan.hasChanges ? 'planned' : 'no-changes', started, run.counter);
    return plan.hasChanges && opts.detailedExitcode ? EXIT_CHANGES_PENDING : ExitCode.Ok;
  } finally {
    stopListening();
    await run.close();
  }
}
