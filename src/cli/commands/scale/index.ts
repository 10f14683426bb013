import {
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
  type ScalableTarget,
} from '@aws-sdk/client-application-auto-scaling';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { explainAwsError } from '../../../aws/errors.js';
import type { Reporter } from '../../../engine/events.js';
import { EcsKitError, ExitCode, UsageError } from '../../../errors.js';
import { watchRollout } from '../../../rollout/watch.js';
import { resourceIdFor } from '../../../steps/scaling/index.js';
import {
  deployedService,
  openDay2,
  pickServices,
  rolloutContext,
  serviceLocation,
  watchOptions,
  type Day2Run,
} from '../../day2-context.js';
import type { GlobalOptions, Io } from '../../options.js';
import { emitRunDone } from '../../run-context.js';
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
    throw new UsageError(
      'scale needs --count, or --min/--max for a service with autoscaling.',
      `Run e.g. ecs-kit scale ${opts.service} --count 2.`,
      'usage.scale',
    );
  }
  if ((opts.min !== undefined || opts.max !== undefined) && !autoscaling) {
    throw new UsageError(
      `scale: --min/--max need autoscaling, and service ${opts.service} has none in ecs-kit.yml.`,
      `Use --count, or add autoscaling: { min, max } to services.${opts.service} and deploy.`,
      'usage.scale',
    );
  }
  if (opts.min !== undefined && opts.max !== undefined && opts.min > opts.max) {
    throw new UsageError(
      `scale: --min ${opts.min} is greater than --max ${opts.max}.`,
      'Pass a --min that is at most --max.',
      'usage.scale',
    );
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
    const target: ScaleTarget = { name, ...serviceLocation(run, name), started };
    reporter.emit({ type: 'run.start', command: 'scale', app: run.config.app, env: opts.env, region: run.region, account: run.account });

    const service = await deployedService(run, name, 'scale');
    const current = service.desiredCount ?? 0;
    let desired = opts.count ?? current;
    if (svcConfig?.autoscaling) {
      const range = await applyRange(run, reporter, target, svcConfig.autoscaling, opts);
      desired = clamp(desired, range.min, range.max);
    } else if (opts.count !== undefined && svcConfig && opts.count !== svcConfig.desiredCount) {
      reporter.emit({
        type: 'warn',
        code: 'scale.config-differs',
        message: `ecs-kit.yml still says desiredCount: ${svcConfig.desiredCount} for ${name}; the next deploy sets that back. Edit it to keep ${opts.count}.`,
      });
    }

    if (desired !== current) {
      await applyCount(run, reporter, target, {
        from: current,
        to: desired,
        taskDefinitionArn: service.taskDefinition,
        opts,
        signal: controller.signal,
      });
    } else {
      reporter.emit({ type: 'info', code: 'scale.unchanged', message: `Service ${name} already wants ${desired} task(s).` });
    }
    reporter.emit({ type: 'output', name: `desiredCount.${name}`, value: String(desired) });
    emitRunDone(reporter, 'scale', run.counter.mutating > 0 ? 'applied' : 'empty', started, run.counter);
    return ExitCode.Ok;
  } finally {
    stopListening();
    await run.close();
  }
}

/** The service being scaled, where it lives, and when the command started (for step durations). */
interface ScaleTarget {
  name: string;
  cluster: string;
  serviceName: string;
  started: number;
}

/**
 * The autoscaling range after this command: --min/--max over the scalable target's current bounds.
 * Registers it when it changed; --count must lie inside it, or the scaler would undo it.
 */
async function applyRange(
  run: Day2Run,
  reporter: Reporter,
  t: ScaleTarget,
  configured: { min: number; max: number },
  opts: ScaleOptions,
): Promise<{ min: number; max: number }> {
  const resourceId = resourceIdFor({ clusterName: t.cluster, serviceName: t.serviceName });
  const target = await scalableTarget(run, resourceId, t);
  const min = opts.min ?? target.MinCapacity ?? configured.min;
  const max = opts.max ?? target.MaxCapacity ?? configured.max;
  if (min > max) {
    throw new UsageError(
      `scale: the range would be min ${min} > max ${max} (the other bound is the current one).`,
      'Pass both --min and --max.',
      'usage.scale',
    );
  }
  if (opts.count !== undefined && (opts.count < min || opts.count > max)) {
    throw new UsageError(
      `scale: --count ${opts.count} is outside the autoscaling range ${min}–${max} of ${t.name}; the scaler would undo it.`,
      `Pass a --count between ${min} and ${max}, or widen the range with --min/--max.`,
      'usage.scale',
    );
  }
  if (min !== target.MinCapacity || max !== target.MaxCapacity) {
    const step = `scaling:${t.name}`;
    const title = `Autoscaling (${t.name})`;
    reporter.emit({ type: 'step.start', step, title, action: 'update' });
    reporter.emit({
      type: 'step.progress',
      step,
      message: `range ${target.MinCapacity ?? '?'}–${target.MaxCapacity ?? '?'} → ${min}–${max} tasks`,
    });
    await run.aws
      .autoscaling()
      .send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: 'ecs',
          ResourceId: resourceId,
          ScalableDimension: 'ecs:service:DesiredCount',
          MinCapacity: min,
          MaxCapacity: max,
        }),
      )
      .catch((err) => {
        throw explainAwsError(err, `updating the autoscaling range of ${t.serviceName}`);
      });
    reporter.emit({ type: 'step.done', step, title, action: 'update', durationMs: Date.now() - t.started });
    if (min !== configured.min || max !== configured.max) {
      const says = `ecs-kit.yml still says autoscaling min ${configured.min}, max ${configured.max} for ${t.name}`;
      reporter.emit({
        type: 'warn',
        code: 'scale.config-differs',
        message: `${says}; the next deploy sets that back. Edit it to keep ${min}–${max}.`,
      });
    }
  }
  if (opts.count !== undefined) {
    reporter.emit({
      type: 'info',
      code: 'scale.autoscaling-on',
      message: `Autoscaling stays on for ${t.name}: it will keep adjusting the count between ${min} and ${max} as load changes.`,
    });
  }
  return { min, max };
}

async function scalableTarget(run: Day2Run, resourceId: string, t: ScaleTarget): Promise<ScalableTarget> {
  const target = await run.aws
    .autoscaling()
    .send(
      new DescribeScalableTargetsCommand({
        ServiceNamespace: 'ecs',
        ResourceIds: [resourceId],
        ScalableDimension: 'ecs:service:DesiredCount',
      }),
    )
    .then((o) => o.ScalableTargets?.find((x) => x.ResourceId === resourceId))
    .catch((err) => {
      throw explainAwsError(err, `reading the autoscaling target of ${t.serviceName}`);
    });
  if (!target) {
    throw new EcsKitError(
      'scale.no-target',
      `Service ${t.name} has autoscaling in ecs-kit.yml, but no scalable target exists for it yet.`,
      {
        why: 'The autoscaling step of an earlier deploy did not finish.',
        fix: 'Run ecs-kit deploy, then scale.',
      },
    );
  }
  return target;
}

/** Sets the service's desired count and (unless --no-wait) waits for it to settle, shown as the service step. */
async function applyCount(
  run: Day2Run,
  reporter: Reporter,
  t: ScaleTarget,
  o: { from: number; to: number; taskDefinitionArn: string; opts: ScaleOptions; signal: AbortSignal },
): Promise<void> {
  const step = `service:${t.name}`;
  const title = `ECS service (${t.name})`;
  reporter.emit({ type: 'step.start', step, title, action: 'update' });
  reporter.emit({ type: 'step.progress', step, message: `desired count ${o.from} → ${o.to}` });
  await run.aws
    .ecs()
    .send(new UpdateServiceCommand({ cluster: t.cluster, service: t.serviceName, desiredCount: o.to }))
    .catch((err) => {
      throw explainAwsError(err, `scaling service ${t.serviceName}`);
    });
  if (o.opts.wait) {
    const ctx = rolloutContext(run, reporter, t.name, watchOptions(o.opts), o.signal);
    await watchRollout(ctx, { cluster: t.cluster, service: t.serviceName, taskDefinitionArn: o.taskDefinitionArn });
  }
  reporter.emit({ type: 'step.done', step, title, action: 'update', durationMs: Date.now() - t.started });
}
