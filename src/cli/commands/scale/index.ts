import { DescribeScalableTargetsCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { explainAwsError } from '../../../aws/errors.js';
import type { Reporter } from '../../../engine/events.js';
import { DEFAULT_RUN_OPTIONS } from '../../../engine/types.js';
import { EcsKitError, ExitCode, UsageError } from '../../../errors.js';
import { resourceIdFor } from '../../../steps/scaling/index.js';
import { watchRollout } from '../../../rollout/watch.js';
import { deployedService, openDay2, pickServices, rolloutContext, serviceLocation } from '../../day2-context.js';
import type { GlobalOptions, Io } from '../../options.js';
import { onInterrupt } from '../../signals.js';

export interface ScaleOptions extends GlobalOptions {
  service: string;
  count?: number;
  min?: number;
  max?: number;
  wait: boolean;
  timeoutMs: number;
  pollIntervalMs?: number;
  forceUnlock?: boolean;
}

const clamp = (n: number, min: number, max: number) => Math.min(Math.max(n, min), max);

/** Flag checks that need only the config: wrong combinations exit 2 before any AWS call. */
function checkFlags(opts: ScaleOptions, autoscaling: boolean): void {
  if (opts.count === undefined && opts.min === undefined && opts.max === undefined) {
    throw new UsageError('scale needs --count, or --min/--max for a service with autoscaling.', `Run e.g. ecs-kit scale ${opts.service} --count 2.`, 'usage.scale');
  }
  if ((opts.min !== undefined || opts.max !== undefined) && !autoscaling) {
    throw new UsageError(`scale: --min/--max need autoscaling, and service ${opts.service} has none in ecs-kit.yml.`, `Use --count, or add autoscaling: { min, max } to services.${opts.service} and deploy.`, 'usage.scale');
  }
  if (opts.min !== undefined && opts.max !== undefined && opts.min > opts.max) {
    throw new UsageError(`scale: --min ${opts.min} is greater than --max ${opts.max}.`, 'Pass a --min that is at most --max.', 'usage.scale');
  }
}

/**
 * `ecs-kit scale <service> --count N [--min A --max B]`: set the desired task count (within
 * the autoscaling range when there is one) and keep the scalable target consistent. Takes
 * the lock like deploy and waits for the service to settle.
 */
export async function runScale(opts: ScaleOptions, io: Io, reporter: Reporter): Promise<number> {
  const started = Date.now();
  const run = await openDay2(opts, io, reporter, {
    lock: 'scale',
    forceUnlock: opts.forceUnlock,
    check: (local) => {
      pickServices(local, opts.service, 'scale', true);
      checkFlags(opts, local.config.services[opts.service]?.autoscaling !== undefined);
    },
  });
  const controller = new AbortController();
  const stopListening = onInterrupt(controller, reporter, run.store);
  try {
    const name = opts.service;
    const svcConfig = run.config.services[name];
    const { cluster, serviceName } = serviceLocation(run, name);
    const stepId = `service:${name}`;
    const title = `ECS service (${name})`;
    reporter.emit({ type: 'run.start', command: 'scale', app: run.config.app, env: opts.env, region: run.region, account: run.account });

    const ecs = run.aws.ecs();
    const service = await deployedService(run, name, 'scale');
    const current = service.desiredCount ?? 0;
    let desired = opts.count ?? current;

    if (svcConfig?.autoscaling) {
      const resourceId = resourceIdFor({ clusterName: cluster, serviceName });
      const aas = run.aws.autoscaling();
      const target = await aas
        .send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resourceId], ScalableDimension: 'ecs:service:DesiredCount' }))
        .then((o) => o.ScalableTargets?.find((t) => t.ResourceId === resourceId))
        .catch((err) => {
          throw explainAwsError(err, `reading the autoscaling target of ${serviceName}`);
        });
      if (!target) {
        throw new EcsKitError('scale.no-target', `Service ${name} has autoscaling in ecs-kit.yml, but no scalable target exists for it yet.`, {
          why: 'The autoscaling step of an earlier deploy did not finish.',
          fix: 'Run ecs-kit deploy, then scale.',
        });
      }
      const min = opts.min ?? target.MinCapacity ?? svcConfig.autoscaling.min;
      const max = opts.max ?? target.MaxCapacity ?? svcConfig.autoscaling.max;
      if (min > max) {
        throw new UsageError(`scale: the range would be min ${min} > max ${max} (the other bound is the current one).`, 'Pass both --min and --max.', 'usage.scale');
      }
      if (opts.count !== undefined && (opts.count < min || opts.count > max)) {
        throw new UsageError(
          `scale: --count ${opts.count} is outside the autoscaling range ${min}–${max} of ${name}; the scaler would undo it.`,
          `Pass a --count between ${min} and ${max}, or widen the range with --min/--max.`,
          'usage.scale',
        );
      }
      desired = clamp(desired, min, max);
      if (min !== target.MinCapacity || max !== target.MaxCapacity) {
        const scalingStep = `scaling:${name}`;
        reporter.emit({ type: 'step.start', step: scalingStep, title: `Autoscaling (${name})`, action: 'update' });
        reporter.emit({ type: 'step.progress', step: scalingStep, message: `range ${target.MinCapacity ?? '?'}–${target.MaxCapacity ?? '?'} → ${min}–${max} tasks` });
        await aas
          .send(new RegisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: min, MaxCapacity: max }))
          .catch((err) => {
            throw explainAwsError(err, `updating the autoscaling range of ${serviceName}`);
          });
        reporter.emit({ type: 'step.done', step: scalingStep, title: `Autoscaling (${name})`, action: 'update', durationMs: Date.now() - started });
        if (min !== svcConfig.autoscaling.min || max !== svcConfig.autoscaling.max) {
          reporter.emit({ type: 'warn', message: `ecs-kit.yml still says autoscaling min ${svcConfig.autoscaling.min}, max ${svcConfig.autoscaling.max} for ${name}; the next deploy sets that back. Edit it to keep ${min}–${max}.` });
        }
      }
      if (opts.count !== undefined) reporter.emit({ type: 'info', message: `Autoscaling stays on for ${name}: it will keep adjusting the count between ${min} and ${max} as load changes.` });
    } else if (opts.count !== undefined && svcConfig && opts.count !== svcConfig.desiredCount) {
      reporter.emit({ type: 'warn', message: `ecs-kit.yml still says desiredCount: ${svcConfig.desiredCount} for ${name}; the next deploy sets that back. Edit it to keep ${opts.count}.` });
    }

    if (desired !== current) {
      reporter.emit({ type: 'step.start', step: stepId, title, action: 'update' });
      reporter.emit({ type: 'step.progress', step: stepId, message: `desired count ${current} → ${desired}` });
      await ecs.send(new UpdateServiceCommand({ cluster, service: serviceName, desiredCount: desired })).catch((err) => {
        throw explainAwsError(err, `scaling service ${serviceName}`);
      });
      if (opts.wait) {
        const options = { ...DEFAULT_RUN_OPTIONS, wait: true, timeoutMs: opts.timeoutMs, ...(opts.pollIntervalMs ? { pollIntervalMs: opts.pollIntervalMs } : {}) };
        await watchRollout(rolloutContext(run, reporter, name, options, controller.signal), { cluster, service: serviceName, taskDefinitionArn: service.taskDefinition });
      }
      reporter.emit({ type: 'step.done', step: stepId, title, action: 'update', durationMs: Date.now() - started });
    } else {
      reporter.emit({ type: 'info', message: `Service ${name} already wants ${desired} task(s).` });
    }
    reporter.emit({ type: 'output', name: `desiredCount.${name}`, value: String(desired) });
    reporter.emit({ type: 'run.done', command: 'scale', outcome: run.counter.mutating > 0 ? 'applied' : 'empty', durationMs: Date.now() - started, calls: run.counter.calls, mutatingCalls: run.counter.mutating });
    return ExitCode.Ok;
  } finally {
    stopListening();
    await run.close();
  }
}
