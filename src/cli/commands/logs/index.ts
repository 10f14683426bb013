import { FilterLogEventsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClients } from '../../../aws/clients.js';
import { explainAwsError, isAwsError } from '../../../aws/errors.js';
import { sleep } from '../../../aws/retry.js';
import type { Reporter } from '../../../engine/events.js';
import { EcsKitError, ExitCode } from '../../../errors.js';
import { openDay2, pickServices, type Day2Run } from '../../day2-context.js';
import type { GlobalOptions, Io } from '../../options.js';
import { onInterrupt } from '../../signals.js';

export interface LogsOptions extends GlobalOptions {
  service?: string;
  follow?: boolean;
  /** How far back to start (--since). */
  sinceMs: number;
  filter?: string;
  pollIntervalMs?: number;
}

export interface LogLine {
  service: string;
  taskId: string;
  timestamp: number;
  message: string;
  eventId: string;
}

/** A follow poll re-reads this far back: CloudWatch can ingest a line after newer ones. */
const FOLLOW_WINDOW_MS = 60_000;
/** Bounds one read so a busy service and a long --since cannot run away. */
const MAX_PAGES = 50;

/** awslogs streams are named <prefix>/<container>/<task id>; the task id is the last part. */
export function taskIdOf(logStreamName: string | undefined): string {
  if (!logStreamName) return '?';
  const i = logStreamName.lastIndexOf('/');
  return i >= 0 ? logStreamName.slice(i + 1) : logStreamName;
}

/**
 * --filter TEXT matches the text as a phrase; something that already looks like a
 * CloudWatch filter pattern ({ $.level = … }, [ip, …], "quoted", ?a ?b) is passed as is.
 */
export function filterPattern(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (/^[{["?]/.test(text) || text.includes('"')) return text;
  return `"${text}"`;
}

export function toLogEvent(l: LogLine) {
  return { type: 'log' as const, service: l.service, taskId: l.taskId, timestamp: new Date(l.timestamp).toISOString(), message: l.message.replace(/\r?\n$/, '') };
}

/** One read of a service's log group from `startTime`, every page, oldest first. */
async function readLogGroup(
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
      out = await aws.logs().send(new GetLogEventsCommand({ logGroupName: o.logGroup, logStreamName: o.logStream, startFromHead: true, ...(token ? { nextToken: token } : {}) }));
    } catch (err) {
      // The stream appears only once the container has written its first line.
      if (isAwsError(err, 'ResourceNotFoundException')) return { lines, ...(token ? { nextToken: token } : {}) };
      throw err;
    }
    for (const e of out.events ?? []) {
      lines.push({ service: o.service, taskId: taskIdOf(o.logStream), timestamp: e.timestamp ?? 0, message: e.message ?? '', eventId: `${e.timestamp}/${lines.length}` });
    }
    // GetLogEvents signals the end by returning the token it was given.
    const done = !out.nextForwardToken || out.nextForwardToken === token;
    token = out.nextForwardToken ?? token;
    if (done || (out.events ?? []).length === 0) break;
  }
  return { lines, ...(token ? { nextToken: token } : {}) };
}

function byTime(a: LogLine, b: LogLine): number {
  return a.timestamp - b.timestamp || a.service.localeCompare(b.service);
}

/**
 * `ecs-kit logs [service]`: the CloudWatch logs of the service's tasks, interleaved in
 * time order, each line with its task id. --follow polls until Ctrl-C (exit 0).
 */
export async function runLogs(opts: LogsOptions, io: Io, reporter: Reporter, signal?: AbortSignal): Promise<number> {
  const run = await openDay2(opts, io, reporter, { check: (local) => void pickServices(local, opts.service, 'logs') });
  const controller = new AbortController();
  const stopListening = signal ? () => undefined : onInterrupt(controller, reporter, run.store);
  const abort = signal ?? controller.signal;
  try {
    const services = pickServices(run, opts.service, 'logs');
    const filter = filterPattern(opts.filter);
    const since = Date.now() - opts.sinceMs;
    const poller = new LogPoller(run, reporter, services, { filter, follow: Boolean(opts.follow), signal: abort });

    const first = await poller.poll(since);
    for (const l of first) reporter.emit(toLogEvent(l));
    if (!opts.follow) {
      if (first.length === 0) reporter.emit({ type: 'info', message: `No log lines since ${new Date(since).toISOString()}${opts.filter ? ` matching ${filter}` : ''}.` });
      return ExitCode.Ok;
    }
    await follow(poller, reporter, { since, interval: opts.pollIntervalMs ?? 2_000, signal: abort });
    return ExitCode.Ok;
  } finally {
    stopListening();
    await run.close();
  }
}

/** --follow: polls the recent window until Ctrl-C, printing only lines not printed yet. */
async function follow(poller: LogPoller, reporter: Reporter, o: { since: number; interval: number; signal: AbortSignal }): Promise<void> {
  while (!o.signal.aborted) {
    try {
      await sleep(o.interval, o.signal);
    } catch {
      break;
    }
    const start = Math.max(o.since, Date.now() - FOLLOW_WINDOW_MS);
    const fresh = await poller.poll(start);
    if (o.signal.aborted) break;
    for (const l of fresh) reporter.emit(toLogEvent(l));
    // Forget ids that fell out of the window, so a long follow does not grow without bound.
    poller.forgetBefore(start - FOLLOW_WINDOW_MS);
  }
}

/**
 * Reads the services' log groups and returns the lines it has not returned before, in time
 * order. Says once when a group is missing (not deployed yet); without --follow, all of them
 * missing is an error.
 */
class LogPoller {
  private readonly groups: { service: string; logGroup: string }[];
  /** Event id → timestamp of every line returned so far. */
  private readonly seen = new Map<string, number>();
  private missing = new Set<string>();

  constructor(
    private readonly run: Pick<Day2Run, 'aws' | 'names'>,
    private readonly reporter: Reporter,
    services: string[],
    private readonly o: { filter?: string; follow: boolean; signal: AbortSignal },
  ) {
    this.groups = services.map((service) => ({ service, logGroup: run.names.logGroup(service) }));
  }

  async poll(startTime: number): Promise<LogLine[]> {
    const all: LogLine[] = [];
    const nowMissing = new Set<string>();
    for (const g of this.groups) {
      try {
        all.push(...(await readLogGroup(this.run.aws, { ...g, startTime, filter: this.o.filter, signal: this.o.signal })));
      } catch (err) {
        if (this.o.signal.aborted) break;
        if (isAwsError(err, 'ResourceNotFoundException')) {
          nowMissing.add(g.service);
          continue;
        }
        throw explainAwsError(err, `reading the logs of ${g.service} (${g.logGroup})`);
      }
    }
    this.noteMissing(nowMissing);
    const fresh = all.filter((l) => !this.seen.has(l.eventId)).sort(byTime);
    for (const l of fresh) this.seen.set(l.eventId, l.timestamp);
    return fresh;
  }

  forgetBefore(timestamp: number): void {
    for (const [id, ts] of this.seen) if (ts < timestamp) this.seen.delete(id);
  }

  private noteMissing(nowMissing: Set<string>): void {
    for (const s of nowMissing) {
      if (this.missing.has(s)) continue;
      this.reporter.emit({ type: 'warn', message: `Service ${s} has no log group ${this.run.names.logGroup(s)} yet: it has not been deployed.` });
    }
    this.missing = nowMissing;
    if (nowMissing.size === this.groups.length && !this.o.follow) {
      const groups = this.groups.map((g) => g.logGroup);
      throw new EcsKitError('logs.no-group', `No logs: ${groups.join(', ')} ${groups.length === 1 ? 'does' : 'do'} not exist.`, {
        why: 'The log group is created by `ecs-kit deploy`; this app and environment have not been deployed (or were torn down).',
        fix: 'Run ecs-kit deploy first, or pass the --env you deployed to.',
      });
    }
  }
}
