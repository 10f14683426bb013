import path from 'node:path';
import type { AwsCallInfo, AwsClients } from '../aws/clients.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { envName, type Config } from '../config/schema.js';
import type { EcsKitEvent, Reporter } from '../engine/events.js';
import {
  checkIdentity,
  emptyManifest,
  isEmptyManifest,
  type Manifest,
  type ManifestEntry,
  type ManifestStore,
} from '../engine/manifest.js';
import { EcsKitError, ExitCode, UsageError } from '../errors.js';
import { createReporter } from '../ui/index.js';
import { checkAwsSettings, checkResolvedRegion, explainFirstCall } from './aws-target.js';
import { isInteractive, reporterMode, type GlobalOptions, type Io } from './options.js';
import { openStore, resolveStateLocation } from './state-store.js';

export interface CallCounter {
  calls: number;
  /** Mutating calls to the environment's resources (the state store's own writes are counted apart). */
  mutating: number;
  /** Writes to the shared state bucket: taking and releasing the lock, manifest writes. */
  stateWrites: number;
}

export function makeReporter(opts: GlobalOptions, io: Io): Reporter {
  return createReporter(reporterMode(opts, io), {
    verbose: Boolean(opts.verbose),
    stdout: io.stdout,
    stderr: io.stderr,
    color: !io.env.NO_COLOR,
  });
}

/** Validate --env before anything else: it becomes part of AWS names and a file name. */
export function checkEnvName(env: string): void {
  const r = envName.safeParse(env);
  if (!r.success)
    throw new UsageError(
      `--env: "${env}" is not a valid environment name: ${r.error.issues[0]?.message}.`,
      env.includes('=')
        ? `--env names the environment (e.g. --env prod); container variables go in services.<name>.environment in ecs-kit.yml.`
        : 'Use a short lowercase name such as staging or prod.',
    );
}

/**
 * Everything a deploy or teardown needs, built in the order that keeps mistakes cheap:
 * config first (bad config → exit 2 with no AWS call), then AWS identity, then the lock.
 */
export async function openRun(
  opts: GlobalOptions,
  io: Io,
  reporter: Reporter,
  command: 'deploy' | 'teardown',
  extra: { forceUnlock?: boolean; images?: Record<string, string> },
) {
  checkEnvName(opts.env);
  const configFile = resolveConfigPath(io.cwd, opts.config);
  const { config } = await loadConfig(configFile, { env: opts.env, vars: io.env, ...(extra.images ? { images: extra.images } : {}) });
  const baseDir = path.dirname(configFile);
  const location = resolveStateLocation(opts, config);

  const { aws, counter, region, account } = await connect(opts, config, reporter);
  let store: ManifestStore | undefined;
  let existing: Manifest | undefined;
  try {
    store = await openStore({ location, baseDir, app: config.app, env: opts.env, aws });
    await takeLock(store, command, extra.forceUnlock, reporter);
    existing = await readManifest(store, config, account, region, io);
  } catch (err) {
    await store?.releaseLock();
    aws.destroy();
    throw err;
  }
  const manifest = existing ?? emptyManifest(config.app, opts.env, account, region);
  return {
    config: config,
    configFile,
    baseDir,
    aws,
    region,
    account,
    store,
    location,
    manifest,
    /** False when there was no manifest at all (first deploy, or it was lost): deploy and teardown then look by tags. */
    found: existing !== undefined,
    counter,
    interactive: isInteractive(opts, io),
  };
}

/**
 * AWS clients with call tracing (`--verbose`, call counts), then region and account: the
 * first AWS contact of every command, after the config has been validated.
 */
export async function connect(
  opts: GlobalOptions,
  config: Config,
  reporter: Reporter,
): Promise<{ aws: AwsClients; counter: CallCounter; region: string; account: string }> {
  // A malformed endpoint or a missing profile is the user's typo: said as such, before any client or call.
  checkAwsSettings(opts);
  const { aws, counter } = await tracedClients(opts, config, reporter);
  try {
    const region = await resolveRegion(aws);
    checkResolvedRegion(region, opts, config);
    try {
      const { account } = await aws.identity();
      return { aws, counter, region, account };
    } catch (err) {
      throw explainFirstCall(err, 'checking your AWS identity (sts:GetCallerIdentity)', opts, region);
    }
  } catch (err) {
    aws.destroy();
    throw err;
  }
}

/** AWS clients from the global flags and the config whose every call is counted and reported as an aws.call event. */
export async function tracedClients(
  opts: GlobalOptions,
  config: Pick<Config, 'region'>,
  reporter: Reporter,
): Promise<{ aws: AwsClients; counter: CallCounter }> {
  const counter: CallCounter = { calls: 0, mutating: 0, stateWrites: 0 };
  const { AwsClients } = await import('../aws/clients.js');
  const aws = new AwsClients({
    region: opts.region ?? config.region,
    profile: opts.profile,
    endpoint: opts.endpointUrl,
    maxAttempts: opts.maxAttempts,
    onCall: (info: AwsCallInfo) => {
      counter.calls++;
      // S3 holds only the shared state (src/engine/s3-store.ts): its writes are the lock and the manifest, not resources.
      if (info.mutating && info.service.startsWith('s3')) counter.stateWrites++;
      else if (info.mutating) counter.mutating++;
      reporter.emit({ type: 'aws.call', ...info });
    },
  });
  return { aws, counter };
}

/** The region the clients resolved (flag, config, environment or profile), or exit 2 saying how to set one. */
export async function resolveRegion(aws: AwsClients): Promise<string> {
  try {
    return await aws.region();
  } catch {
    throw new UsageError('No AWS region is set.', 'Pass --region, set region: in ecs-kit.yml, or export AWS_REGION.', 'aws.region');
  }
}

/** The last event of a command that called AWS: its outcome, how long it took, its AWS calls and how many changed something. */
export function emitRunDone(reporter: Reporter, command: string, outcome: RunOutcome, started: number, counter: CallCounter): void {
  reporter.emit({
    type: 'run.done',
    command,
    outcome,
    durationMs: Date.now() - started,
    calls: counter.calls,
    mutatingCalls: counter.mutating,
    ...(counter.stateWrites ? { stateWrites: counter.stateWrites } : {}),
  });
}

type RunOutcome = Extract<EcsKitEvent, { type: 'run.done' }>['outcome'];

/** Take the environment's lock; say so when it was taken over from a dead run. */
export async function takeLock(store: ManifestStore, command: string, forceUnlock: boolean | undefined, reporter: Reporter): Promise<void> {
  const { broke } = await store.acquireLock(command, { forceUnlock });
  if (broke) {
    reporter.emit({
      type: 'warn',
      code: 'lock.taken-over',
      message: `Took over the lock of an earlier ${broke.command} (pid ${broke.pid} on ${broke.host}, started ${broke.startedAt}) that is no longer running; resuming where it stopped.`,
    });
  }
}

/**
 * The manifest, if any, after checking it belongs to this account, region and app. An empty one (never deployed, or
 * torn down) owns nothing and so pins nothing: it is taken over for this account, region and app.
 */
export async function readManifest(
  store: ManifestStore,
  config: Config,
  account: string,
  region: string,
  io: Io,
): Promise<Manifest | undefined> {
  const existing = await store.read();
  if (!existing) return undefined;
  const where = store.dir ? path.relative(io.cwd, store.location) || store.location : store.location;
  if (isEmptyManifest(existing)) {
    if (existing.account === account && existing.region === region && existing.app === config.app) return existing;
    // Another account, region or app: the old deploy history means nothing here.
    return { ...emptyManifest(config.app, existing.env, account, region), createdAt: existing.createdAt };
  }
  checkIdentity(existing, account, region, where);
  if (existing.app !== config.app) {
    throw new EcsKitError(
      'manifest.app',
      `The manifest ${store.location} belongs to app "${existing.app}", but ecs-kit.yml now says app: ${config.app}.`,
      {
        why: 'Renaming the app would orphan everything created under the old name.',
        fix: `Set app: ${existing.app} back and run teardown first, or deploy the new name with another --env.`,
        exitCode: ExitCode.Usage,
      },
    );
  }
  return existing;
}

/**
 * Records one step's entry outside a deploy (rollback, secret set): stamps it and writes the
 * manifest through its store, as the runner does for the steps it runs. The caller holds the lock.
 */
export async function saveStepEntry(
  run: { store: ManifestStore; manifest: Manifest },
  id: string,
  entry: Omit<ManifestEntry, 'updatedAt'>,
): Promise<void> {
  const now = new Date().toISOString();
  run.manifest.steps[id] = { ...entry, updatedAt: now };
  run.manifest.updatedAt = now;
  await run.store.write(run.manifest);
}
