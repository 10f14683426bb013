import { FilterLogEventsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClients } from '../../../aws/clients.js';
import { isAwsError } from '../../../aws/errors.js';

/** Reading CloudWatch Logs for `logs` (whole log groups) and `run-task` (one task's stream). */

export interface LogLine {
  service: string;
  taskId: string;
  timestamp: number;
  message: string;
  eventId: string;
}

/** Bounds one read so a busy service and a long --since cannot run away. */
const MAX_PAGES = 50;

/** awslogs streams are named <prefix>/<container>/<task id>; the task id is the last part. */
export function taskIdOf(logStreamName: string | undefined): string {
  if (!logStreamName) return '?';
  const i = logStreamName.lastIndexOf('/');
  return i >= 0 ? logStreamName.slice(i + 1) : logStreamName;
}

/** A log line as the reporters take it: the line's own time, its task, no trailing newline. */
export function toLogEvent(l: LogLine) {
  return {
    type: 'log' as const,
    service: l.service,
    taskId: l.taskId,
    timestamp: new Date(l.timestamp).toISOString(),
    message: l.message.replace(/\r?\n$/, ''),
  };
}

/** One read of a service's log group from `startTime`, every page, oldest first. */
export async function readLogGroup(
  aws: AwsClients,
  o: { service: string; logGroup: string; startTime: number; filter?: string; signal?: AbortSignal },
): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    if (o.signal?.aborted) break;
    const out = await aws.logs().send(
      new FilterLogEventsCommand({
        logGroupName: o.logGroup,
        startTime: o.startTime,
        ...(o.filter ? { filterPattern: o.filter } : {}),
        ...(nextToken ? { nextToken } : {}),
      }),
      o.signal ? { abortSignal: o.signal } : undefined,
    );
    for (const e of out.events ?? []) {
      lines.push({
        service: o.service,
        taskId: taskIdOf(e.logStreamName),
        timestamp: e.timestamp ?? 0,
        message: e.message ?? '',
        eventId: e.eventId ?? `${e.logStreamName}/${e.timestamp}/${e.message}`,
      });
    }
    // CloudWatch returns the same token at the end of some result sets: stop there.
    if (!out.nextToken || out.nextToken === nextToken) break;
    nextToken = out.nextToken;
  }
  return lines;
}

/** Tail one log stream (run-task): returns new lines and the token to continue from. */
export async function readLogStream(
  aws: AwsClients,
  o: { service: string; logGroup: string; logStream: string; nextToken?: string },
): Promise<{ lines: LogLine[]; nextToken?: string }> {
  const lines: LogLine[] = [];
  let token = o.nextToken;
  for (let page = 0; page < MAX_PAGES; page++) {
    let out;
    try {
      out = await aws.logs().send(
        new GetLogEventsCommand({
          logGroupName: o.logGroup,
          logStreamName: o.logStream,
          startFromHead: true,
          ...(token ? { nextToken: token } : {}),
        }),
      );
    } catch (err) {
      // The stream appears only once the container has written its first line.
      if (isAwsError(err, 'ResourceNotFoundException')) return { lines, ...(token ? { nextToken: token } : {}) };
      throw err;
    }
    for (const e of out.events ?? []) {
      lines.push({
        service: o.service,
        taskId: taskIdOf(o.logStream),
        timestamp: e.timestamp ?? 0,
        message: e.message ?? '',
        eventId: `${e.timestamp}/${lines.length}`,
      });
    }
    // GetLogEvents signals the end by returning the token it was given.
    const done = !out.nextForwardToken || out.nextForwardToken === token;
    token = out.nextForwardToken ?? token;
    if (done || (out.events ?? []).length === 0) break;
  }
  return { lines, ...(token ? { nextToken: token } : {}) };
}
