import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalManifestStore, emptyManifest } from '../../../src/engine/manifest.js';

async function store() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ecs-kit-manifest-'));
  return new LocalManifestStore(path.join(dir, '.ecs-kit'), 'default');
}

describe('LocalManifestStore', () => {
  it('writes atomically with mode 0600 and leaves no temp files', async () => {
    const s = await store();
    const m = emptyManifest('shop', 'default', '123456789012', 'us-east-1');
    for (let i = 0; i < 20; i++) {
      m.steps[`s${i}`] = { kind: 'k', dependsOn: [], state: { i }, updatedAt: '' };
      await s.write(m);
    }
    expect((await stat(s.file)).mode & 0o777).toBe(0o600);
    expect(await readdir(s.dir)).toEqual(['default.json']);
    expect((await s.read())!.steps.s19!.state).toEqual({ i: 19 });
  });

  it('concurrent writers never leave a half-written file', async () => {
    const s = await store();
    const big = emptyManifest('shop', 'default', '1', 'r');
    for (let i = 0; i < 500; i++) big.steps[`step-${i}`] = { kind: 'k', dependsOn: [], state: { blob: 'x'.repeat(200) }, updatedAt: '' };
    await Promise.all(Array.from({ length: 10 }, () => s.write(big)));
    expect(() => JSON.parse(require('node:fs').readFileSync(s.file, 'utf8'))).not.toThrow();
  });

  it('returns undefined when there is no manifest and rejects corrupt or newer ones', async () => {
    const s = await store();
    expect(await s.read()).toBeUndefined();
    await s.write(emptyManifest('shop', 'default', '1', 'r'));
    await writeFile(s.file, '{"schemaVersion": 99}');
    await expect(s.read()).rejects.toThrow(/newer than this ecs-kit/);
    await writeFile(s.file, '{ half');
    await expect(s.read()).rejects.toThrow(/not valid JSON/);
  });

  it('migrates a schema 1 manifest (no deploy history) to the current schema on read', async () => {
    const s = await store();
    const v1 = {
      schemaVersion: 1,
      app: 'shop',
      env: 'default',
      account: '1',
      region: 'r',
      createdAt: 'c',
      updatedAt: 'u',
      steps: { cluster: { kind: 'cluster', dependsOn: [], state: { clusterName: 'x' }, updatedAt: 'u' } },
    };
    await s.write(v1);
    const m = (await s.read())!;
    expect(m.schemaVersion).toBe(3);
    expect(m.history).toEqual([]);
    expect(m.steps.cluster!.state).toEqual({ clusterName: 'x' });
  });

  it('v2 → v3: a production network hands its NAT gateways, addresses and private route tables to a nat step', async () => {
    const s = await store();
    const network = {
      vpcId: 'vpc-1',
      cidr: '10.0.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      publicSubnetIds: ['subnet-a', 'subnet-b'],
      internetGatewayId: 'igw-1',
      publicRouteTableId: 'rtb-pub',
      profile: 'production',
      privateSubnetIds: ['subnet-c', 'subnet-d'],
      natGatewayIds: ['nat-1'],
      elasticIpAllocationIds: ['eipalloc-1'],
      privateRouteTableIds: ['rtb-1', 'rtb-2'],
    };
    const service = { kind: 'service', scope: 'web', dependsOn: ['network', 'cluster'], state: { serviceName: 'web' }, updatedAt: 'u' };
    await s.write({
      schemaVersion: 2,
      app: 'shop',
      env: 'default',
      account: '1',
      region: 'r',
      createdAt: 'c',
      updatedAt: 'u',
      steps: { network: { kind: 'network', dependsOn: [], state: network, updatedAt: 'u' }, 'service:web': service },
      history: [],
    });
    const m = (await s.read())!;
    expect(m.schemaVersion).toBe(3);
    const { natGatewayIds: _n, elasticIpAllocationIds: _e, privateRouteTableIds: _r, ...rest } = network;
    expect(m.steps.network!.state).toEqual(rest);
    expect(m.steps.nat).toEqual({
      kind: 'nat',
      dependsOn: ['network'],
      state: { vpcId: 'vpc-1', natGatewayIds: ['nat-1'], elasticIpAllocationIds: ['eipalloc-1'], privateRouteTableIds: ['rtb-1', 'rtb-2'] },
      updatedAt: 'u',
    });
    // Nothing else moves: the services keep their (teardown) dependencies.
    expect(m.steps['service:web']).toEqual(service);
  });

  it('v2 → v3 leaves a learning network (no NAT fields) as it was, with no nat step', async () => {
    const s = await store();
    const state = {
      vpcId: 'vpc-1',
      cidr: '10.0.0.0/16',
      availabilityZones: [],
      publicSubnetIds: [],
      internetGatewayId: '',
      publicRouteTableId: '',
    };
    await s.write({
      schemaVersion: 2,
      app: 'shop',
      env: 'default',
      account: '1',
      region: 'r',
      createdAt: 'c',
      updatedAt: 'u',
      steps: { network: { kind: 'network', dependsOn: [], state, updatedAt: 'u' } },
      history: [],
    });
    const m = (await s.read())!;
    expect(Object.keys(m.steps)).toEqual(['network']);
    expect(m.steps.network!.state).toEqual(state);
  });

  it('refuses another account or region', () => {
    const m = emptyManifest('shop', 'default', '111111111111', 'eu-west-1');
    // An environment with nothing in it (never deployed, or torn down) pins nothing.
    expect(() => LocalManifestStore.checkIdentity(m, '222222222222', 'us-east-1', 'f')).not.toThrow();
    m.steps.cluster = { kind: 'cluster', dependsOn: [], state: { clusterName: 'x' }, updatedAt: 'u' };
    expect(() => LocalManifestStore.checkIdentity(m, '222222222222', 'eu-west-1', 'f')).toThrow(
      /account 111111111111.*account 222222222222/,
    );
    expect(() => LocalManifestStore.checkIdentity(m, '111111111111', 'us-east-1', 'f')).toThrow(/region eu-west-1/);
    expect(() => LocalManifestStore.checkIdentity(m, '111111111111', 'eu-west-1', 'f')).not.toThrow();
  });

  it('locks against a second run and names the holder', async () => {
    const s = await store();
    await s.acquireLock('deploy');
    const other = new LocalManifestStore(s.dir, 'default');
    const err = await other.acquireLock('teardown').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'lock.held' });
    expect(String((err as Error).message)).toContain(`pid ${process.pid} on ${hostname()}`);
    await s.releaseLock();
    await other.acquireLock('teardown');
    await other.releaseLock();
  });

  it('breaks a lock left by a dead process on this host, and reports it', async () => {
    const s = await store();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await s.acquireLock('deploy');
    const stale = { pid: Number(dead), host: hostname(), startedAt: '2026-01-01T00:00:00Z', command: 'deploy' };
    await writeFile(s.lockFile, JSON.stringify(stale));
    const other = new LocalManifestStore(s.dir, 'default');
    expect(await other.acquireLock('deploy')).toEqual({ broke: stale });
    expect(JSON.parse(await readFile(s.lockFile, 'utf8')).pid).toBe(process.pid);
    await other.releaseLock();
  });

  it('needs --force-unlock for a lock from another host', async () => {
    const s = await store();
    await s.acquireLock('deploy');
    await writeFile(s.lockFile, JSON.stringify({ pid: 1, host: 'build-agent-7', startedAt: '2026-01-01T00:00:00Z', command: 'deploy' }));
    const other = new LocalManifestStore(s.dir, 'default');
    await expect(other.acquireLock('deploy')).rejects.toThrow(/pid 1 on build-agent-7.*/);
    expect((await other.acquireLock('deploy', { forceUnlock: true })).broke?.host).toBe('build-agent-7');
    await other.releaseLock();
  });
});
