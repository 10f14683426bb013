import path from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import { stateLocation, type StateLocation } from '../config/state.js';
import type { Config } from '../config/schema.js';
import { LocalManifestStore, type Manifest, type ManifestStore } from '../engine/manifest.js';
import type { LockInfo } from '../engine/lock.js';
import { EcsKitError, UsageError } from '../errors.js';

/**
 * How commands open an environment's manifest store: `--state` (s3://bucket/prefix, or local) wins over the config's
 * `state:` block; without either it is `.ecs-kit/<env>.json` next to the config.
 */

/** Where the state lives, or exit 2 naming the flag or field: checked with the config, before any AWS call. */
export function resolveStateLocation(opts: { state?: string }, config: Pick<Config, 'state'>): StateLocation {
  const loc = stateLocation(config, opts.state);
  if ('problem' in loc)
    throw new UsageError(`--state: ${loc.problem}.`, 'Pass --state s3://<bucket>/<prefix>, or set state: in ecs-kit.yml.');
  return loc;
}

/** The local manifest folder: next to the config, whatever the backend (pulled files, the local lock). */
export function localStateDir(baseDir: string): string {
  return path.join(baseDir, '.ecs-kit');
}

export async function openStore(o: {
  location: StateLocation;
  baseDir: string;
  app: string;
  env: string;
  aws: AwsClients;
}): Promise<ManifestStore> {
  if (o.location.backend === 'local') return new LocalManifestStore(localStateDir(o.baseDir), o.env);
  const { S3ManifestStore } = await import('../engine/s3-store.js');
  return new S3ManifestStore(await o.aws.s3(o.location.region), o.location, o.app, o.env);
}

/**
 * A manifest store that refuses to write: `plan`, `status`, `logs` and `doctor` run without the lock, so they must
 * never write the manifest a concurrent deploy is keeping.
 */
export class ReadOnlyManifestStore implements ManifestStore {
  constructor(private readonly inner: ManifestStore) {}

  get location(): string {
    return this.inner.location;
  }

  get dir(): string | undefined {
    return this.inner.dir;
  }

  read(): Promise<Manifest | undefined> {
    return this.inner.read();
  }

  lockHolder(): Promise<LockInfo | undefined> {
    return this.inner.lockHolder();
  }

  write(): Promise<void> {
    return Promise.reject(refused());
  }

  acquireLock(): Promise<{ broke?: LockInfo }> {
    return Promise.reject(refused());
  }

  breakLock(): Promise<LockInfo | undefined> {
    return Promise.reject(refused());
  }

  async releaseLock(): Promise<void> {}
}

function refused(): EcsKitError {
  return new EcsKitError('manifest.read-only', 'Internal error: a read-only command tried to write the manifest.', {
    fix: 'Please report this at the ecs-kit issue tracker.',
  });
}
