import { loadConfig, resolveConfigPath } from '../../../config/load.js';
import { DEFAULT_RUN_OPTIONS } from '../../../engine/types.js';
import type { Reporter } from '../../../engine/events.js';
import { ExitCode, UsageError } from '../../../errors.js';
import { confirmOrStop } from '../../confirm.js';
import { engineFor } from '../../engine.js';
import type { GlobalOptions, Io } from '../../options.js';
import type { Prompter } from '../../prompts.js';
import { emitRunDone, openRun } from '../../run-context.js';
import { onInterrupt } from '../../signals.js';
import { resolveStateLocation } from '../../state-store.js';

export interface TeardownOptions extends GlobalOptions {
  forceUnlock?: boolean;
  /** With S3 state: also delete the bucket, when `state init` created it and nothing else is left in it. */
  deleteBucket?: boolean;
}

export async function runTeardown(opts: TeardownOptions, io: Io, reporter: Reporter, prompter?: Prompter): Promise<number> {
  // The reported duration leaves out the time the person spent at the confirmation prompt.
  let started = Date.now();
  if (opts.deleteBucket) await checkDeleteBucket(opts, io);
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
    if (!run.found) await engine.rediscover();
    if (Object.keys(run.manifest.steps).length === 0) {
      await removeState(run, opts, reporter);
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
    await removeState(run, opts, reporter);
    done('applied');
    return ExitCode.Ok;
  } finally {
    stopListening();
    run.aws.destroy();
    await run.store.releaseLock();
  }
}

/** --delete-bucket only means something with S3 state: refused (exit 2) before any AWS call otherwise. */
async function checkDeleteBucket(opts: TeardownOptions, io: Io): Promise<void> {
  const { config } = await loadConfig(resolveConfigPath(io.cwd, opts.config));
  if (resolveStateLocation(opts, config).backend === 's3') return;
  throw new UsageError(
    '--delete-bucket: this environment keeps its state locally, so there is no state bucket to delete.',
    'Leave out --delete-bucket, or set state: in ecs-kit.yml (or --state s3://…) to the bucket.',
  );
}

/**
 * After a complete teardown with S3 state: the environment's state object goes (every version, and the lock), and with
 * --delete-bucket the bucket too, when `state init` created it and nothing else is in it. The local manifest stays.
 */
async function removeState(run: Awaited<ReturnType<typeof openRun>>, opts: TeardownOptions, reporter: Reporter): Promise<void> {
  if (run.location.backend !== 's3' || !run.store.remove) return;
  await run.store.remove();
  reporter.emit({
    type: 'info',
    code: 'state.removed',
    message: `Deleted the state of ${run.config.app}/${opts.env} (${run.store.location}, every version).`,
  });
  if (!opts.deleteBucket) return;
  const { deleteStateBucket } = await import('../../../aws/state-bucket.js');
  const bucket = run.location.bucket;
  const result = await deleteStateBucket(await run.aws.s3(run.location.region), bucket);
  if (result.deleted) reporter.emit({ type: 'info', code: 'state.bucket-deleted', message: `Deleted the state bucket ${bucket}.` });
  else reporter.emit({ type: 'warn', code: 'state.bucket-kept', message: `Kept the state bucket ${bucket}: ${result.why}.` });
}
