import path from 'node:path';
import { DescribeServicesCommand, type Service } from '@aws-sdk/client-ecs';
import type { AwsClients } from '../aws/clients.js';
import { explainAwsError } from '../aws/errors.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { namesFor, type Names } from '../config/names.js';
import type { Config } from '../config/schema.js';
import type { Reporter } from '../engine/events.js';
import { LocalManifestStore, emptyManifest, type Manifest, type ManifestStore } from '../engine/manifest.js';
import type { ErrorCode } from '../engine/messages.js';
import { DEFAULT_RUN_OPTIONS, type RunOptions, type StepContext } from '../engine/types.js';
import { EcsKitError, UsageError } from '../errors.js';
import type { ServiceState } from '../steps/service/index.js';
import { isInteractive, type GlobalOptions, type Io } from './options.js';
import { checkEnvName, connect, readManifest, takeLock, type CallCounter } from './run-context.js';
import { ReadOnlyManifestStore, localStateDir, openStore, resolveStateLocation } from './state-store.js';

export { ReadOnlyManifestStore } from './state-store.js';

export interface Day2Run {
  env: string;
  config: Config;
  configFile: string;
  baseDir: string;
  aws: AwsClients;
  region: string;
  account: string;
  store: ManifestStore;
  manifest: Manifest;
  /** True when there is a manifest (something was deployed with this config and env). */
  deployed: boolean;
  names: Names;
  counter: CallCounter;
  interactive: boolean;
  /** Releases the lock (no-op for read-only runs) and the AWS clients. */
  close(): Promise<void>;
}

/**
 * The context for day-2 commands. Same order as openRun (config → identity → lock), so a
 * bad config or flag exits 2 before any AWS call. `lock` names the command holding the
 * lock (scale, rollback); without it nothing is locked and the manifest cannot be written.
 */
export async function openDay2(
  opts: GlobalOptions,
  io: Io,
  reporter: Reporter,
  o: {
    lock?: string;
    forceUnlock?: boolean;
    check?: (local: Pick<Day2Run, 'config' | 'manifest'>) => void;
    images?: Record<string, string>;
  } = {},
): Promise<Day2Run> {
  checkEnvName(opts.env);
  const configFile = resolveConfigPath(io.cwd, opts.config);
  const { config } = await loadConfig(configFile, { env: opts.env, vars: io.env, ...(o.images ? { images: o.images } : {}) });
  const baseDir = path.dirname(configFile);
  const location = resolveStateLocation(opts, config);
  if (o.check) {
    // Argument checks (service names, ranges) before any AWS call: a usage error costs nothing. The shared state
    // needs AWS to read, so with it the config alone is checked here (the command checks again once it has read it).
    const local = location.backend === 'local' ? await new LocalManifestStore(localStateDir(baseDir), opts.env).read() : undefined;
    o.check({ config, manifest: local ?? emptyManifest(config.app, opts.env, '', '') });
  }

  const { aws, counter, region, account } = await connect(opts, config, reporter);
  let store: ManifestStore | undefined;
  const close = async () => {
    await store?.releaseLock();
    aws.destroy();
  };
  try {
    const opened = await openStore({ location, baseDir, app: config.app, env: opts.env, aws });
    store = o.lock ? opened : new ReadOnlyManifestStore(opened);
    if (o.lock) await takeLock(store, o.lock, o.forceUnlock, reporter);
    const existing = await readManifest(store, config, account, region, io);
    return {
      env: opts.env,
      config,
      configFile,
      baseDir,
      aws,
      region,
      account,
      store,
      manifest: existing ?? emptyManifest(config.app, opts.env, account, region),
      deployed: existing !== undefined,
      names: namesFor(config.app, opts.env),
      counter,
      interactive: isInteractive(opts, io),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Where a service lives: the manifest's record when there is one, else the names a deploy would use. */
export function serviceLocation(
  run: Pick<Day2Run, 'manifest' | 'names'>,
  service: string,
): { cluster: string; serviceName: string; url?: string } {
  const state = run.manifest.steps[`service:${service}`]?.state as Partial<ServiceState> | undefined;
  return {
    cluster: state?.clusterName ?? run.names.cluster,
    serviceName: state?.serviceName ?? run.names.service(service),
    ...(state?.url ? { url: state.url } : {}),
  };
}

/** The error code each command that needs a deployed service fails with when it is not. */
const NOT_DEPLOYED = {
  rollback: 'rollback.no-service',
  'run-task': 'run-task.no-service',
  scale: 'scale.no-service',
  continue: 'continue.no-service',
  exec: 'exec.no-service',
} as const satisfies Record<string, ErrorCode>;

/** The service as ECS has it now; a command on a service that is not deployed fails here, explained. */
export async function deployedService(
  run: Pick<Day2Run, 'aws' | 'manifest' | 'names'>,
  name: string,
  command: keyof typeof NOT_DEPLOYED,
): Promise<Service & { taskDefinition: string }> {
  const { cluster, serviceName } = serviceLocation(run, name);
  const service = await run.aws
    .ecs()
    .send(new DescribeServicesCommand({ cluster, services: [serviceName] }))
    .then((o) => o.services?.find((s) => s.status === 'ACTIVE'))
    .catch((err) => {
      throw explainAwsError(err, `reading service ${serviceName}`);
    });
  if (!service?.taskDefinition) {
    throw new EcsKitError(
      NOT_DEPLOYED[command],
      `Service ${name} is not deployed (no active ECS service ${serviceName} in cluster ${cluster}).`,
      {
        fix: 'Run ecs-kit deploy first.',
      },
    );
  }
  return service as Service & { taskDefinition: string };
}

/**
 * The services a command acts on: the one named (which must be in the config or the
 * manifest), or all of them. `single` commands need one: the only service, or a name.
 */
export function pickServices(
  run: Pick<Day2Run, 'config' | 'manifest'>,
  name: string | undefined,
  command: string,
  single = false,
): string[] {
  const known = [
    ...new Set([
      ...Object.keys(run.config.services),
      ...Object.values(run.manifest.steps)
        .filter((e) => e.kind === 'service' && e.scope)
        .map((e) => e.scope!),
    ]),
  ];
  if (name !== undefined) {
    if (!known.includes(name)) {
      throw new UsageError(
        `${command}: there is no service "${name}" in ecs-kit.yml${known.length ? ` (services: ${known.join(', ')})` : ''}.`,
        `Pass one of: ${known.join(', ') || '(none)'}.`,
        'usage.service',
      );
    }
    return [name];
  }
  if (single && known.length !== 1) {
    throw new UsageError(
      `${command} needs a service name: ecs-kit.yml has ${known.length} services (${known.join(', ')}).`,
      `Run: ecs-kit ${command} <service>.`,
      'usage.service',
    );
  }
  return known;
}

/** Run options for following a rollout outside a deploy (scale, rollback): --timeout and, when given, --poll-interval. */
export function watchOptions(o: { timeoutMs: number; pollIntervalMs?: number }): RunOptions {
  return { ...DEFAULT_RUN_OPTIONS, wait: true, timeoutMs: o.timeoutMs, ...(o.pollIntervalMs ? { pollIntervalMs: o.pollIntervalMs } : {}) };
}

/**
 * What the rollout watcher (src/rollout/watch.ts) needs, for commands that change a service
 * outside a deploy (scale, rollback). Progress goes out as the service step's events so the
 * reporters show it the same way as during a deploy.
 */
export function rolloutContext(
  run: Pick<Day2Run, 'aws' | 'region' | 'account' | 'names' | 'config' | 'env'>,
  reporter: Reporter,
  service: string,
  options: RunOptions,
  signal: AbortSignal,
): Pick<
  StepContext,
  'id' | 'kind' | 'scope' | 'aws' | 'region' | 'account' | 'names' | 'owner' | 'options' | 'progress' | 'warn' | 'signal'
> {
  const id = `service:${service}`;
  return {
    id,
    kind: 'service',
    scope: service,
    aws: run.aws,
    region: run.region,
    account: run.account,
    names: run.names,
    owner: { app: run.config.app, env: run.env },
    options,
    progress: (message) => reporter.emit({ type: 'step.progress', step: id, message }),
    warn: (code, message) => reporter.emit({ type: 'warn', code, step: id, message }),
    signal,
  };
}
