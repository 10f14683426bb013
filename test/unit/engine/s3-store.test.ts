import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyManifest, type Manifest } from '../../../src/engine/manifest.js';
import { S3ManifestStore } from '../../../src/engine/s3-store.js';
import { FakeBucket, s3Error } from '../../helpers/fake-s3.js';

const LOC = { backend: 's3' as const, bucket: 'acme-ecs-kit-state', prefix: 'ecs-kit' };
const STATE = 'ecs-kit/shop/prod.json';
const LOCK = 'ecs-kit/shop/prod.lock';

let bucket: FakeBucket;
afterEach(() => bucket?.mock.restore());

function store(): S3ManifestStore {
  return new S3ManifestStore(bucket.client, LOC, 'shop', 'prod', { conflictDelayMs: 1 });
}

function withStep(m: Manifest, id: string): Manifest {
  return { ...m, steps: { ...m.steps, [id]: { kind: id, dependsOn: [], state: { id }, updatedAt: 'u' } } };
}

const puts = () => bucket.mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);

describe('S3ManifestStore', () => {
  it('creates the object with If-None-Match: *, updates it with If-Match: <etag>, and skips unchanged writes', async () => {
    bucket = new FakeBucket();
    const s = store();
    expect(s.location).toBe(`s3://acme-ecs-kit-state/${STATE}`);
    expect(await s.read()).toBeUndefined();
    const m = emptyManifest('shop', 'prod', '111111111111', 'eu-west-1');
    await s.write(m);
    await s.write(m); // unchanged: no request
    const m2 = withStep(m, 'cluster');
    await s.write(m2);
    expect(puts().map((p) => ({ key: p.Key, IfNoneMatch: p.IfNoneMatch, IfMatch: p.IfMatch }))).toEqual([
      { key: STATE, IfNoneMatch: '*', IfMatch: undefined },
      { key: STATE, IfNoneMatch: undefined, IfMatch: bucket.keys.get(STATE)![0]!.etag },
    ]);
    expect(JSON.parse(bucket.text(STATE)!)).toEqual(m2);
    expect(await store().read()).toEqual(m2);
  });

  it('detects a lost race: a newer manifest written by someone else is left intact, and the error says so', async () => {
    bucket = new FakeBucket();
    const s = store();
    const base = emptyManifest('shop', 'prod', '1', 'r');
    await s.write(base);
    expect(await s.read()).toEqual(base);
    const newer = { ...withStep(base, 'network'), updatedAt: '2026-12-01T10:00:00.000Z' };
    bucket.put(STATE, JSON.stringify(newer)); // another machine wrote in between
    await expect(s.write(withStep(base, 'cluster'))).rejects.toMatchObject({ code: 'state.conflict', message: /2026-12-01T10:00:00/ });
    expect(JSON.parse(bucket.text(STATE)!)).toEqual(newer);
  });

  it('a first write that loses to another first write fails the same way', async () => {
    bucket = new FakeBucket();
    const s = store();
    expect(await s.read()).toBeUndefined();
    bucket.put(STATE, JSON.stringify(withStep(emptyManifest('shop', 'prod', '1', 'r'), 'other')));
    await expect(s.write(emptyManifest('shop', 'prod', '1', 'r'))).rejects.toMatchObject({ code: 'state.conflict' });
  });

  it('accepts a 412 on a retried write whose first answer was lost (the object is what it wrote)', async () => {
    bucket = new FakeBucket();
    const s = store();
    await s.read();
    bucket.beforePut = (_input, commit) => {
      bucket.beforePut = undefined;
      commit();
      throw s3Error('PreconditionFailed', 412);
    };
    const m = emptyManifest('shop', 'prod', '1', 'r');
    await s.write(m);
    await s.write(withStep(m, 'cluster')); // goes on with the ETag it read back
    expect(JSON.parse(bucket.text(STATE)!).steps.cluster).toBeDefined();
  });

  it('retries a 409 ConditionalRequestConflict (another conditional write in flight)', async () => {
    bucket = new FakeBucket();
    let conflicts = 2;
    bucket.beforePut = () => {
      if (conflicts-- > 0) throw s3Error('ConditionalRequestConflict', 409);
    };
    const s = store();
    await s.write(emptyManifest('shop', 'prod', '1', 'r'));
    expect(puts()).toHaveLength(3);
    expect(bucket.text(STATE)).toBeDefined();
  });

  it('locks with a lock object: a second run is refused naming the holder; release deletes only its own lock', async () => {
    bucket = new FakeBucket();
    const a = store();
    await a.acquireLock('deploy');
    const lock = JSON.parse(bucket.text(LOCK)!);
    expect(lock).toMatchObject({ command: 'deploy', pid: process.pid, host: hostname(), cwd: process.cwd() });
    const b = store();
    const err = await b.acquireLock('deploy').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'lock.held', exitCode: 1 });
    expect((err as Error).message).toContain(`deploy`);
    expect((err as Error).message).toContain(`pid ${process.pid} on ${hostname()} in ${process.cwd()}`);
    // b breaks it (--force-unlock) and now holds the lock; a's release must not delete b's lock.
    expect((await b.acquireLock('deploy', { forceUnlock: true })).broke).toMatchObject({ id: lock.id });
    await a.releaseLock();
    expect(JSON.parse(bucket.text(LOCK)!).id).not.toBe(lock.id);
    await b.releaseLock();
    expect(bucket.text(LOCK)).toBeUndefined();
  });

  it('takes over a lock of a dead process from the same checkout, but not from another directory', async () => {
    bucket = new FakeBucket();
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
    const stale = { id: 'x', pid: dead, host: hostname(), cwd: process.cwd(), startedAt: '2026-01-01T00:00:00Z', command: 'deploy' };
    bucket.put(LOCK, JSON.stringify(stale));
    expect((await store().acquireLock('deploy')).broke).toEqual(stale);
    bucket.put(LOCK, JSON.stringify({ ...stale, cwd: '/elsewhere' }));
    await expect(store().acquireLock('deploy')).rejects.toMatchObject({ code: 'lock.held', message: /in \/elsewhere/ });
  });

  it('refuses a bucket without versioning, naming the fix', async () => {
    bucket = new FakeBucket();
    bucket.versioning = undefined;
    await expect(store().read()).rejects.toMatchObject({ code: 'state.versioning', fix: /state init --bucket acme-ecs-kit-state/ });
  });

  it('remove() deletes every version of the state and lock objects, and nothing else', async () => {
    bucket = new FakeBucket();
    bucket.put('ecs-kit/shop/staging.json', '{}');
    const s = store();
    await s.acquireLock('teardown');
    const m = emptyManifest('shop', 'prod', '1', 'r');
    await s.write(m);
    await s.write(withStep(m, 'x'));
    await s.remove();
    expect(bucket.keys.get(STATE)).toEqual([]);
    expect(bucket.keys.get(LOCK)).toEqual([]);
    expect(bucket.text('ecs-kit/shop/staging.json')).toBe('{}');
    await s.releaseLock(); // nothing left to release
  });
});
