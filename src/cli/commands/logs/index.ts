import { explainAwsError, isAwsError } from '../../../aws/errors.js';
import { sleep } from '../../../aws/retry.js';
import type { Reporter } from '../../../engine/events.js';
import { EcsKitError, ExitCode } from '../../../errors.js';
import { openDay2, pickServices, type Day2Run } from '../../day2-context.js';
import type { GlobalOptions, Io } from '../../options.js';
import { onInterrupt } from '../../signals.js';
import { readLogGroup, toLogEvent, type LogLine } from './read.js';

export interface LogsOptions extends GlobalOptions {
  service?: string;
  follow?: boolean;
  /** How far back to start (--since). */
  sinceMs: number;
  filter?: string;
  pollIntervalMs?: number;
}

/** A follow poll re-reads this far back: CloudWatch can ingest a line after newer ones. */
const FOLLOW_WINDOW_MS = 60_000;

/**
 * --filter TEXT matches the text as a phrase; something that already looks like a
 * CloudWatch filter pattern ({ $.level = … }, [ip, …], "quoted", ?a ?b) is passed as is.
 */
export function filterPattern(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (/^[{["?]/.test(text) || text.includes('"')) return text;
  return `"${text}"`;
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
  const stopListening = signal ? () => undefined : onInterrupt(controller, reporter, run.store, { stopQuietly: true });
  const abort = signal ?? controller.signal;
  try {
    const services = pickServices(run, opts.service, 'logs');
    const filter = filterPattern(opts.filter);
    const since = Date.now() - opts.sinceMs;
    const poller = new LogPoller(run, reporter, services, { filter, follow: Boolean(opts.follow), signal: abort });

    const first = await poller.poll(since);
    for (const l of first) reporter.emit(toLogEvent(l));
    if (!opts.follow) {
      if (first.length === 0) {
        const matching = opts.filter ? ` matching ${filter}` : '';
        reporter.emit({ type: 'info', code: 'logs.none', message: `No log lines since ${new Date(since).toISOString()}${matching}.` });
      }
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
      this.reporter.emit({
        type: 'warn',
        code: 'logs.not-deployed',
        message: `Service ${s} has no log group ${this.run.names.logGroup(s)} yet: it has not been deployed.`,
      });
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
