import type { Reporter } from '../engine/events.js';
import { openDay2, pickServices, type Day2Run } from './day2-context.js';
import type { GlobalOptions, Io } from './options.js';
import { onInterrupt } from './signals.js';

export interface ServiceCommandRun {
  run: Day2Run;
  /** The one service the command acts on (the argument, or the config's only service). */
  name: string;
  signal: AbortSignal;
  started: number;
}

/**
 * The frame of a command that acts on one deployed service under the lock (continue, abort, rollback): the service
 * argument checked before any AWS call, the lock, Ctrl-C handling, `run.start`, and lock and clients released on every
 * exit path. The body does the command's own work and returns its exit code.
 */
export async function onOneService(
  command: 'continue' | 'abort' | 'rollback',
  opts: GlobalOptions & { service?: string; forceUnlock?: boolean },
  io: Io,
  reporter: Reporter,
  body: (c: ServiceCommandRun) => Promise<number>,
): Promise<number> {
  const started = Date.now();
  const run = await openDay2(opts, io, reporter, {
    lock: command,
    forceUnlock: opts.forceUnlock,
    check: (local) => void pickServices(local, opts.service, command, true),
  });
  const controller = new AbortController();
  const stopListening = onInterrupt(controller, reporter, run.store);
  try {
    const [name] = pickServices(run, opts.service, command, true) as [string];
    reporter.emit({ type: 'run.start', command, app: run.config.app, env: opts.env, region: run.region, account: run.account });
    return await body({ run, name, signal: controller.signal, started });
  } finally {
    stopListening();
    await run.close();
  }
}
