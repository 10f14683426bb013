import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { EcsKitError, ExitCode } from '../errors.js';
import { isAlive, lockHeldError, newLockInfo, type LockInfo } from './lock.js';

export { describeHolder, type LockInfo } from './lock.js';

/**
 * 1: steps only. 2: adds the deploy history that `rollback` uses. 3: the production network's NAT gateways, their
 * addresses and the private route tables move from the `network` step to a `nat` step of their own.
 */
export const MANIFEST_SCHEMA_VERSION = 3;

export interface ManifestEntry {
  kind: string;
  scope?: string;
  dependsOn: string[];
  state: Record<string, unknown>;
  updatedAt: string;
}

export interface Manifest {
  schemaVersion: number;
  app: string;
  env: string;
  account: string;
  region: string;
  createdAt: string;
  updatedAt: string;
  /** Step instance id → what that step owns. Empty after a complete teardown. */
  steps: Record<string, ManifestEntry>;
  /** Task definition revisions each service was deployed with, oldest first (what `rollback` goes back to). Optional: older manifests lack it. */
  history?: HistoryEntry[];
}

export interface HistoryEntry {
  at: string;
  service: string;
  taskDefinitionArn: string;
}

/**
 * Where one environment's manifest and its lock live. Two backends: `LocalManifestStore` (`.ecs-kit/<env>.json` next to
 * the config) and the S3 store (src/engine/s3-store.ts, shared by a team and its CI). Both write whole manifests, hold
 * one lock per environment, and name the holder when a second run is refused.
 */
export interface ManifestStore {
  /** Where the manifest lives, for messages: a path or an s3:// URL. */
  readonly location: string;
  /** The local folder of ecs-kit's own files (left out of docker build contexts), when the backend has one. */
  readonly dir?: string;
  /** The manifest, migrated to the current schema, or undefined when there is none. */
  read(): Promise<Manifest | undefined>;
  write(manifest: Manifest): Promise<void>;
  /**
   * Take the lock, or explain who holds it (`lock.held`, exit 1). A lock left by a dead process on this machine is taken
   * over and returned; `forceUnlock` breaks any lock.
   */
  acquireLock(command: string, opts?: { forceUnlock?: boolean }): Promise<{ broke?: LockInfo }>;
  /** Who holds the lock now, if anyone (`state show`, `state unlock`). */
  lockHolder(): Promise<LockInfo | undefined>;
  /** Break whatever lock there is (`state unlock`); returns the holder it broke. */
  breakLock(): Promise<LockInfo | undefined>;
  /** Release this run's lock; a no-op when it holds none. Safe to call twice, and from a signal handler. */
  releaseLock(): Promise<void>;
  /** Delete the environment's manifest (a completed teardown with the S3 backend); absent: the backend keeps it. */
  remove?(): Promise<void>;
}

/** One step that brings a manifest from schema version `from` to `to`; `migrateManifest` applies them in turn. */
export interface ManifestMigration {
  from: number;
  to: number;
  migrate(manifest: Manifest): Manifest;
}

/** Stepwise schema migrations, oldest first. A new schema version adds its step here (and bumps MANIFEST_SCHEMA_VERSION). */
export const MIGRATIONS: ManifestMigration[] = [
  { from: 1, to: 2, migrate: (m) => ({ ...m, schemaVersion: 2, history: m.history ?? [] }) },
  { from: 2, to: 3, migrate: (m) => ({ ...m, schemaVersion: 3, steps: splitNatFromNetwork(m.steps) }) },
];

/**
 * Bring an older manifest up to the current schema, one version at a time. The stored manifest is rewritten in the new
 * shape by the next write (reading never writes).
 */
export function migrateManifest(data: Manifest): Manifest {
  let m = { ...data };
  for (let step = MIGRATIONS.find((s) => s.from === m.schemaVersion); step; step = MIGRATIONS.find((s) => s.from === m.schemaVersion)) {
    m = step.migrate(m);
  }
  return m;
}

/** Parse a manifest's text (a file, an S3 object, `state push` input), refusing damaged or too-new ones. */
export function parseManifest(text: string, where: string): Manifest {
  let data: Manifest;
  try {
    data = JSON.parse(text) as Manifest;
  } catch {
    throw new EcsKitError('manifest.corrupt', `The manifest ${where} is not valid JSON.`, {
      why: 'It was edited by hand or damaged outside ecs-kit (ecs-kit always writes it whole).',
      fix: 'Restore it from version control or a backup (an S3 state bucket keeps every version); do not delete it while resources exist.',
    });
  }
  if (
    data === null ||
    typeof data !== 'object' ||
    typeof data.schemaVersion !== 'number' ||
    data.schemaVersion < 1 ||
    data.schemaVersion > MANIFEST_SCHEMA_VERSION
  ) {
    throw new EcsKitError(
      'manifest.version',
      `The manifest ${where} has schema version ${(data as Partial<Manifest> | null)?.schemaVersion}, newer than this ecs-kit understands (${MANIFEST_SCHEMA_VERSION}).`,
      { fix: 'Upgrade ecs-kit (npm i -D ecs-kit@latest) and run the command again.' },
    );
  }
  if (typeof data.steps !== 'object' || data.steps === null) {
    throw new EcsKitError('manifest.corrupt', `The manifest ${where} is not an ecs-kit manifest (it has no steps).`, {
      fix: 'Restore it from version control or a backup.',
    });
  }
  return migrateManifest(data);
}

/** The bytes every backend stores. */
export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** An environment with no steps recorded (never deployed, or torn down) owns nothing, so it pins no account, region or app. */
export function isEmptyManifest(manifest: Manifest): boolean {
  return Object.keys(manifest.steps).length === 0;
}

/** Refuse to mix accounts or regions: the ids inside only mean something in one of each. An empty environment pins nothing. */
export function checkIdentity(manifest: Manifest, account: string, region: string, where: string): void {
  if (isEmptyManifest(manifest)) return;
  if (manifest.account !== account || manifest.region !== region) {
    throw new EcsKitError(
      'manifest.identity',
      `The manifest ${where} was made in account ${manifest.account}, region ${manifest.region}, but the current credentials are for account ${account}, region ${region}.`,
      {
        why: 'The ids it records only exist in the account and region they were created in.',
        fix: `Use credentials for account ${manifest.account} and --region ${manifest.region}, or choose another --env.`,
        exitCode: ExitCode.Usage,
      },
    );
  }
}

/**
 * The local record of what ecs-kit created for one app environment: `.ecs-kit/<env>.json`.
 * Writes are atomic (temp file, fsync, rename) and the file is 0600. A lock file next to
 * it keeps two runs from writing at once.
 */
export class LocalManifestStore implements ManifestStore {
  readonly file: string;
  readonly lockFile: string;
  private locked = false;

  constructor(
    readonly dir: string,
    readonly env: string,
  ) {
    this.file = path.join(dir, `${env}.json`);
    this.lockFile = path.join(dir, `${env}.lock`);
  }

  get location(): string {
    return this.file;
  }

  /** Kept for callers of the old class-level check. */
  static checkIdentity(manifest: Manifest, account: string, region: string, file: string): void {
    checkIdentity(manifest, account, region, file);
  }

  async read(): Promise<Manifest | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return parseManifest(text, this.file);
  }

  /** Atomic replace: a crash leaves either the old file or the new one, never half of one. */
  async write(manifest: Manifest): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(serializeManifest(manifest), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
  }

  /**
   * Take the lock, or explain who holds it. A lock left by a dead process on this host
   * (killed, crashed) is broken automatically and returned, so "run it again" just works;
   * a lock held by a live process or another host needs --force-unlock.
   */
  async acquireLock(command: string, opts: { forceUnlock?: boolean } = {}): Promise<{ broke?: LockInfo }> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const info = newLockInfo(command);
    let broke: LockInfo | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(this.lockFile, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
        await handle.writeFile(JSON.stringify(info));
        await handle.close();
        this.locked = true;
        return broke ? { broke } : {};
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await this.lockHolder();
      const stale = holder !== undefined && holder.host === info.host && !isAlive(holder.pid);
      if (opts.forceUnlock || stale || holder === undefined) {
        broke = holder;
        await rm(this.lockFile, { force: true });
        continue;
      }
      throw lockHeldError(this.env, holder, `delete ${this.lockFile}`);
    }
    throw new EcsKitError('lock.held', `Could not take the lock ${this.lockFile}.`, { fix: 'Re-run with --force-unlock.' });
  }

  async lockHolder(): Promise<LockInfo | undefined> {
    try {
      return JSON.parse(await readFile(this.lockFile, 'utf8')) as LockInfo;
    } catch {
      return undefined;
    }
  }

  async breakLock(): Promise<LockInfo | undefined> {
    const holder = await this.lockHolder();
    await rm(this.lockFile, { force: true });
    return holder;
  }

  async releaseLock(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    await unlink(this.lockFile).catch(() => undefined);
  }
}

const NAT_FIELDS = ['natGatewayIds', 'elasticIpAllocationIds', 'privateRouteTableIds'] as const;

/**
 * v2 → v3: a network entry that recorded NAT gateways, addresses or private route tables hands them to a `nat` entry
 * that depends on it, exactly as the nat step records them, so a deployed environment re-deploys with no change and
 * tears down in the new order (the NAT gateways beside the services and the load balancer, then the network).
 */
function splitNatFromNetwork(steps: Record<string, ManifestEntry>): Record<string, ManifestEntry> {
  const network = steps['network'];
  const state = network?.state;
  if (!network || !state || !NAT_FIELDS.some((f) => f in state) || steps['nat']) return steps;
  const list = (f: (typeof NAT_FIELDS)[number]) => (Array.isArray(state[f]) ? (state[f] as string[]) : []);
  const rest = Object.fromEntries(Object.entries(state).filter(([k]) => !(NAT_FIELDS as readonly string[]).includes(k)));
  const nat: ManifestEntry = {
    kind: 'nat',
    dependsOn: ['network'],
    state: {
      vpcId: state['vpcId'],
      natGatewayIds: list('natGatewayIds'),
      elasticIpAllocationIds: list('elasticIpAllocationIds'),
      privateRouteTableIds: list('privateRouteTableIds'),
    },
    updatedAt: network.updatedAt,
  };
  return { ...steps, network: { ...network, state: rest }, nat };
}

export function emptyManifest(app: string, env: string, account: string, region: string): Manifest {
  const now = new Date().toISOString();
  return { schemaVersion: MANIFEST_SCHEMA_VERSION, app, env, account, region, createdAt: now, updatedAt: now, steps: {}, history: [] };
}
