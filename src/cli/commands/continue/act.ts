import type { Reporter } from '../../../engine/events.js';
import type { ServiceState } from '../../../steps/service/index.js';
import { waitForServiceDeployment, type Settled } from '../../../rollout/strategy-wait.js';
import { deployedService, rolloutContext, serviceLocation, watchOptions, type Day2Run } from '../../day2-context.js';
import { saveStepEntry } from '../../run-context.js';

/** What continue and abort share: the service they act on, its rollout context, and the truthful wait after the act. */

export interface Act {
  name: string;
  cluster: string;
  serviceName: string;
  taskDefinition: string;
  ctx: ReturnType<typeof rolloutContext>;
  step: string;
  title: string;
}

export async function actOn(
  run: Day2Run,
  reporter: Reporter,
  name: string,
  o: { timeoutMs: number; pollIntervalMs?: number; signal: AbortSignal; command: 'continue' },
): Promise<Act> {
  const service = await deployedService(run, name, o.command);
  const { cluster, serviceName } = serviceLocation(run, name);
  const ctx = rolloutContext(run, reporter, name, watchOptions(o), o.signal);
  return {
    name,
    cluster,
    serviceName,
    taskDefinition: service.taskDefinition,
    ctx,
    step: `service:${name}`,
    title: `ECS service (${name})`,
  };
}

/** Follow the deployment after continue; a later pause is said as such. */
export async function followAfterContinue(run: Day2Run, reporter: Reporter, act: Act, arn: string): Promise<Settled> {
  const targetGroupArns = (await deployedService(run, act.name, 'continue')).loadBalancers?.flatMap((l) =>
    [l.targetGroupArn, l.advancedConfiguration?.alternateTargetGroupArn].filter((a): a is string => Boolean(a)),
  );
  const settled = await waitForServiceDeployment(
    act.ctx,
    { cluster: act.cluster, service: act.serviceName, taskDefinitionArn: act.taskDefinition, targetGroupArns: targetGroupArns ?? [] },
    { arn },
  );
  await noteRollout(run, act, settled.kind === 'paused' ? { outcome: 'paused', stage: settled.stage, deploymentArn: arn } : undefined);
  if (settled.kind === 'paused') {
    reporter.emit({
      type: 'info',
      code: 'rollout.paused',
      message: `${act.name}: the rollout is paused again at ${settled.stage}. Run \`ecs-kit continue ${act.name}\` to go on, or \`ecs-kit abort ${act.name}\` to roll back.`,
    });
  }
  return settled;
}

/** The manifest's note on the service's rollout: set while it waits at a hook, cleared once it went on. */
export async function noteRollout(run: Day2Run, act: Pick<Act, 'step'>, rollout: ServiceState['rollout']): Promise<void> {
  const entry = run.manifest.steps[act.step];
  if (!entry) return;
  const { rollout: _old, ...state } = entry.state as unknown as ServiceState;
  await saveStepEntry(run, act.step, { ...entry, state: rollout ? { ...state, rollout } : state });
}
