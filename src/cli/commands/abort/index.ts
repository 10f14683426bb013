import { onOneService } from '../../service-command.js';
import type { Reporter } from '../../../engine/events.js';
import { EcsKitError, ExitCode } from '../../../errors.js';
import { inFlight, nothingToAbort, rollBackInFlight } from '../../../rollout/control.js';
import { revisionName } from '../../../rollout/diagnosis.js';
import { followServiceDeployment } from '../../../rollout/service-deployment.js';
import { confirmOrStop } from '../../confirm.js';
import type { Day2Run } from '../../day2-context.js';
import type { GlobalOptions, Io } from '../../options.js';
import type { Prompter } from '../../prompts.js';
import { emitRunDone } from '../../run-context.js';
import { actOn, noteRollout } from '../continue/act.js';

export interface AbortOptions extends GlobalOptions {
  service?: string;
  timeoutMs: number;
  pollIntervalMs?: number;
  forceUnlock?: boolean;
}

/**
 * `ecs-kit abort [service]`: the blue/green, linear or canary rollout in flight rolls back (ContinueServiceDeployment
 * ROLLBACK at a pause hook, else StopServiceDeployment ROLLBACK), followed until ECS finished the rollback.
 */
export async function runAbort(opts: AbortOptions, io: Io, reporter: Reporter, prompter?: Prompter): Promise<number> {
  return onOneService('abort', opts, io, reporter, async ({ run, name, signal, started }) => {
    if (!(await rollBackInFlightRollout(run, reporter, name, { ...opts, signal, started, prompter, command: 'abort' })))
      throw nothingToAbort(name);
    emitRunDone(reporter, 'abort', 'applied', started, run.counter);
    return ExitCode.Ok;
  });
}

/**
 * Roll back the service's blue/green, linear or canary rollout in flight (paused, shifting or baking) and follow it until
 * ECS finished; false when nothing is in flight. `abort` and `rollback` (during a bake) share it.
 */
export async function rollBackInFlightRollout(
  run: Day2Run,
  reporter: Reporter,
  name: string,
  o: AbortOptions & { signal: AbortSignal; started: number; prompter: Prompter | undefined; command: 'abort' | 'rollback' },
): Promise<boolean> {
  const act = await actOn(run, reporter, name, { ...o, command: 'continue' });
  const found = await inFlight(act.ctx, act.cluster, act.serviceName);
  if (!found) return false;
  await confirmOrStop(
    { yes: o.yes, interactive: run.interactive, prompter: o.prompter },
    {
      command: o.command,
      question: {
        message: `Roll ${name} back from ${revisionName(act.taskDefinition)} (its rollout is at ${found.deployment.lifecycleStage ?? 'its start'})?`,
        default: false,
      },
      questionInRefusal: true,
      retry: 'Re-run with --yes.',
      cancelled: 'Cancelled; the rollout goes on.',
    },
  );
  reporter.emit({ type: 'step.start', step: act.step, title: act.title, action: 'update' });
  await rollBackInFlight(act.ctx, found);
  const outcome = await followServiceDeployment(act.ctx, found.arn, undefined, true);
  await noteRollout(run, act, undefined);
  if (outcome.kind !== 'rolled-back') {
    throw new EcsKitError('rollout.failed', `The rollback of ${name} did not finish: ${outcome.kind}.`, {
      why: 'reason' in outcome ? outcome.reason : 'ECS had not finished rolling back within --timeout.',
      fix: '`ecs-kit status` shows the service; run the command again or deploy the revision you want.',
    });
  }
  reporter.emit({ type: 'step.done', step: act.step, title: act.title, action: 'update', durationMs: Date.now() - o.started });
  return true;
}
