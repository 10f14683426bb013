import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../src/aws/clients.js';
import type { Config } from '../../../src/config/schema.js';
import { RecordingReporter } from '../../helpers/reporter.js';
import { LocalManifestStore, emptyManifest, type Manifest } from '../../../src/engine/manifest.js';
import { Engine } from '../../../src/engine/runner.js';
import { DEFAULT_RUN_OPTIONS, type StepModule, type StepRef } from '../../../src/engine/types.js';
import { config, fakeDocker } from '../../helpers/context.js';

/** A typed reference from a fake step's id ("td:web" → kind td). */
const ref = <T extends object>(id: string): StepRef<T> => ({ kind: id.split(':')[0]! });

type S = { id: string; deps: string[] };

/**
 * A fake account: `world` holds what exists (as if found by tags). plan() only reads it;
 * `calls` records every plan/apply/destroy so the test can prove rediscovery never mutates.
 */
function modules(world: Set<string>, calls: string[]): StepModule<S>[] {
  const make = (kind: string, dependsOn: (scope?: string) => string[], perService = false): StepModule<S> => ({
    kind,
    title: (scope) => (scope ? `${kind} ${scope}` : kind),
    instances: (cfg: Config) =>
      perService ? Object.keys(cfg.services).map((s) => ({ scope: s, dependsOn: dependsOn(s) })) : [{ dependsOn: dependsOn() }],
    async plan(ctx) {
      const deps = dependsOn(ctx.scope).map((d) => ctx.dep(ref<S>(d), d.split(':')[1]).id);
      calls.push(`plan ${ctx.id}`);
      if (!world.has(ctx.id)) return { action: 'create', changes: [] };
      return { action: 'noop', changes: [], current: { id: ctx.id, deps } };
    },
    async apply(ctx) {
      calls.push(`apply ${ctx.id}`);
      world.add(ctx.id);
      return { id: ctx.id, deps: [] };
    },
    async destroy(ctx, state) {
      calls.push(`destroy ${ctx.id} ${state.id}`);
      world.delete(ctx.id);
    },
  });
  return [
    make('net', () => []),
    make('cluster', () => []),
    make('td', () => [], true),
    make('svc', (s) => ['net', 'cluster', `td:${s}`], true),
  ];
}

async function engineFor(
  cfg: Config,
  mods: StepModule[],
  manifest: Manifest = emptyManifest('shop', 'default', '123456789012', 'us-east-1'),
) {
  const dir = await mkdtemp(path.join(tmpdir(), 'ecs-kit-rediscover-'));
  const store = new LocalManifestStore(dir, 'default');
  const reporter = new RecordingReporter();
  const engine = new Engine({
    app: 'shop',
    env: 'default',
    region: 'us-east-1',
    account: '123456789012',
    config: cfg,
    modules: mods,
    aws: new AwsClients({ region: 'us-east-1' }),
    docker: fakeDocker(),
    baseDir: process.cwd(),
    store,
    manifest,
    reporter,
    options: DEFAULT_RUN_OPTIONS,
    signal: new AbortController().signal,
  });
  return { engine, store, reporter, manifest };
}

const cfg = () => config('app: shop\nservices:\n  web: { image: nginx, port: 80 }\n  worker: { image: busybox }\n');

describe('Engine.rediscover (lost manifest)', () => {
  it('records every step that exists, says so, and mutates nothing', async () => {
    const world = new Set(['net', 'cluster', 'td:web', 'td:worker', 'svc:web', 'svc:worker']);
    const calls: string[] = [];
    const { engine, store, reporter, manifest } = await engineFor(cfg(), modules(world, calls));
    const found = await engine.rediscover();
    expect(found.sort()).toEqual([...world].sort());
    expect(calls.every((c) => c.startsWith('plan '))).toBe(true);
    expect(reporter.ofType('info').map((e) => e.code)).toEqual(['manifest.rediscovering', 'manifest.rediscovered']);
    const info = reporter.ofType('info').map((e) => e.message);
    expect(info[0]).toBe('No manifest found; looking for resources tagged ecs-kit:app=shop ecs-kit:env=default.');
    expect(info[1]).toMatch(/Found 6 existing step/);
    const saved = JSON.parse(await readFile(store.file, 'utf8')) as Manifest;
    expect(Object.keys(saved.steps).sort()).toEqual([...world].sort());
    // Dependencies are recorded, so teardown deletes dependents first.
    expect(saved.steps['svc:web']!.dependsOn).toEqual(['net', 'cluster', 'td:web']);
    expect(manifest.steps['svc:web']!.state).toEqual({ id: 'svc:web', deps: ['net', 'cluster', 'td:web'] });
  });

  it('then teardown deletes everything it found, dependents first', async () => {
    const world = new Set(['net', 'cluster', 'td:web', 'td:worker', 'svc:web', 'svc:worker']);
    const calls: string[] = [];
    const { engine, manifest } = await engineFor(cfg(), modules(world, calls));
    await engine.rediscover();
    await engine.applyTeardown(engine.planTeardown());
    expect(world.size).toBe(0);
    expect(manifest.steps).toEqual({});
    const destroyed = calls.filter((c) => c.startsWith('destroy')).map((c) => c.split(' ')[1]);
    expect(destroyed.indexOf('svc:web')).toBeLessThan(destroyed.indexOf('net'));
    expect(destroyed.indexOf('svc:web')).toBeLessThan(destroyed.indexOf('td:web'));
  });

  it('finds a partial environment: steps whose dependencies are missing are skipped, not failed', async () => {
    // The network and one task definition exist; the cluster was never created, so no service can exist.
    const world = new Set(['net', 'td:web']);
    const calls: string[] = [];
    const { engine, manifest } = await engineFor(cfg(), modules(world, calls));
    const found = await engine.rediscover();
    expect(found.sort()).toEqual(['net', 'td:web']);
    expect(Object.keys(manifest.steps).sort()).toEqual(['net', 'td:web']);
  });

  it('finds nothing in an empty account and writes no manifest', async () => {
    const calls: string[] = [];
    const { engine, store, reporter } = await engineFor(cfg(), modules(new Set(), calls));
    expect(await engine.rediscover()).toEqual([]);
    expect(reporter.ofType('info').at(-1)).toMatchObject({
      code: 'manifest.rediscovered',
      message: 'Found nothing tagged for shop/default.',
    });
    await expect(readFile(store.file, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
