import { DescribeTasksCommand, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { explainAwsError, isAwsError } from '../../../aws/errors.js';
import { nextRun } from '../../../config/schedule.js';
import type { ServiceConfig } from '../../../config/schema.js';
import type { JobRunInfo, QueueStatusInfo, ServiceStatusInfo } from '../../../engine/events.js';
import { revisionName, taskId } from '../../../rollout/diagnosis.js';
import type { Day2Run } from '../../day2-context.js';

/** How many of a job's last runs `status` shows. */
const RUNS_SHOWN = 5;

type Run = Pick<Day2Run, 'aws' | 'names'>;

/** A scheduled job: its schedule (expression, time zone, state, next run) and the runs ECS still lists, newest first. */
export async function jobStatus(run: Run, name: string, cluster: string): Promise<ServiceStatusInfo> {
  const base = { service: name, cluster, deployments: [], targets: [], events: [] };
  const schedule = await run.aws
    .scheduler()
    .send(new GetScheduleCommand({ GroupName: run.names.scheduleGroup, Name: run.names.schedule(name) }))
    .catch((err: unknown) => {
      if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
      throw explainAwsError(err, `reading the schedule of ${name}`);
    });
  if (!schedule?.ScheduleExpression) return { ...base, exists: false };
  const timezone = schedule.ScheduleExpressionTimezone ?? 'UTC';
  const next = nextRun(schedule.ScheduleExpression, { timezone, ...(schedule.CreationDate ? { createdAt: schedule.CreationDate } : {}) });
  const td = schedule.Target?.EcsParameters?.TaskDefinitionArn;
  return {
    ...base,
    exists: true,
    status: schedule.State ?? 'ENABLED',
    ...(td ? { taskDefinition: revisionName(td) } : {}),
    schedule: {
      expression: schedule.ScheduleExpression,
      timezone,
      state: schedule.State ?? 'ENABLED',
      ...(next ? { nextRun: next.toISOString() } : {}),
      ...(td ? { taskDefinition: revisionName(td) } : {}),
      lastRuns: await lastRuns(run, cluster, run.names.taskFamily(name), name),
    },
  };
}

async function lastRuns(run: Run, cluster: string, family: string, container: string): Promise<JobRunInfo[]> {
  const ecs = run.aws.ecs();
  try {
    const arns: string[] = [];
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      arns.push(...((await ecs.send(new ListTasksCommand({ cluster, family, desiredStatus }))).taskArns ?? []));
    }
    if (!arns.length) return [];
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(0, 100) }))).tasks ?? [];
    const time = (t: Task) => (t.startedAt ?? t.createdAt)?.getTime() ?? 0;
    return tasks
      .sort((a, b) => time(b) - time(a))
      .slice(0, RUNS_SHOWN)
      .map((t) => runInfo(t, container));
  } catch (err) {
    if (isAwsError(err, 'ClusterNotFoundException')) return [];
    throw explainAwsError(err, `reading the runs of ${family}`);
  }
}

function runInfo(t: Task, container: string): JobRunInfo {
  const c = t.containers?.find((x) => x.name === container) ?? t.containers?.[0];
  return {
    taskId: taskId(t.taskArn),
    lastStatus: t.lastStatus ?? 'UNKNOWN',
    ...(t.startedAt ? { startedAt: t.startedAt.toISOString() } : {}),
    ...(t.stoppedAt ? { stoppedAt: t.stoppedAt.toISOString() } : {}),
    ...(c?.exitCode !== undefined && c.exitCode !== null ? { exitCode: c.exitCode } : {}),
    ...(t.stoppedReason ? { reason: t.stoppedReason } : {}),
  };
}

/** A queue worker's queue: visible and in-flight messages, and what its dead-letter queue holds. */
export async function queueStatus(run: Run, name: string): Promise<QueueStatusInfo | undefined> {
  const count = async (queue: string) => {
    const sqs = run.aws.sqs();
    try {
      const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: queue }))).QueueUrl;
      const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] as const;
      const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...names] }))).Attributes ?? {};
      return { visible: Number(a.ApproximateNumberOfMessages ?? 0), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) };
    } catch (err) {
      if (isAwsError(err, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue')) return undefined;
      throw explainAwsError(err, `reading queue ${queue}`);
    }
  };
  const main = await count(run.names.queue(name));
  if (!main) return undefined;
  const dlq = await count(run.names.deadLetterQueue(name));
  return { name: run.names.queue(name), ...main, deadLetters: dlq?.visible ?? 0 };
}

/** Where the app's services reach an internal one. */
export function internalUrl(name: string, svc: ServiceConfig | undefined): string | undefined {
  return svc?.internal && svc.port !== undefined && svc.schedule === undefined ? `http://${name}:${svc.port}` : undefined;
}
