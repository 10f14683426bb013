import { explainExitCode } from '../../../rollout/diagnosis.js';
import { randomUUID } from 'node:crypto';
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  RunTaskCommand,
  type CapacityProviderStrategyItem,
  type Container,
  type RunTaskCommandInput,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { explainAwsError } from '../../../aws/errors.js';
import { sleep } from '../../../aws/retry.js';
import type { ServiceConfig } from '../../../config/schema.js';
import { capacityProviderName, capacityStrategyFor } from '../../../capacity/strategy.js';
import type { Reporter } from '../../../engine/events.js';
import { AbortedError, EcsKitError, ExitCode } from '../../../errors.js';
import { revisionName } from '../../../rollout/watch.js';
import { deployedService, openDay2, pickServices, serviceLocation } from '../../day2-context.js';
import type { GlobalOptions, Io } from '../../options.js';
import { onInterrupt } from '../../signals.js';
import { readLogStream, toLogEvent } from '../logs/index.js';

export interface RunTaskOptions extends GlobalOptions {
  service: string;
  /** Replaces the container's command; empty keeps the task definition's. */
  command: string[];
  timeoutMs: number;
  pollIntervalMs?: number;
}

function taskId(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

function describeExit(c: Container | undefined, task: Task): string {
  const parts: string[] = [];
  if (task.stoppedReason) parts.push(task.stoppedReason);
  if (c?.reason) parts.push(c.reason);
  const explained = explainExitCode(c?.exitCode, c?.reason);
  if (explained && c?.exitCode !== 0) parts.push(explained);
  return parts.join('; ');
}

/** What RunTask's startedBy shows for our one-off tasks: letters, digits, -, _ and / only, ≤ 128 (ECS API, RunTask). */
export const RUN_TASK_STARTED_BY = 'ecs-kit/run-task';

const FARGATE_PROVIDERS = ['FARGATE', 'FARGATE_SPOT'];

/**
 * Where the one-off task runs: on the service's own capacity, so an EC2 service's task definition
 * (requiresCompatibilities EC2) never gets launchType FARGATE, which ECS refuses ("Task definition
 * does not support launch_type FARGATE", aws/aws-cli#3983). The service's strategy as DescribeServices
 * reports it; its launch type FARGATE; else the config's (an answer that says EC2 without a strategy
 * dropped it: ecs-kit never creates launchType EC2 services). platformVersion only exists on Fargate.
 */
export function runTaskPlacement(
  svc: Pick<Service, 'capacityProviderStrategy' | 'launchType' | 'platformVersion'>,
  configured: Pick<ServiceConfig, 'capacity' | 'capacityStrategy'> | undefined,
  ec2Provider: string,
): Pick<RunTaskCommandInput, 'capacityProviderStrategy' | 'launchType' | 'platformVersion'> {
  let strategy: CapacityProviderStrategyItem[];
  if (svc.capacityProviderStrategy?.length) {
    strategy = svc.capacityProviderStrategy.map((s) => ({ capacityProvider: s.capacityProvider, weight: s.weight, ...(s.base ? { base: s.base } : {}) }));
  } else if (svc.launchType === 'FARGATE' || (svc.launchType === 'EC2' && !configured)) {
    return { launchType: svc.launchType, ...(svc.launchType === 'FARGATE' && svc.platformVersion ? { platformVersion: svc.platformVersion } : {}) };
  } else {
    strategy = (configured && capacityStrategyFor(configured, ec2Provider)) ?? [{ capacityProvider: 'FARGATE', weight: 1 }];
  }
  const fargate = strategy.every((s) => FARGATE_PROVIDERS.includes(s.capacityProvider ?? ''));
  return { capacityProviderStrategy: strategy, ...(fargate && svc.platformVersion ? { platformVersion: svc.platformVersion } : {}) };
}

/**
 * `ecs-kit run-task <service> [-- command…]`: a one-off task from the service's current
 * task definition on the service's network, for migrations and the like. Streams its logs
 * and exits with the container's exit code.
 */
export async function runRunTask(opts: RunTaskOptions, io: Io, reporter: Reporter, signal?: AbortSignal): Promise<number> {
  const started = Date.now();
  const run = await openDay2(opts, io, reporter, { check: (local) => void pickServices(local, opts.service, 'run-task', true) });
  const controller = new AbortController();
  const stopListening = signal ? () => undefined : onInterrupt(controller, reporter, run.store);
  const abort = signal ?? controller.signal;
  try {
    const [name] = pickServices(run, opts.service, 'run-task', true) as [string];
    const { cluster, serviceName } = serviceLocation(run, name);
    reporter.emit({ type: 'run.start', command: 'run-task', app: run.config.app, env: opts.env, region: run.region, account: run.account });
    const ecs = run.aws.ecs();

    const svc = await deployedService(run, name, 'run-task');
    const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition })).catch((err) => {
      throw explainAwsError(err, `reading task definition ${revisionName(svc.taskDefinition)}`);
    });
    const vpc = svc.networkConfiguration?.awsvpcConfiguration;
    // Bridge mode (EC2) tasks share their instance's network and take no network configuration.
    const bridge = td.taskDefinition?.networkMode !== undefined && td.taskDefinition.networkMode !== 'awsvpc';
    if (!vpc && !bridge) {
      throw new EcsKitError('run-task.no-network', `Service ${name} has no awsvpc network configuration to run the task in.`, {
        why: 'run-task uses the service’s task definition and network settings (subnets, security groups, public IP).',
        fix: 'Run ecs-kit deploy first.',
      });
    }
    const containers = td.taskDefinition?.containerDefinitions ?? [];
    const container = containers.find((c) => c.name === name) ?? containers.find((c) => c.essential !== false) ?? containers[0];
    if (!container?.name) throw new EcsKitError('run-task.no-container', `Task definition ${revisionName(svc.taskDefinition)} has no container.`);
    const log = container.logConfiguration?.logDriver === 'awslogs' ? container.logConfiguration.options : undefined;

    const out = await ecs
      .send(
        new RunTaskCommand({
          cluster,
          taskDefinition: svc.taskDefinition,
          ...runTaskPlacement(svc, run.config.services[name], capacityProviderName(run.names)),
          count: 1,
          startedBy: RUN_TASK_STARTED_BY,
          // RunTask runs on the retrying client: with a token per invocation, a retry after a lost
          // response returns the task the first call started instead of starting a second one.
          clientToken: randomUUID(),
          // The service's own network: same subnets, security groups and public IP setting.
          ...(vpc
            ? { networkConfiguration: { awsvpcConfiguration: { subnets: vpc.subnets ?? [], securityGroups: vpc.securityGroups ?? [], assignPublicIp: vpc.assignPublicIp ?? 'DISABLED' } } }
            : {}),
          ...(opts.command.length ? { overrides: { containerOverrides: [{ name: container.name, command: opts.command }] } } : {}),
        }),
      )
      .catch((err) => {
        throw explainAwsError(err, `starting a task from ${revisionName(svc.taskDefinition)} (ecs:RunTask)`);
      });
    const task = out.tasks?.[0];
    if (!task?.taskArn) {
      const f = out.failures?.[0];
      throw new EcsKitError('run-task.failed-to-start', `ECS did not start the task: ${f?.reason ?? 'no reason given'}${f?.detail ? ` (${f.detail})` : ''}.`, {
        fix: 'Fix the cause above (capacity, subnets, image) and run the command again.',
      });
    }
    const id = taskId(task.taskArn);
    reporter.emit({ type: 'output', name: 'task', value: task.taskArn });
    reporter.emit({ type: 'info', message: `Started task ${id} from ${revisionName(svc.taskDefinition)}${opts.command.length ? ` running: ${opts.command.join(' ')}` : ''}` });

    const stream = log?.['awslogs-group'] && log['awslogs-stream-prefix'] ? { logGroup: log['awslogs-group'], logStream: `${log['awslogs-stream-prefix']}/${container.name}/${id}` } : undefined;
    let logToken: string | undefined;
    const drainLogs = async () => {
      if (!stream) return;
      try {
        const r = await readLogStream(run.aws, { service: name, ...stream, nextToken: logToken });
        logToken = r.nextToken;
        for (const l of r.lines) reporter.emit(toLogEvent(l));
      } catch (err) {
        // Logs are a convenience here; the exit code is the result.
        reporter.emit({ type: 'warn', message: `Could not read the task's logs: ${explainAwsError(err, 'reading logs').why ?? (err as Error).message}` });
      }
    };

    const stopHint = `aws ecs stop-task --cluster ${cluster} --task ${id}`;
    const deadline = started + opts.timeoutMs;
    let last = task.lastStatus ?? '';
    let current: Task = task;
    for (;;) {
      if (current.lastStatus === 'STOPPED') break;
      if (Date.now() >= deadline) {
        throw new EcsKitError('run-task.timeout', `Task ${id} was still ${current.lastStatus ?? 'running'} after ${Math.round(opts.timeoutMs / 1000)}s.`, {
          why: 'The task did not stop within --timeout; it keeps running in ECS.',
          fix: `Wait for it or stop it: ${stopHint}; or re-run with a larger --timeout.`,
        });
      }
      try {
        await sleep(Math.min(opts.pollIntervalMs ?? 2_000, Math.max(1, deadline - Date.now())), abort);
      } catch {
        throw new AbortedError(`Stopped waiting; task ${id} keeps running in ECS. To stop it: ${stopHint}`);
      }
      const d = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [task.taskArn] })).catch((err) => {
        throw explainAwsError(err, `reading task ${id}`);
      });
      const next = d.tasks?.[0];
      if (!next) {
        throw new EcsKitError('run-task.missing', `Task ${id} disappeared: ${d.failures?.[0]?.reason ?? 'ECS no longer describes it'}.`, {
          why: 'ECS forgets stopped tasks after about an hour, or the task was started in another cluster.',
          fix: `Check the service's log group for the task's output.`,
        });
      }
      current = next;
      if (current.lastStatus && current.lastStatus !== last) {
        reporter.emit({ type: 'info', message: `Task ${id}: ${current.lastStatus.toLowerCase()}` });
        last = current.lastStatus;
      }
      await drainLogs();
    }
    // Lines can reach CloudWatch a moment after the task stops.
    await drainLogs();

    const c = current.containers?.find((x) => x.name === container.name) ?? current.containers?.[0];
    const why = describeExit(c, current);
    if (c?.exitCode === undefined || c.exitCode === null) {
      reporter.emit({ type: 'warn', message: `Task ${id} stopped without an exit code${why ? `: ${why}` : ''}.` });
      reporter.emit({ type: 'run.done', command: 'run-task', outcome: 'failed', durationMs: Date.now() - started, calls: run.counter.calls, mutatingCalls: run.counter.mutating });
      return ExitCode.Failure;
    }
    const code = Math.min(255, Math.max(0, c.exitCode));
    reporter.emit({ type: 'output', name: 'exitCode', value: String(c.exitCode) });
    if (code !== 0) reporter.emit({ type: 'warn', message: `Task ${id} exited with code ${c.exitCode}${why ? `: ${why}` : ''}.` });
    reporter.emit({ type: 'run.done', command: 'run-task', outcome: code === 0 ? 'applied' : 'failed', durationMs: Date.now() - started, calls: run.counter.calls, mutatingCalls: run.counter.mutating });
    return code;
  } finally {
    stopListening();
    await run.close();
  }
}

