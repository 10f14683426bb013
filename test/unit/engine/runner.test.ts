import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../src/aws/clients.js';
import type { Config } from '../../../src/config/schema.js';
import { RecordingReporter } from '../../helpers/reporter.js';
import { LocalManifestStore, emptyManifest, type Manifest } from '../../../src/engine/manifest.js';
import { Engine } from '../../../src/engine/runner.js';
import { DEFAULT_RUN_OPTIONS, type StepModule, type StepRef, type StepPlan } from '../../../src/engine/types.js';
import { config, fakeDocker } from '../../helpers/context.js';

/** A typed reference from a fake step's id ("td:web" → kind td). */
const ref = <T extends object>(id: string): StepRef<T> => ({ kind: id.split(':')[0]! });

/** A fake world: each step owns one "resource" in `world`, and logs what it did. */
function fakeModules(
  world: Map<string, { value: string }>,
  log: string[],
  opts: {
    failOn?: string;
    slow?: Record<string, number>;
    concurrency?: { active: number; peak: number };
    newOutputsOnUpdate?: boolean;
  } = {},
) {
  const make = (
    kind: string,
    dependsOn: (scope?: string) => string[],
    perService = false,
  ): StepModule<{ id: string; value: string; deps: string[] }> => ({
    kind,
    title: (scope) => (scope ? `${kind} ${scope}` : kind),
    instances: (cfg: Config) =>
      perService ? Object.keys(cfg.services).map((s) => ({ scope: s, dependsOn: dependsOn(s) })) : [{ dependsOn: dependsOn() }],
    async plan(ctx): Promise<StepPlan<{ id: string; value: string; deps: string[] }>> {
      const deps = dependsOn(ctx.scope).map((d) => ctx.dep(ref<{ id: string }>(d), d.split(':')[1]).id);
      log.push(`plan ${ctx.id}`);
      const want = kind === 'svc' ? 'svc' : `${ctx.service?.cpu ?? ctx.config?.cluster.containerInsights}`;
      const have = world.get(ctx.id);
      if (!have) return { action: 'create', changes: [{ field: ctx.id, after: want }] };
      const current = { id: ctx.id, value: have.value, deps };
      if (have.value === want) return { action: 'noop', changes: [], current };
      return {
        action: 'update',
        changes: [{ field: 'value', before: have.value, after: want }],
        current,
        outputsChange: opts.newOutputsOnUpdate,
      };
    },
    async apply(ctx) {
      const c = opts.concurrency;
      if (c) c.peak = Math.max(c.peak, ++c.active);
      if (opts.slow?.[ctx.id]) await new Promise((r) => setTimeout(r, opts.slow![ctx.id]));
      if (c) c.active--;
      if (opts.failOn === ctx.id) throw Object.assign(new Error('boom'), { name: 'AccessDeniedException' });
      const value = kind === 'svc' ? 'svc' : `${ctx.service?.cpu ?? ctx.config?.cluster.containerInsights}`;
      world.set(ctx.id, { value });
      log.push(`apply ${ctx.id}`);
      return { id: ctx.id, value, deps: dependsOn(ctx.scope) };
    },
    async destroy(ctx) {
      world.delete(ctx.id);
      log.push(`destroy ${ctx.id}`);
    },
    outputs: (s) => (kind === 'svc' ? { [`url.${s.id}`]: `http://${s.id}` } : {}),
  });
  return [
    make('net', () => []),
    make('cluster', () => []),
    make('td', () => [], true),
    make('svc', (s) => ['net', 'cluster', `td:${s}`], true),
  ];
}

async function setup(cfg: Config, modules: StepModule[], manifest?: Manifest) {
  const dir = await mkdtemp(path.join(tmpdir(), 'ecs-kit-runner-'));
  const store = new LocalManifestStore(dir, 'default');
  const reporter = new RecordingReporter();
  const m = manifest ?? emptyManifest('shop', 'default', '123456789012', 'us-east-1');
  const engine = new Engine({
    app: 'shop',
    env: 'default',
    region: 'us-east-1',
    account: '123456789012',
    config: cfg,
    modules,
    aws: new AwsClients({ region: 'us-east-1' }),
    docker: fakeDocker(),
    baseDir: process.cwd(),
    store,
    manifest: m,
    reporter,
    options: DEFAULT_RUN_OPTIONS,
    signal: new AbortController().signal,
  });
  return { engine, store, reporter, manifest: m };
}

const twoServices = () => config('app: shop\nservices:\n  web: { image: nginx, port: 80 }\n  worker: { image: busybox }\n');

describe('Engine', () => {
  it('plans a fresh environment: independent steps read, dependents wait as "create (after …)"', async () => {
    const world = new Map();
    const log: string[] = [];
    const { engine, reporter } = await setup(twoServices(), fakeModules(world, log));
    const plan = await engine.planDeploy();
    expect(plan.summary).toMatchObject({ create: 6, update: 0, delete: 0 });
    const svc = plan.steps.find((s) => s.instance.id === 'svc:web')!;
    expect(svc.pendingOn).toBeDefined();
    expect(log.filter((l) => l.startsWith('apply'))).toEqual([]);
    expect(reporter.ofType('plan')[0]!.steps.map((s) => s.id)).toEqual(['net', 'cluster', 'td:web', 'td:worker', 'svc:web', 'svc:worker']);
  });

  it('applies in dependency order, records every step in the manifest, and reports outputs', async () => {
    const world = new Map();
    const log: string[] = [];
    const { engine, store } = await setup(twoServices(), fakeModules(world, log));
    const outputs = await engine.applyDeploy(await engine.planDeploy());
    const applied = log.filter((l) => l.startsWith('apply')).map((l) => l.slice(6));
    for (const s of ['web', 'worker']) {
      expect(applied.indexOf(`svc:${s}`)).toBeGreaterThan(applied.indexOf(`td:${s}`));
      expect(applied.indexOf(`svc:${s}`)).toBeGreaterThan(applied.indexOf('net'));
    }
    expect(outputs).toEqual({ 'url.svc:web': 'http://svc:web', 'url.svc:worker': 'http://svc:worker' });
    const saved = JSON.parse(await readFile(store.file, 'utf8')) as Manifest;
    expect(Object.keys(saved.steps).sort()).toEqual(['cluster', 'net', 'svc:web', 'svc:worker', 'td:web', 'td:worker']);
    expect(saved.steps['svc:web']!.dependsOn).toEqual(['net', 'cluster', 'td:web']);
  });

  it('a second run with no change plans noop everywhere and calls no apply', async () => {
    const world = new Map();
    const log: string[] = [];
    const first = await setup(twoServices(), fakeModules(world, log));
    await first.engine.applyDeploy(await first.engine.planDeploy());
    log.length = 0;
    const second = await setup(twoServices(), fakeModules(world, log), first.manifest);
    const plan = await second.engine.planDeploy();
    expect(plan.hasChanges).toBe(false);
    await second.engine.applyDeploy(plan);
    expect(log.every((l) => l.startsWith('plan'))).toBe(true);
    // Each step is read exactly once: apply reuses the plan when nothing upstream changed.
    expect(log).toHaveLength(6);
  });

  it('re-reads a step whose dependency changed during apply', async () => {
    const world = new Map();
    const log: string[] = [];
    const first = await setup(twoServices(), fakeModules(world, log));
    await first.engine.applyDeploy(await first.engine.planDeploy());
    log.length = 0;
    const changed = config(
      'app: shop\nservices:\n  web: { image: nginx, port: 80, cpu: 512, memory: 1024 }\n  worker: { image: busybox }\n',
    );
    const second = await setup(changed, fakeModules(world, log), first.manifest);
    const plan = await second.engine.planDeploy();
    expect(plan.steps.filter((s) => s.action === 'update').map((s) => s.instance.id)).toEqual(['td:web']);
    await second.engine.applyDeploy(plan);
    expect(log.filter((l) => l === 'plan svc:web')).toHaveLength(2);
    expect(log.filter((l) => l === 'plan svc:worker')).toHaveLength(1);
  });

  it('shows dependents of a step whose outputs change (a new task definition ARN) as updates in the plan', async () => {
    const world = new Map();
    const log: string[] = [];
    const first = await setup(twoServices(), fakeModules(world, log));
    await first.engine.applyDeploy(await first.engine.planDeploy());
    const changed = config(
      'app: shop\nservices:\n  web: { image: nginx, port: 80, cpu: 512, memory: 1024 }\n  worker: { image: busybox }\n',
    );
    const second = await setup(changed, fakeModules(world, log, { newOutputsOnUpdate: true }), first.manifest);
    const plan = await second.engine.planDeploy();
    const byId = Object.fromEntries(plan.steps.map((s) => [s.instance.id, s]));
    expect(byId['td:web']!.action).toBe('update');
    expect(byId['svc:web']).toMatchObject({ action: 'update', pendingOn: 'td:web' });
    expect(byId['svc:worker']!.action).toBe('noop');
  });

  it('still shows the drift of a deployed step whose dependency will be re-created', async () => {
    const world = new Map<string, { value: string }>();
    const log: string[] = [];
    const first = await setup(twoServices(), fakeModules(world, log));
    await first.engine.applyDeploy(await first.engine.planDeploy());
    world.delete('td:web'); // deleted outside ecs-kit: re-created by the next deploy
    world.set('svc:web', { value: 'drifted' }); // changed outside ecs-kit
    const second = await setup(twoServices(), fakeModules(world, log), first.manifest);
    const plan = await second.engine.planDeploy();
    const svc = plan.steps.find((s) => s.instance.id === 'svc:web')!;
    expect(svc).toMatchObject({ action: 'update', pendingOn: 'td:web' });
    expect(svc.plan?.changes).toEqual([{ field: 'value', before: 'drifted', after: 'svc' }]);
    // A deployed step with nothing of its own to change shows as waiting, with no invented changes.
    const worker = plan.steps.find((s) => s.instance.id === 'svc:worker')!;
    expect(worker.action).toBe('noop');
    log.length = 0;
    await second.engine.applyDeploy(plan);
    expect(world.get('svc:web')?.value).toBe('svc');
  });

  it('a step downstream of an update that keeps ids stays unchanged (autoscaling after a service update)', async () => {
    // td changes (new ARN) → svc follows it → scale depends on svc, whose ids stay the same.
    const chain = (kind: string, dependsOn: string[], changes: boolean, outputsChange = false): StepModule<{ id: string }> => ({
      kind,
      title: () => kind,
      instances: () => [{ dependsOn }],
      async plan(ctx) {
        for (const d of dependsOn) ctx.dep(ref(d));
        const current = { id: kind };
        return changes
          ? { action: 'update', changes: [{ field: 'x', before: 1, after: 2 }], current, outputsChange }
          : { action: 'noop', changes: [], current };
      },
      apply: async () => ({ id: kind }),
      destroy: async () => {},
    });
    const modules = [chain('td', [], true, true), chain('svc', ['td'], false), chain('scale', ['svc'], false)];
    const m = emptyManifest('shop', 'default', '123456789012', 'us-east-1');
    for (const [id, deps] of [
      ['td', []],
      ['svc', ['td']],
      ['scale', ['svc']],
    ] as const)
      m.steps[id] = { kind: id, dependsOn: [...deps], state: { id }, updatedAt: '' };
    const { engine } = await setup(twoServices(), modules, m);
    const plan = await engine.planDeploy();
    const byId = Object.fromEntries(plan.steps.map((st) => [st.instance.id, st]));
    expect(byId.td!.action).toBe('update');
    expect(byId.svc).toMatchObject({ action: 'update', pendingOn: 'td' });
    expect(byId.scale!.action).toBe('noop');
    expect(plan.summary).toMatchObject({ update: 2, noop: 1 });
  });

  it("shows a step's warning once per run, even when the step plans again during apply", async () => {
    const log: string[] = [];
    const modules = fakeModules(new Map(), log).map((m) =>
      m.kind === 'svc'
        ? { ...m, plan: async (ctx: Parameters<typeof m.plan>[0]) => (ctx.warn('load-balancer.http-only', 'HTTP only'), m.plan(ctx)) }
        : m,
    );
    const { engine, reporter } = await setup(twoServices(), modules);
    // Planned during preview (dependencies pending) and again during apply.
    await engine.applyDeploy(await engine.planDeploy());
    expect(log.filter((l) => l === 'plan svc:web').length).toBeGreaterThanOrEqual(1);
    const warnings = reporter.ofType('warn').filter((w) => w.step === 'svc:web');
    expect(warnings.map((w) => [w.code, w.message])).toEqual([['load-balancer.http-only', 'HTTP only']]);
  });

  it('deletes steps of a service removed from the config (prune), dependents first', async () => {
    const world = new Map();
    const log: string[] = [];
    const first = await setup(twoServices(), fakeModules(world, log));
    await first.engine.applyDeploy(await first.engine.planDeploy());
    log.length = 0;
    const second = await setup(
      config('app: shop\nservices:\n  web: { image: nginx, port: 80 }\n'),
      fakeModules(world, log),
      first.manifest,
    );
    const plan = await second.engine.planDeploy();
    expect(plan.prune.map((p) => p.id).sort()).toEqual(['svc:worker', 'td:worker']);
    await second.engine.applyDeploy(plan);
    const destroyed = log.filter((l) => l.startsWith('destroy'));
    expect(destroyed).toEqual(['destroy svc:worker', 'destroy td:worker']);
    expect(Object.keys(second.manifest.steps)).not.toContain('td:worker');
  });

  it('stops starting steps after a failure, keeps what finished in the manifest, and explains the error', async () => {
    const world = new Map();
    const log: string[] = [];
    const { engine, reporter, manifest } = await setup(twoServices(), fakeModules(world, log, { failOn: 'td:web' }));
    await expect(engine.applyDeploy(await engine.planDeploy())).rejects.toMatchObject({ code: 'aws.access-denied' });
    expect(log).not.toContain('apply svc:web');
    expect(reporter.ofType('step.failed')[0]).toMatchObject({ step: 'td:web' });
    expect(Object.keys(manifest.steps)).toContain('net');
  });

  it('runs independent steps concurrently', async () => {
    const world = new Map();
    const log: string[] = [];
    const concurrency = { active: 0, peak: 0 };
    const { engine } = await setup(
      twoServices(),
      fakeModules(world, log, { concurrency, slow: { net: 30, cluster: 30, 'td:web': 30, 'td:worker': 30 } }),
    );
    await engine.applyDeploy(await engine.planDeploy());
    // net, cluster and both task definitions have no dependencies: the default limit (4) runs them together.
    expect(concurrency.peak).toBe(4);
  });

  it('tears down in reverse dependency order and leaves an empty manifest', async () => {
    const world = new Map();
    const log: string[] = [];
    const first = await setup(twoServices(), fakeModules(world, log));
    await first.engine.applyDeploy(await first.engine.planDeploy());
    log.length = 0;
    const plan = first.engine.planTeardown();
    expect(plan.summary.delete).toBe(6);
    await first.engine.applyTeardown(plan);
    const order = log.map((l) => l.slice(8));
    expect(order.indexOf('svc:web')).toBeLessThan(order.indexOf('td:web'));
    expect(order.indexOf('svc:web')).toBeLessThan(order.indexOf('net'));
    expect(order.indexOf('svc:worker')).toBeLessThan(order.indexOf('cluster'));
    expect(first.manifest.steps).toEqual({});
    expect(world.size).toBe(0);
    const saved = JSON.parse(await readFile(first.store.file, 'utf8')) as Manifest;
    expect(saved.steps).toEqual({});
  });

  it('refuses a manifest step kind it does not know', async () => {
    const m = emptyManifest('shop', 'default', '123456789012', 'us-east-1');
    m.steps.mystery = { kind: 'mystery', dependsOn: [], state: {}, updatedAt: '' };
    const { engine } = await setup(twoServices(), fakeModules(new Map(), []), m);
    expect(() => engine.planTeardown()).toThrow(/does not know/);
  });
});
