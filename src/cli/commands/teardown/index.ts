import { existsSync } from 'node:fs';
import { DEFAULT_RUN_OPTIONS } from '../../../engine/types.js';
import type { Reporter } from '../../../engine/events.js';
import { ExitCode } from '../../../errors.js';
import { confirmOrStop } from '../../confirm.js';
import { engineFor } from '../../engine.js';
import type { GlobalOptions, Io } from '../../options.js';
import type { Prompter } from '../../prompts.js';
import { emitRunDone, openRun } from '../../run-context.js';
import { onInterrupt } from '../../signals.js';

export interface TeardownOptions extends GlobalOptions {
  forceUnlock?: boolean;
}

export async function runTeardown(opts: TeardownOptions, io: Io, reporter: Reporter, prompter?: Prompter): Promise<number> {
  // The reported duration leaves out the time the person spent at the confirmation prompt.
  let started = Date.now();
  const run = await openRun(opts, io, reporter, 'teardown', { forceUnlock: opts.forceUnlock });
  const controller = new AbortController();
  const stopListening = onInterrupt(controller, reporter, run.store);
  try {
    const app = run.config.app;
    reporter.emit({ type: 'run.start', command: 'teardown', app, env: opts.env, region: run.region, account: run.account });
    const done = (outcome: 'empty' | 'applied') => emitRunDone(reporter, 'teardown', outcome, started, run.counter);

    const engine = engineFor(run, opts, reporter, controller.signal, DEFAULT_RUN_OPTIONS);
    // No manifest file at all (deleted or lost): find what exists by names and tags instead of
    // reporting "empty" and leaving it all behind. An empty manifest means a finished teardown.
    if (!existsSync(run.store.file)) await engine.rediscover();
    if (Object.keys(run.manifest.steps).length === 0) {
      done('empty');
      return ExitCode.Ok;
    }
    const plan = engine.planTeardown();
    started += await confirmOrStop(
      { yes: opts.yes, interactive: run.interactive, prompter },
      {
        command: 'teardown',
        question: {
          // No "(shop)" in the question: inquirer shows a default that way, and this one has none.
          message: `This deletes everything ecs-kit created for ${app}/${opts.env}. To confirm, type the app name, ${app}, and press Enter:`,
          typed: app,
        },
        retry: 'Re-run with --yes to delete everything listed above.',
        cancelled: 'Teardown cancelled; nothing was deleted.',
      },
    );
    await engine.applyTeardown(plan);
    reporter.emit({
      type: 'info',
      code: 'teardown.empty',
      message: `Environment ${opts.env} of ${app} is empty: everything ecs-kit created was deleted.`,
    });
    done('applied');
    return ExitCode.Ok;
  } finally {
    stopListening();
    run.aws.destroy();
    await run.store.releaseLock();
  }
}
