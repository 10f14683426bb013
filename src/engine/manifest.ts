import { randomBytes } from 'node:crypto';
import { constants, rmSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { EcsKitError, ExitCode } from '../errors.js';

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

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

/**
 * The local record of what ecs-kit created for one app environment: `.ecs-kit/<env>.json`.
 * Writes are atomic (temp file, fsync, rename) and the file is 0600. A lock file next to
 * it keeps two runs from writing at once.
 */
export class ManifestStore {
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

  async read(): Promise<Manifest | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let data: Manifest;
    try {
      data = JSON.parse(text) as Manifest;
    } catch {
      throw new EcsKitError('manifest.corrupt', `The manifest ${this.file} is not valid JSON.`, {
        why: 'It was edited by hand or damaged outside ecs-kit (ecs-kit always writes it atomically).',
        fix: 'Restore it from version control or a backup; do not delete it while resources exist.',
      });
    }
    if (typeof data.schemaVersion !== 'number' || data.schemaVersion < 1 || data.schemaVersion > MANIFEST_SCHEMA_VERSION) {
      throw new EcsKitError(
        'manifest.version',
        `The manifest ${this.file} has schema version ${data.schemaVersion}, newer than this ecs-kit understands (${MANIFEST_SCHEMA_VERSION}).`,
        {
          fix: 'Upgrade ecs-kit (npm i -D ecs-kit@latest) and run the command again.',
        },
      );
    }
    return migrateManifest(data);
  }

  /** Atomic replace: a crash leaves either the old file or the new one, never half of one. */
  async write(manifest: Manifest): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
  }

  /** Refuse to mix accounts or regions: the ids inside only mean something in one of each. */
  static checkIdentity(manifest: Manifest, account: string, region: string, file: string): void {
    if (manifest.account !== account || manifest.region !== region) {
      throw new EcsKitError(
        'manifest.identity',
        `The manifest ${file} was made in account ${manifest.account}, region ${manifest.region}, but the current credentials are for account ${account}, region ${region}.`,
        {
          why: 'The ids it records only exist in the account and region they were created in.',
          fix: `Use credentials for account ${manifest.account} and --region ${manifest.region}, or choose another --env.`,
          exitCode: ExitCode.Usage,
        },
      );
    }
  }

  /**
   * Take the lock, or explain who holds it. A lock left by a dead process on this host
   * (killed, crashed) is broken automatically and returned, so "run it again" just works;
   * a lock held by a live process or another host needs --force-unlock.
   */
  async acquireLock(command: string, opts: { forceUnlock?: boolean } = {}): Promise<{ broke?: LockInfo }> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
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
      const holder = await this.readLock();
      const stale = holder !== undefined && holder.host === hostname() && !isAlive(holder.pid);
      if (opts.forceUnlock || stale || holder === undefined) {
        broke = holder;
        await rm(this.lockFile, { force: true });
        continue;
      }
      throw new EcsKitError(
        'lock.held',
        `Another ecs-kit run holds the lock for environment "${this.env}": ${holder.command}, pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}.`,
        {
          why: 'Two runs at once could create resources twice or lose track of them.',
          fix: `Wait for it to finish. If you are sure it is no longer running, re-run with --force-unlock (or delete ${this.lockFile}).`,
        },
      );
    }
    throw new EcsKitError('lock.held', `Could not take the lock ${this.lockFile}.`, { fix: 'Re-run with --force-unlock.' });
  }

  private async readLock(): Promise<LockInfo | undefined> {
    try {
      return JSON.parse(await readFile(this.lockFile, 'utf8')) as LockInfo;
    } catch {
      return undefined;
    }
  }

  async releaseLock(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    await unlink(this.lockFile).catch(() => undefined);
  }

  /** Synchronous release for signal handlers, where awaiting is not possible. */
  releaseLockSync(): void {
    if (!this.locked) return;
    this.locked = false;
    try {
      rmSync(this.lockFile, { force: true });
    } catch {
      /* best effort: a stale lock is detected and reported next time */
    }
  }
}

/**
 * Bring an older manifest up to the current schema, one version at a time. The file itself
 * is rewritten in the new shape by the next write (reading never writes).
 */
export function migrateManifest(data: Manifest): Manifest {
  let m = { ...data };
  if (m.schemaVersion === 1) {
    m = { ...m, schemaVersion: 2, history: m.history ?? [] };
  }
  if (m.schemaVersion === 2) {
    m = { ...m, schemaVersion: 3, steps: splitNatFromNetwork(m.steps) };
  }
  return m;
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
