import { TAG_APP, TAG_ENV } from '../../../aws/tags.js';
import { checkDockerReady } from '../../../docker/cli.js';
import { preflight } from '../../../doctor/preflight.js';
import { deployedRevisions, recordDeployed } from '../../../engine/history.js';
import { DEFAULT_RUN_OPTIONS } from '../../../engine/types.js';
import type { Reporter } from '../../../engine/events.js';
import { ExitCode } from '../../../errors.js';
import { confirmOrStop } from '../../confirm.js';
import { engineFor } from '../../engine.js';
import type { GlobalOptions, Io } from '../../options.js';
import type { Prompter } from '../../prompts.js';
import { emitRunDone, openRun } from '../../run-context.js';
import { onInterrupt } from '../../signals.js';
import type { WaitStage } from '../../../rollout/stages.js';
import { checkWaitUntil, reportUnfinishedRollouts } from './rollouts.js';

export interface DeployOptions extends GlobalOptions {
  wait: boolean;
  timeoutMs?: number;
  pollIntervalMs?: number;
  forceUnlock?: boolean;
  /** --max-failed-tasks: stop waiting after this many stopped tasks of the new revision. */
  maxFailedTasks?: number;
  /** false with --no-rollback. */
  rollback?: boolean;
  /** --dry-run: print the plan and stop (the same as `ecs-kit plan`: no lock, no change). */
  dryRun?: boolean;
  detailedExitcode?: boolean;
  /** --wait-until: return once a blue/green, linear or canary rollout reaches this stage. */
  waitUntil?: WaitStage;
  /** --image <service>=<uri> pins (src/config/environments.ts). */
  images?: Record<string, string>;
}

export async function runDeploy(opts: DeployOptions, io: Io, reporter: Reporter, prompter?: Prompter): Promise<number> {
  if (opts.dryRun) {
    const { runPlan } = await import('../plan/index.js');
    return runPlan(opts, io, reporter);
  }
  // The reported duration leaves out the time the person spent at the confirmation prompt.
  let started = Date.now();
  const run = await openRun(opts, io, reporter, 'deploy', {
    forceUnlock: opts.forceUnlock,
    ...(opts.images ? { images: opts.images } : {}),
  });
  const controller = new AbortController();
  const stopListening = onInterrupt(controller, reporter, run.store);
  try {
    // Doctor's cheap checks (no AWS call): a wrong-region certificate exits 2 before anything changes.
    preflight(run.config, run.region);
    checkWaitUntil(run.config, opts.waitUntil);
    reporter.emit({ type: 'run.start', command: 'deploy', app: run.config.app, env: opts.env, region: run.region, account: run.account });
    const engine = engineFor(run, opts, reporter, controller.signal, {
      ...DEFAULT_RUN_OPTIONS,
      wait: opts.wait,
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.pollIntervalMs ? { pollIntervalMs: opts.pollIntervalMs } : {}),
      ...(opts.maxFailedTasks ? { maxFailedTasks: opts.maxFailedTasks } : {}),
      ...(opts.rollback === false ? { rollback: false } : {}),
      ...(opts.waitUntil ? { waitUntil: opts.waitUntil } : {}),
    });

    // No manifest file (first deploy, or it was deleted): planning finds what exists by names
    // and ecs-kit tags and adopts it, so say so rather than silently creating a second copy.
    const noManifest = !run.found;
    if (noManifest) {
      reporter.emit({
        type: 'info',
        code: 'deploy.no-manifest',
        message: `No manifest for env ${opts.env} yet: checking AWS for resources tagged ${TAG_APP}=${run.config.app} ${TAG_ENV}=${opts.env}, so nothing is created twice.`,
      });
    }
    const plan = await engine.planDeploy();
    if (noManifest) {
      const adopted = plan.steps.filter((s) => s.plan?.current).map((s) => s.instance.id);
      if (adopted.length) {
        reporter.emit({
          type: 'info',
          code: 'deploy.adopting',
          message: `Adopting ${adopted.length} existing step(s) found by tags: ${adopted.join(', ')}.`,
        });
      }
    }
    // A build needs a running Docker: found out now, before the question and before any AWS change.
    if (plan.steps.some((s) => s.action !== 'noop' && s.instance.kind === 'image')) await checkDockerReady();
    if (plan.hasChanges) {
      started += await confirmOrStop(
        { yes: opts.yes, interactive: run.interactive, prompter },
        {
          command: 'deploy',
          question: { message: 'Apply these changes?', default: true },
          retry: 'Re-run with --yes to apply the plan above.',
          cancelled: 'Deploy cancelled; nothing was changed.',
        },
      );
    }
    // The build phase: images are built locally before anything changes in AWS.
    await engine.prepareDeploy(plan);
    // With no changes this only records what planning found: no mutating call.
    await engine.applyDeploy(plan);
    // The revisions now in place, for `ecs-kit rollback`; unchanged services add nothing.
    if (recordDeployed(run.manifest, deployedRevisions(run.manifest))) await run.store.write(run.manifest);
    const settled = reportUnfinishedRollouts(run.manifest, reporter);
    emitRunDone(reporter, 'deploy', settled ?? (plan.hasChanges ? 'applied' : 'no-changes'), started, run.counter);
    return ExitCode.Ok;
  } finally {
    stopListening();
    run.aws.destroy();
    await run.store.releaseLock();
  }
}
