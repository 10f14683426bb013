import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../src/aws/clients.js';
import { LocalManifestStore, emptyManifest } from '../../../src/engine/manifest.js';
import { Engine } from '../../../src/engine/runner.js';
import { DEFAULT_RUN_OPTIONS, after, type StepModule } from '../../../src/engine/types.js';
import { config, fakeDocker } from '../../helpers/context.js';
import { RecordingReporter } from '../../helpers/reporter.js';

type S = { id: string };

/** Two steps: `repo` (AWS) and `image` (local build in prepare, then a push in apply), with a log of what ran. */
function modules(log: string[], opts: { buildFails?: boolean; imageExists?: boolean } = {}): StepModule[] {
  const repo: StepModule<S> = {
    kind: 'repo',
    title: () => 'repo',
    instances: () => [{ dependsOn: [] }],
    plan: async () => ({ action: 'create', changes: [] }),
    apply: async (ctx) => (log.push(`apply ${ctx.id}`), { id: ctx.id }),
    destroy: async () => {},
  };
  const image: StepModule<S> = {
    kind: 'image',
    title: () => 'image',
    instances: () => [{ dependsOn: [after(repo)] }],
    plan: async (ctx) => {
      ctx.dep(repo);
      return opts.imageExists ? { action: 'noop', changes: [], current: { id: ctx.id } } : { action: 'create', changes: [] };
    },
    prepare: async (ctx) => {
      log.push(`prepare ${ctx.id}`);
      if (opts.buildFails) throw new Error('docker build failed');
    },
    apply: async (ctx) => (log.push(`apply ${ctx.id}`), { id: ctx.id }),
    destroy: async () => {},
  };
  return [repo, image];
}

async function engineWith(mods: StepModule[]) {
  const dir = await mkdtemp(path.join(tmpdir(), 'ecs-kit-prepare-'));
  return new Engine({
    app: 'shop',
    env: 'default',
    region: 'us-east-1',
    account: '123456789012',
    config: config(),
    modules: mods,
    aws: new AwsClients({ region: 'us-east-1' }),
    docker: fakeDocker(),
    baseDir: dir,
    store: new LocalManifestStore(dir, 'default'),
    manifest: emptyManifest('shop', 'default', '123456789012', 'us-east-1'),
    reporter: new RecordingReporter(),
    options: DEFAULT_RUN_OPTIONS,
    signal: new AbortController().signal,
  });
}

describe('the build phase (StepModule.prepare)', () => {
  it('planning never prepares; deploy prepares before the first apply, once', async () => {
    const log: string[] = [];
    const engine = await engineWith(modules(log));
    const plan = await engine.planDeploy();
    expect(log).toEqual([]);
    await engine.prepareDeploy(plan);
    await engine.applyDeploy(plan);
    expect(log).toEqual(['prepare image', 'apply repo', 'apply image']);
  });

  it('a failing build stops the deploy before anything is applied', async () => {
    const log: string[] = [];
    const engine = await engineWith(modules(log, { buildFails: true }));
    const plan = await engine.planDeploy();
    await expect(engine.prepareDeploy(plan)).rejects.toThrow(/preparing image/i);
    expect(log).toEqual(['prepare image']);
  });

  it('a step with nothing to do is not prepared', async () => {
    const log: string[] = [];
    const mods = modules(log, { imageExists: true });
    // The repo exists too, so the image plans as noop.
    mods[0]!.plan = async (ctx) => ({ action: 'noop', changes: [], current: { id: ctx.id } });
    const engine = await engineWith(mods);
    const plan = await engine.planDeploy();
    await engine.prepareDeploy(plan);
    await engine.applyDeploy(plan);
    expect(log).toEqual([]);
  });

  it('a step planned only during apply (its dependency was new) still prepares before it applies', async () => {
    const log: string[] = [];
    const engine = await engineWith(modules(log));
    await engine.applyDeploy(await engine.planDeploy());
    expect(log).toEqual(['apply repo', 'prepare image', 'apply image']);
  });
});
