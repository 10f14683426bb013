import { onOneService } from '../../service-command.js';
import type { Reporter } from '../../../engine/events.js';
import { ExitCode } from '../../../errors.js';
import { continuePaused } from '../../../rollout/control.js';
import type { GlobalOptions, Io } from '../../options.js';
import { emitRunDone } from '../../run-context.js';
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
  return onOneService('continue', opts, io, reporter, async ({ run, name, signal, started }) => {
    const act = await actOn(run, reporter, name, { ...opts, signal, command: 'continue' });
    reporter.emit({ type: 'step.start', step: act.step, title: act.title, action: 'update' });
    const found = await continuePaused(act.ctx, act.cluster, act.serviceName);
    const settled = await followAfterContinue(run, reporter, act, found.arn);
    reporter.emit({ type: 'step.done', step: act.step, title: act.title, action: 'update', durationMs: Date.now() - started });
    emitRunDone(reporter, 'continue', settled.kind === 'paused' ? 'paused' : 'applied', started, run.counter);
    return ExitCode.Ok;
  });
}
