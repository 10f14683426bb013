import { onOneService } from '../../service-command.js';
import { DescribeTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { explainAwsError, isAwsError } from '../../../aws/errors.js';
import type { Reporter } from '../../../engine/events.js';
import { rollbackTarget } from '../../../engine/history.js';
import type { HistoryEntry } from '../../../engine/manifest.js';
import { EcsKitError, ExitCode } from '../../../errors.js';
import { revisionName } from '../../../rollout/diagnosis.js';
import { watchRollout } from '../../../rollout/watch.js';
import { confirmOrStop } from '../../confirm.js';
import { deployedService, rolloutContext, serviceLocation, watchOptions, type Day2Run } from '../../day2-context.js';
import type { GlobalOptions, Io } from '../../options.js';
import type { Prompter } from '../../prompts.js';
import { emitRunDone, saveStepEntry } from '../../run-context.js';
import { shiftsTraffic } from '../../../steps/service/deployment-config.js';
import { rollBackInFlightRollout } from '../abort/index.js';

export interface RollbackOptions extends GlobalOptions {
  service?: string;
  wait: boolean;
  timeoutMs: number;
  pollIntervalMs?: number;
  forceUnlock?: boolean;
}

/**
 * `ecs-kit rollback [service]`: put the service back on the task definition revision it ran
 * before, from the deploy history in the manifest, and wait for that rollout like deploy does.
 * Running it again steps back one more deploy.
 */
export async function runRollback(opts: RollbackOptions, io: Io, reporter: Reporter, prompter?: Prompter): Promise<number> {
  return onOneService('rollback', opts, io, reporter, async ({ run, name, signal, started }) => {
    // During a blue/green, linear or canary rollout (a bake, a pause): roll that deployment back, as ECS does.
    const svc = run.config.services[name];
    const during = { ...opts, signal, started, prompter, command: 'rollback' as const };
    if (svc && shiftsTraffic(svc) && (await rollBackInFlightRollout(run, reporter, name, during))) {
      emitRunDone(reporter, 'rollback', 'applied', started, run.counter);
      return ExitCode.Ok;
    }
    const { current, target } = await findTarget(run, name);
    const question = `Roll ${name} back from ${revisionName(current)} to ${revisionName(target.taskDefinitionArn)} (deployed ${target.at})?`;
    await confirmOrStop(
      { yes: opts.yes, interactive: run.interactive, prompter },
      {
        command: 'rollback',
        question: { message: question, default: false },
        questionInRefusal: true,
        retry: 'Re-run with --yes.',
        cancelled: 'Rollback cancelled; nothing was changed.',
      },
    );
    await rollBack(run, reporter, { name, current, target: target.taskDefinitionArn, opts, signal, started });
    reporter.emit({ type: 'output', name: `taskDefinition.${name}`, value: revisionName(target.taskDefinitionArn) });
    emitRunDone(reporter, 'rollback', 'applied', started, run.counter);
    return ExitCode.Ok;
  });
}

/** What the service runs now and the history entry to go back to, which must still be an ACTIVE revision. */
async function findTarget(run: Day2Run, name: string): Promise<{ current: string; target: HistoryEntry }> {
  const service = await deployedService(run, name, 'rollback');
  const current = service.taskDefinition;
  const target = rollbackTarget(run.manifest, name, current);
  if (!target) {
    throw new EcsKitError(
      'rollback.no-history',
      `There is no earlier revision of ${name} to roll back to: it runs ${revisionName(current)} and the deploy history in ${run.store.location} has nothing before it.`,
      {
        why: 'ecs-kit records each revision a deploy puts in place; rollback needs at least two deploys that changed the task definition.',
        fix: 'To go back further, set the old image in ecs-kit.yml and run ecs-kit deploy.',
      },
    );
  }
  // An old revision may have been deregistered (by hand, or a teardown of another env sharing the family).
  const td = await run.aws
    .ecs()
    .send(new DescribeTaskDefinitionCommand({ taskDefinition: target.taskDefinitionArn }))
    .catch((err) => {
      if (isAwsError(err, 'ClientException')) return undefined;
      throw explainAwsError(err, `reading task definition ${revisionName(target.taskDefinitionArn)}`);
    });
  if (!td?.taskDefinition || td.taskDefinition.status !== 'ACTIVE') {
    throw new EcsKitError(
      'rollback.revision-gone',
      `Cannot roll ${name} back to ${revisionName(target.taskDefinitionArn)} (deployed ${target.at}): that revision is ${td?.taskDefinition?.status ?? 'gone'}.`,
      {
        why: 'ECS does not start new tasks from a deregistered task definition.',
        fix: 'Set the old image in ecs-kit.yml and run ecs-kit deploy.',
      },
    );
  }
  return { current, target };
}

/** Points the service at the old revision, records it in the manifest and (unless --no-wait) follows the rollout, shown as the service step. */
async function rollBack(
  run: Day2Run,
  reporter: Reporter,
  o: { name: string; current: string; target: string; opts: RollbackOptions; signal: AbortSignal; started: number },
): Promise<void> {
  const { cluster, serviceName } = serviceLocation(run, o.name);
  const step = `service:${o.name}`;
  const title = `ECS service (${o.name})`;
  reporter.emit({ type: 'step.start', step, title, action: 'update' });
  reporter.emit({ type: 'step.progress', step, message: `task definition ${revisionName(o.current)} → ${revisionName(o.target)}` });
  const since = new Date(Date.now() - 10_000); // allow for clock skew against ECS event times
  await run.aws
    .ecs()
    .send(new UpdateServiceCommand({ cluster, service: serviceName, taskDefinition: o.target }))
    .catch((err) => {
      throw explainAwsError(err, `rolling back service ${serviceName}`);
    });
  // Recorded before the wait, so the manifest says what the service runs even if the wait fails.
  const entry = run.manifest.steps[step];
  if (entry) await saveStepEntry(run, step, { ...entry, state: { ...entry.state, taskDefinitionArn: o.target } });
  if (o.opts.wait) {
    // rollback: false — a failed rollback must not "roll back" to the revision we are leaving.
    const options = { ...watchOptions(o.opts), rollback: false };
    await watchRollout(rolloutContext(run, reporter, o.name, options, o.signal), {
      cluster,
      service: serviceName,
      taskDefinitionArn: o.target,
      since,
    });
  }
  reporter.emit({ type: 'step.done', step, title, action: 'update', durationMs: Date.now() - o.started });
}
