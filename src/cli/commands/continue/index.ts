import type { Reporter } from '../../../engine/events.js';
import { ExitCode } from '../../../errors.js';
import { continuePaused } from '../../../rollout/control.js';
import { openDay2, pickServices } from '../../day2-context.js';
import type { GlobalOptions, Io } from '../../options.js';
import { emitRunDone } from '../../run-context.js';
import { onInterrupt } from '../../signals.js';
import { actOn, followAfterContinue } from './act.js';

export interface ContinueOptions extends GlobalOptions {
  service?: string;
  timeoutMs: number;
  pollIntervalMs?: number;
  forceUnlock?: boolean;
}

/**
 * `ecs-kit continue [service]`: a blue/green, linear or canary rollout paused at a hook (`deployment.pauseBefore`) goes
 * on (ContinueServiceDeployment CONTINUE), followed as deploy follows it: to completion, the next pause, or a rollback.
 */
export async function runContinue(opts: ContinueOptions, io: Io, reporter: Reporter): Promise<number> {
  const started = Date.now();
  const run = await openDay2(opts, io, reporter, {
    lock: 'continue',
    forceUnlock: opts.forceUnlock,
    check: (local) => void pickServices(local, opts.service, 'continue', true),
  });
  const controller = new AbortController();
  const stopListening = onInterrupt(controller, reporter, run.store);
  try {
    const [name] = pickServices(run, opts.service, 'continue', true) as [string];
    reporter.emit({ type: 'run.start', command: 'continue', app: run.config.app, env: opts.env, region: run.region, account: run.account });
    const act = await actOn(run, reporter, name, { ...opts, signal: controller.signal, command: 'continue' });
    reporter.emit({ type: 'step.start', step: act.step, title: act.title, action: 'update' });
    const found = await continuePaused(act.ctx, act.cluster, act.serviceName);
    const settled = await followAfterContinue(run, reporter, act, found.arn);
    reporter.emit({ type: 'step.done', step: act.step, title: act.title, action: 'update', durationMs: Date.now() - started });
    emitRunDone(reporter, 'continue', settled.kind === 'paused' ? 'paused' : 'applied', started, run.counter);
    return ExitCode.Ok;
  } finally {
    stopListening();
    await run.close();
  }
}
