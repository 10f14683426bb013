import { randomUUID } from 'node:crypto';
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  RunTaskCommand,
  type AwsVpcConfiguration,
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
import { explainExitCode, revisionName, taskId } from '../../../rollout/diagnosis.js';
import { deployedService, openDay2, pickServices, serviceLocation, type Day2Run } from '../../day2-context.js';
import type { GlobalOptions, Io } from '../../options.js';
import { emitRunDone, type CallCounter } from '../../run-context.js';
import { onInterrupt } from '../../signals.js';
import { readLogStream, toLogEvent } from '../logs/read.js';
import { isScheduled } from '../../../config/services.js';
import { scheduledJob } from './job.js';

export interface RunTaskOptions extends GlobalOptions {
  service: string;
  /** Replaces the container's command; empty keeps the task definition's. */
  command: string[];
  timeoutMs: number;
  pollIntervalMs?: number;
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
    strategy = svc.capacityProviderStrategy.map((s) => ({
      capacityProvider: s.capacityProvider,
      weight: s.weight,
      ...(s.base ? { base: s.base } : {}),
    }));
  } else if (svc.launchType === 'FARGATE' || (svc.launchType === 'EC2' && !configured)) {
    return {
      launchType: svc.launchType,
      ...(svc.launchType === 'FARGATE' && svc.platformVersion ? { platformVersion: svc.platformVersion } : {}),
    };
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
  try {
    const [name] = pickServices(run, opts.service, 'run-task', true) as [string];
    const { cluster } = serviceLocation(run, name);
    reporter.emit({ type: 'run.start', command: 'run-task', app: run.config.app, env: opts.env, region: run.region, account: run.account });
    const launch = await launchSettings(run, name);
    const task = await startTask(run, { cluster, name, launch, command: opts.command });
    const id = taskId(task.taskArn);
    reporter.emit({ type: 'output', name: 'task', value: task.taskArn });
    const running = opts.command.length ? ` running: ${opts.command.join(' ')}` : '';
    reporter.emit({
      type: 'info',
      code: 'run-task.started',
      message: `Started task ${id} from ${revisionName(launch.service.taskDefinition)}${running}`,
    });

    const logs = logTail(run, reporter, name, launch, id);
    const deadline = started + opts.timeoutMs;
    const stopped = await waitForStop(run, reporter, {
      cluster,
      task,
      id,
      deadline,
      opts,
      signal: signal ?? controller.signal,
      onPoll: logs,
    });
    // Lines can reach CloudWatch a moment after the task stops.
    await logs();
    return reportExit(reporter, stopped, launch.container, id, { started, counter: run.counter });
  } finally {
    stopListening();
    await run.close();
  }
}

/** What RunTask needs from the service: its task definition, network and the container to override. */
interface LaunchSettings {
  service: Service & { taskDefinition: string };
  /** The service's awsvpc network; none for bridge mode (EC2), whose tasks share their instance's network. */
  vpc?: AwsVpcConfiguration;
  container: string;
  /** The container's awslogs options, when it logs to CloudWatch. */
  log?: Record<string, string>;
}

async function launchSettings(run: Day2Run, name: string): Promise<LaunchSettings> {
  const job = run.config.services[name];
  const service = job && isScheduled(job) ? await scheduledJob(run, name) : await deployedService(run, name, 'run-task');
  const td = await run.aws
    .ecs()
    .send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }))
    .catch((err) => {
      throw explainAwsError(err, `reading task definition ${revisionName(service.taskDefinition)}`);
    });
  const vpc = service.networkConfiguration?.awsvpcConfiguration;
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
  if (!container?.name)
    throw new EcsKitError('run-task.no-container', `Task definition ${revisionName(service.taskDefinition)} has no container.`);
  const log = container.logConfiguration?.logDriver === 'awslogs' ? container.logConfiguration.options : undefined;
  return { service, ...(vpc ? { vpc } : {}), container: container.name, ...(log ? { log } : {}) };
}

async function startTask(
  run: Day2Run,
  o: { cluster: string; name: string; launch: LaunchSettings; command: string[] },
): Promise<Task & { taskArn: string }> {
  const { launch } = o;
  const vpc = launch.vpc;
  const out = await run.aws
    .ecs()
    .send(
      new RunTaskCommand({
        cluster: o.cluster,
        taskDefinition: launch.service.taskDefinition,
        ...runTaskPlacement(launch.service, run.config.services[o.name], capacityProviderName(run.names)),
        count: 1,
        startedBy: RUN_TASK_STARTED_BY,
        // RunTask runs on the retrying client: with a token per invocation, a retry after a lost
        // response returns the task the first call started instead of starting a second one.
        clientToken: randomUUID(),
        // The service's own network: same subnets, security groups and public IP setting.
        ...(vpc
          ? {
              networkConfiguration: {
                awsvpcConfiguration: {
                  subnets: vpc.subnets ?? [],
                  securityGroups: vpc.securityGroups ?? [],
                  assignPublicIp: vpc.assignPublicIp ?? 'DISABLED',
                },
              },
            }
          : {}),
        ...(o.command.length ? { overrides: { containerOverrides: [{ name: launch.container, command: o.command }] } } : {}),
      }),
    )
    .catch((err) => {
      throw explainAwsError(err, `starting a task from ${revisionName(launch.service.taskDefinition)} (ecs:RunTask)`);
    });
  const task = out.tasks?.[0];
  if (!task?.taskArn) {
    const f = out.failures?.[0];
    throw new EcsKitError(
      'run-task.failed-to-start',
      `ECS did not start the task: ${f?.reason ?? 'no reason given'}${f?.detail ? ` (${f.detail})` : ''}.`,
      {
        fix: 'Fix the cause above (capacity, subnets, image) and run the command again.',
      },
    );
  }
  return { ...task, taskArn: task.taskArn };
}

/** Reads the task's log stream from where the last read stopped; a no-op when the container does not log to CloudWatch. */
function logTail(run: Day2Run, reporter: Reporter, service: string, launch: LaunchSettings, id: string): () => Promise<void> {
  const log = launch.log;
  if (!log?.['awslogs-group'] || !log['awslogs-stream-prefix']) return async () => undefined;
  const stream = { logGroup: log['awslogs-group'], logStream: `${log['awslogs-stream-prefix']}/${launch.container}/${id}` };
  let nextToken: string | undefined;
  return async () => {
    try {
      const r = await readLogStream(run.aws, { service, ...stream, nextToken });
      nextToken = r.nextToken;
      for (const l of r.lines) reporter.emit(toLogEvent(l));
    } catch (err) {
      // Logs are a convenience here; the exit code is the result.
      reporter.emit({
        type: 'warn',
        code: 'run-task.logs-unreadable',
        message: `Could not read the task's logs: ${explainAwsError(err, 'reading logs').why ?? (err as Error).message}`,
      });
    }
  };
}

interface WaitForStop {
  cluster: string;
  task: Task & { taskArn: string };
  id: string;
  deadline: number;
  opts: Pick<RunTaskOptions, 'timeoutMs' | 'pollIntervalMs'>;
  signal: AbortSignal;
  /** Called after each poll (reads the logs written meanwhile). */
  onPoll: () => Promise<void>;
}

/** Polls the task until it is STOPPED, saying each status change; a timeout or Ctrl-C leaves it running in ECS. */
async function waitForStop(run: Day2Run, reporter: Reporter, w: WaitForStop): Promise<Task> {
  const stopHint = `aws ecs stop-task --cluster ${w.cluster} --task ${w.id}`;
  let current: Task = w.task;
  let last = current.lastStatus ?? '';
  while (current.lastStatus !== 'STOPPED') {
    if (Date.now() >= w.deadline) {
      throw new EcsKitError(
        'run-task.timeout',
        `Task ${w.id} was still ${current.lastStatus ?? 'running'} after ${Math.round(w.opts.timeoutMs / 1000)}s.`,
        {
          why: 'The task did not stop within --timeout; it keeps running in ECS.',
          fix: `Wait for it or stop it: ${stopHint}; or re-run with a larger --timeout.`,
        },
      );
    }
    try {
      await sleep(Math.min(w.opts.pollIntervalMs ?? 2_000, Math.max(1, w.deadline - Date.now())), w.signal);
    } catch {
      throw new AbortedError(`Stopped waiting; task ${w.id} keeps running in ECS. To stop it: ${stopHint}`);
    }
    current = await describeTask(run, w.cluster, w.task.taskArn, w.id);
    if (current.lastStatus && current.lastStatus !== last) {
      reporter.emit({ type: 'info', code: 'run-task.status', message: `Task ${w.id}: ${current.lastStatus.toLowerCase()}` });
      last = current.lastStatus;
    }
    await w.onPoll();
  }
  return current;
}

async function describeTask(run: Day2Run, cluster: string, taskArn: string, id: string): Promise<Task> {
  const d = await run.aws
    .ecs()
    .send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }))
    .catch((err) => {
      throw explainAwsError(err, `reading task ${id}`);
    });
  const task = d.tasks?.[0];
  if (!task) {
    throw new EcsKitError('run-task.missing', `Task ${id} disappeared: ${d.failures?.[0]?.reason ?? 'ECS no longer describes it'}.`, {
      why: 'ECS forgets stopped tasks after about an hour, or the task was started in another cluster.',
      fix: `Check the service's log group for the task's output.`,
    });
  }
  return task;
}

/** The container's exit code becomes the command's (clamped to 0-255); no exit code at all is a failure. */
function reportExit(reporter: Reporter, task: Task, container: string, id: string, o: { started: number; counter: CallCounter }): number {
  const c = task.containers?.find((x) => x.name === container) ?? task.containers?.[0];
  const why = describeExit(c, task);
  const done = (outcome: 'applied' | 'failed') => emitRunDone(reporter, 'run-task', outcome, o.started, o.counter);
  if (c?.exitCode === undefined || c.exitCode === null) {
    reporter.emit({
      type: 'warn',
      code: 'run-task.no-exit-code',
      message: `Task ${id} stopped without an exit code${why ? `: ${why}` : ''}.`,
    });
    done('failed');
    return ExitCode.Failure;
  }
  const code = Math.min(255, Math.max(0, c.exitCode));
  reporter.emit({ type: 'output', name: 'exitCode', value: String(c.exitCode) });
  if (code !== 0)
    reporter.emit({
      type: 'warn',
      code: 'run-task.exit-code',
      message: `Task ${id} exited with code ${c.exitCode}${why ? `: ${why}` : ''}.`,
    });
  done(code === 0 ? 'applied' : 'failed');
  return code;
}

/** Why the task stopped: its stopped reason, the container's reason and, for a failure, what the exit code usually means. */
function describeExit(c: Container | undefined, task: Task): string {
  const parts: string[] = [];
  if (task.stoppedReason) parts.push(task.stoppedReason);
  if (c?.reason) parts.push(c.reason);
  const explained = explainExitCode(c?.exitCode, c?.reason);
  if (explained && c?.exitCode !== 0) parts.push(explained);
  return parts.join('; ');
}
