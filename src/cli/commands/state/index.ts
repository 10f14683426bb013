import type { Reporter } from '../../../engine/events.js';
import { describeHolder } from '../../../engine/manifest.js';
import { ExitCode, UsageError } from '../../../errors.js';
import { confirmOrStop } from '../../confirm.js';
import type { GlobalOptions, Io } from '../../options.js';
import type { Prompter } from '../../prompts.js';
import { isInteractive } from '../../options.js';
import { tracedClients, resolveRegion } from '../../run-context.js';
import { resolveStateLocation } from '../../state-store.js';
import { bucketNameProblem, prefixProblem, DEFAULT_STATE_PREFIX } from '../../../config/state.js';
import { configIfAny, openState } from './open.js';

export { runStatePull, runStateShow } from './show.js';
export { runStateMigrate, runStatePush } from './push.js';

/** `state unlock`: break the environment's lock, showing who held it (asks first unless --yes). */
export async function runStateUnlock(opts: GlobalOptions, io: Io, reporter: Reporter, prompter?: Prompter): Promise<number> {
  const run = await openState(opts, io, reporter);
  try {
    const holder = await run.store.lockHolder();
    if (!holder) {
      reporter.emit({ type: 'info', code: 'state.unlocked', message: `${run.config.app}/${opts.env} is not locked; nothing to do.` });
      return ExitCode.Ok;
    }
    await confirmOrStop(
      { yes: opts.yes, interactive: isInteractive(opts, io), prompter },
      {
        command: 'state unlock',
        question: { message: `Break the lock held by ${describeHolder(holder)}?`, default: false },
        questionInRefusal: true,
        retry: 'Re-run with --yes once you are sure that run is no longer running.',
        cancelled: 'The lock was left in place.',
      },
    );
    const broke = await run.store.breakLock();
    reporter.emit({
      type: 'info',
      code: 'state.unlocked',
      message: `Broke the lock of ${run.config.app}/${opts.env}, held by ${broke ? describeHolder(broke) : 'nobody any more'}.`,
    });
    return ExitCode.Ok;
  } finally {
    await run.close();
  }
}

export interface StateInitOptions extends GlobalOptions {
  bucket?: string;
  prefix?: string;
}

/**
 * `state init`: create the shared state bucket (private, encrypted, versioned, tagged) or check one you brought. The
 * bucket comes from --bucket, --state or the config's state: block; a config is not needed.
 */
export async function runStateInit(opts: StateInitOptions, io: Io, reporter: Reporter): Promise<number> {
  const config = await configIfAny(opts, io);
  const location = config ? resolveStateLocation(opts, config) : opts.state ? resolveStateLocation(opts, { state: undefined }) : undefined;
  const bucket = opts.bucket ?? (location?.backend === 's3' ? location.bucket : undefined);
  if (!bucket) throw new UsageError('state init needs a bucket name.', 'Pass --bucket <name> (e.g. acme-ecs-kit-state).');
  const bad = bucketNameProblem(bucket);
  if (bad) throw new UsageError(`--bucket: "${bucket}" ${bad}.`, 'Bucket names are global and DNS-like: e.g. acme-ecs-kit-state.');
  const prefix = opts.prefix ?? (location?.backend === 's3' ? location.prefix : DEFAULT_STATE_PREFIX);
  const badPrefix = prefixProblem(prefix);
  if (badPrefix) throw new UsageError(`--prefix: "${prefix}" ${badPrefix}.`, 'Use a short path such as ecs-kit.');
  const stateRegion = location?.backend === 's3' ? location.region : undefined;

  const { aws } = await tracedClients(opts, config ?? {}, reporter);
  try {
    const region = stateRegion ?? (await resolveRegion(aws));
    const { ensureStateBucket } = await import('../../../aws/state-bucket.js');
    const report = await ensureStateBucket(await aws.s3(stateRegion), bucket, region);
    const what = report.created
      ? `Created the state bucket ${bucket} in ${region}: versioned, encrypted (SSE-S3), all public access blocked, tagged ecs-kit:state-bucket.`
      : report.ours
        ? `The state bucket ${bucket} is ready${report.fixed.length ? ` (switched on now: ${report.fixed.join(', ')})` : ''}.`
        : `The bucket ${bucket} has versioning on and can hold ecs-kit state${report.advice.length ? `; consider also: ${report.advice.join('; ')}` : ''}.`;
    const configured = location?.backend === 's3' && location.bucket === bucket;
    const next = configured
      ? ''
      : ` Add to ecs-kit.yml:\nstate:\n  backend: s3\n  bucket: ${bucket}\n  prefix: ${prefix}${stateRegion ? `\n  region: ${stateRegion}` : ''}\nthen move an existing environment there with: ecs-kit state migrate --to s3`;
    reporter.emit({ type: 'info', code: 'state.bucket-ready', message: `${what}${next}` });
    return ExitCode.Ok;
  } finally {
    aws.destroy();
  }
}
