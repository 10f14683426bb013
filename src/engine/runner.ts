import type { AwsClients } from '../aws/clients.js';
import { explainAwsError } from '../aws/errors.js';
import { TAG_APP, TAG_ENV } from '../aws/tags.js';
import type { Config } from '../config/schema.js';
import { namesFor } from '../config/names.js';
import type { DockerCli } from '../docker/cli.js';
import { allMissing } from '../security/secrets.js';
import { AbortedError, EcsKitError, errorInfo } from '../errors.js';
import type { PlannedStepInfo, PlanSummary, Reporter } from './events.js';
import { buildInstances, runGraph, topoSort, type StepInstance } from './graph.js';
import type { Manifest, ManifestStore } from './manifest.js';
import {
  PendingDependency,
  instanceId,
  type Action,
  type StepRef,
  type RunOptions,
  type StepContext,
  type AnyStepModule,
  type StepPlan,
} from './types.js';

export interface EngineOptions {
  app: string;
  env: string;
  region: string;
  account: string;
  /** Required for deploy; teardown works from the manifest alone. */
  config?: Config;
  modules: readonly AnyStepModule[];
  aws: AwsClients;
  docker: DockerCli;
  /** Directory of the config file: relative paths in it (build contexts) start here. */
  baseDir: string;
  /** The config file and the manifest folder. */
  ownFiles?: string[];
  store: ManifestStore;
  manifest: Manifest;
  reporter: Reporter;
  options: RunOptions;
  signal: AbortSignal;
  concurrency?: number;
}

export interface PlannedStep {
  instance: StepInstance;
  action: Action;
  plan?: StepPlan;
  pendingOn?: string;
}

export interface DeployPlan {
  steps: PlannedStep[];
  /** Steps in the manifest that the config no longer wants: deleted after the rest. */
  prune: StepInstance[];
  summary: PlanSummary;
  hasChanges: boolean;
}

export interface TeardownPlan {
  steps: StepInstance[];
  summary: PlanSummary;
}

/**
 * Runs step modules in dependency order and keeps the manifest in step with what exists.
 * It never prints: everything goes to the reporter as events.
 */
export class Engine {
  private writeChain: Promise<void> = Promise.resolve();
  /** A step may plan more than once per run (preview, then again after a dependency changed). */
  private readonly warned = new Set<string>();

  constructor(private readonly o: EngineOptions) {}

  get manifest(): Manifest {
    return this.o.manifest;
  }

  /** Read-only: asks every step what it would do. Makes no mutating AWS call. */
  async planDeploy(): Promise<DeployPlan> {
    const config = this.requireConfig();
    const instances = buildInstances(config, this.o.modules);
    const results = new Map<string, PlannedStep>();

    const { errors } = await runGraph(
      instances,
      async (inst) => {
        const ctx = this.context(inst, (dep) => {
          const r = results.get(dep);
          if (r?.plan?.current && (r.action === 'noop' || (r.action === 'update' && !r.plan.outputsChange))) return r.plan.current;
          throw new PendingDependency(dep);
        });
        try {
          const plan = await inst.module.plan(ctx);
          results.set(inst.id, { instance: inst, action: plan.action, plan });
        } catch (err) {
          if (!(err instanceof PendingDependency)) throw this.explain(err, `reading ${inst.title}`);
          const pendingOn = err.dependency;
          // Already deployed: read it against its dependencies' recorded state, so the plan shows
          // its own drift and changes too. Apply reads it again once the dependency is done.
          const approx = ctx.previous
            ? await inst.module
                .plan(this.context(inst, (dep) => results.get(dep)?.plan?.current ?? this.recordedState(dep)))
                .catch(() => undefined)
            : undefined;
          // Does waiting on the dependencies change what this step is given? Only if one is new or
          // replaced, or says its outputs change (a new task definition ARN); an update keeps ids.
          const inputsChange = inst.dependsOn.some((d) => {
            const r = results.get(d);
            return !r || r.action === 'create' || r.action === 'replace' || Boolean(r.plan?.outputsChange);
          });
          if (approx && approx.action === 'noop' && !inputsChange) {
            results.set(inst.id, { instance: inst, action: 'noop', plan: approx });
            return;
          }
          const action = approx && approx.action !== 'noop' ? approx.action : ctx.previous ? 'update' : 'create';
          // Only a read that found changes is kept: a "no change" read must not be applied as an update.
          results.set(inst.id, { instance: inst, action, pendingOn, ...(approx && approx.action !== 'noop' ? { plan: approx } : {}) });
        }
      },
      { concurrency: this.o.concurrency, signal: this.o.signal },
    );
    this.throwIfFailed(errors);
    this.throwIfAborted();

    const wanted = new Set(instances.map((i) => i.id));
    const prune = this.manifestInstances().filter((i) => !wanted.has(i.id));
    const steps = instances.map((i) => results.get(i.id)!);
    const summary = summarize([...steps.map((s) => s.action), ...prune.map(() => 'delete' as const)]);
    const info: PlannedStepInfo[] = [
      ...steps.map((s) => ({
        id: s.instance.id,
        title: s.instance.title,
        action: s.action,
        changes: s.plan?.changes ?? [],
        ...(s.pendingOn ? { pendingOn: s.pendingOn } : {}),
      })),
      ...prune.map((p) => ({ id: p.id, title: p.title, action: 'delete' as const, changes: [] })),
    ];
    this.o.reporter.emit({ type: 'plan', command: 'deploy', steps: info, summary });
    return { steps, prune, summary, hasChanges: summary.create + summary.update + summary.replace + summary.delete > 0 };
  }

  /**
   * The build phase: every step with a `prepare` and something to do (images to build) does its local
   * work now, so a failing build stops the deploy before anything changes in AWS.
   */
  async prepareDeploy(plan: DeployPlan): Promise<void> {
    for (const s of plan.steps) {
      if (s.action !== 'noop') await this.prepare(s.instance);
    }
    this.throwIfAborted();
  }

  private readonly prepared = new Set<string>();

  private async prepare(inst: StepInstance): Promise<void> {
    if (!inst.module.prepare || this.prepared.has(inst.id)) return;
    const ctx = this.context(inst, (dep) => this.recordedState(dep));
    try {
      await inst.module.prepare(ctx);
    } catch (err) {
      throw this.stepFailed(inst, err, `preparing ${inst.title}`);
    }
    this.prepared.add(inst.id);
  }

  /** Apply a plan: steps whose dependencies did not change reuse what planning read. */
  async applyDeploy(plan: DeployPlan): Promise<Record<string, string>> {
    const states = new Map<string, object>();
    const actions = new Map<string, Action>();
    const instances = plan.steps.map((s) => s.instance);
    const planned = new Map(plan.steps.map((s) => [s.instance.id, s]));

    const { errors } = await runGraph(
      instances,
      async (inst) => {
        const ctx = this.context(inst, (dep) => {
          const s = states.get(dep);
          if (!s) throw new EcsKitError('engine.dependency', `${inst.id} needs ${dep}, which has no state.`);
          return s;
        });
        const pre = planned.get(inst.id);
        const depsUnchanged = inst.dependsOn.every((d) => actions.get(d) === 'noop');
        let stepPlan: StepPlan;
        try {
          stepPlan = pre?.plan && depsUnchanged ? pre.plan : ((await inst.module.plan(ctx)) as StepPlan);
        } catch (err) {
          throw this.stepFailed(inst, err, `reading ${inst.title}`);
        }
        if (stepPlan.action === 'noop') {
          if (!stepPlan.current) throw new EcsKitError('engine.step', `${inst.id} planned no change but returned no state.`);
          states.set(inst.id, stepPlan.current);
          actions.set(inst.id, 'noop');
          await this.record(inst, stepPlan.current);
          return;
        }
        // The build phase normally ran already; a step planned only now (its dependency was new) prepares here.
        await this.prepare(inst);
        const started = Date.now();
        this.o.reporter.emit({ type: 'step.start', step: inst.id, title: inst.title, action: stepPlan.action });
        let state: object;
        try {
          state = (await inst.module.apply(ctx, stepPlan)) as object;
        } catch (err) {
          throw this.stepFailed(inst, err, `${verb(stepPlan.action)} ${inst.title}`);
        }
        states.set(inst.id, state);
        actions.set(inst.id, stepPlan.action);
        await this.record(inst, state);
        this.o.reporter.emit({
          type: 'step.done',
          step: inst.id,
          title: inst.title,
          action: stepPlan.action,
          durationMs: Date.now() - started,
        });
      },
      { concurrency: this.o.concurrency, signal: this.o.signal },
    );
    this.throwIfFailed(errors);
    this.throwIfAborted();

    if (plan.prune.length > 0) await this.destroyAll(plan.prune);

    const outputs: Record<string, string> = {};
    for (const inst of instances) {
      const state = states.get(inst.id);
      if (state && inst.module.outputs) Object.assign(outputs, inst.module.outputs(state));
    }
    for (const [name, value] of Object.entries(outputs)) this.o.reporter.emit({ type: 'output', name, value });
    return outputs;
  }

  /**
   * The manifest is gone (deleted, never committed, lost with a laptop) but the config is
   * here. Ask every step's read-only plan what exists under our names and tags, and record
   * what it found, so deploy adopts it instead of making a second copy and teardown can
   * delete it. destroy() still checks each resource's tags before deleting anything.
   * Returns the step ids found.
   */
  async rediscover(): Promise<string[]> {
    const config = this.requireConfig();
    const { app, env } = this.o;
    this.o.reporter.emit({
      type: 'info',
      code: 'manifest.rediscovering',
      message: `No manifest found; looking for resources tagged ${TAG_APP}=${app} ${TAG_ENV}=${env}.`,
    });
    const instances = buildInstances(config, this.o.modules);
    const found = new Map<string, object>();
    const { errors } = await runGraph(
      instances,
      async (inst) => {
        const ctx = this.context(inst, (dep) => {
          const s = found.get(dep);
          if (!s) throw new PendingDependency(dep);
          return s;
        });
        try {
          const plan = (await inst.module.plan(ctx)) as StepPlan;
          if (plan.current) found.set(inst.id, plan.current);
        } catch (err) {
          // A dependency that does not exist means this step cannot exist either.
          if (!(err instanceof PendingDependency)) throw this.explain(err, `looking for ${inst.title}`);
        }
      },
      { concurrency: this.o.concurrency, signal: this.o.signal },
    );
    this.throwIfFailed(errors);
    this.throwIfAborted();
    for (const inst of instances) {
      const state = found.get(inst.id);
      if (state) await this.record(inst, state);
    }
    const ids = instances.filter((i) => found.has(i.id)).map((i) => i.id);
    this.o.reporter.emit({
      type: 'info',
      code: 'manifest.rediscovered',
      message: ids.length
        ? `Found ${ids.length} existing step(s) of ${app}/${env} and recorded them in a new manifest: ${ids.join(', ')}.`
        : `Found nothing tagged for ${app}/${env}.`,
    });
    return ids;
  }

  planTeardown(): TeardownPlan {
    const steps = this.manifestInstances().reverse();
    const summary = summarize(steps.map(() => 'delete' as const));
    this.o.reporter.emit({
      type: 'plan',
      command: 'teardown',
      steps: steps.map((s) => ({ id: s.id, title: s.title, action: 'delete' as const, changes: [] })),
      summary,
    });
    return { steps, summary };
  }

  async applyTeardown(plan: TeardownPlan): Promise<void> {
    await this.destroyAll(plan.steps);
  }

  /** Delete manifest steps in reverse dependency order; each one leaves the manifest as it goes. */
  private async destroyAll(steps: readonly StepInstance[]): Promise<void> {
    const { errors } = await runGraph(
      steps,
      async (inst) => {
        const entry = this.o.manifest.steps[inst.id];
        if (!entry) return;
        const ctx = this.context(inst, (dep) => {
          const s = this.o.manifest.steps[dep]?.state;
          if (!s) throw new PendingDependency(dep);
          return s;
        });
        const started = Date.now();
        this.o.reporter.emit({ type: 'step.start', step: inst.id, title: inst.title, action: 'delete' });
        try {
          await inst.module.destroy(ctx, entry.state);
        } catch (err) {
          throw this.stepFailed(inst, err, `deleting ${inst.title}`);
        }
        await this.forget(inst.id);
        this.o.reporter.emit({ type: 'step.done', step: inst.id, title: inst.title, action: 'delete', durationMs: Date.now() - started });
      },
      { concurrency: this.o.concurrency, reverse: true, signal: this.o.signal },
    );
    this.throwIfFailed(errors);
    this.throwIfAborted();
  }

  private recordedState(id: string): object {
    const state = this.o.manifest.steps[id]?.state;
    if (!state) throw new PendingDependency(id);
    return state;
  }

  /** The manifest's steps as instances, in dependency order. */
  private manifestInstances(): StepInstance[] {
    const byKind = new Map(this.o.modules.map((m) => [m.kind, m]));
    const out: StepInstance[] = [];
    for (const [id, entry] of Object.entries(this.o.manifest.steps)) {
      const module = byKind.get(entry.kind);
      if (!module) {
        throw new EcsKitError(
          'manifest.unknown-step',
          `The manifest records a step of kind "${entry.kind}" (${id}) that this version of ecs-kit does not know.`,
          {
            fix: 'Upgrade ecs-kit to the version that wrote the manifest.',
          },
        );
      }
      out.push({ id, kind: entry.kind, scope: entry.scope, title: module.title(entry.scope), dependsOn: entry.dependsOn, module });
    }
    return topoSort(out);
  }

  private context(inst: StepInstance, dep: (id: string) => object): StepContext {
    const { app, env, region, account, config } = this.o;
    const previous = this.o.manifest.steps[inst.id]?.state;
    return {
      id: inst.id,
      kind: inst.kind,
      scope: inst.scope,
      owner: { app, env },
      region,
      account,
      config,
      service: inst.scope ? config?.services[inst.scope] : undefined,
      names: namesFor(app, env),
      aws: this.o.aws,
      docker: this.o.docker,
      previous,
      baseDir: this.o.baseDir,
      ownFiles: this.o.ownFiles ?? [],
      dep: <T extends object>(step: StepRef<T>, scope?: string) => dep(instanceId(step.kind, scope)) as T,
      record: (state) => this.record(inst, state),
      progress: (message) => this.o.reporter.emit({ type: 'step.progress', step: inst.id, message }),
      warn: (code, message) => {
        const key = `${inst.id}\n${message}`;
        if (this.warned.has(key)) return;
        this.warned.add(key);
        this.o.reporter.emit({ type: 'warn', code, step: inst.id, message });
      },
      options: this.o.options,
      signal: this.o.signal,
    };
  }

  private record(inst: StepInstance, state: object): Promise<void> {
    const m = this.o.manifest;
    const before = m.steps[inst.id];
    const entry = {
      kind: inst.kind,
      ...(inst.scope ? { scope: inst.scope } : {}),
      // Teardown reads the order from here: deploy-only orderings are left out.
      dependsOn: inst.teardownDependsOn ?? inst.dependsOn,
      state: state as Record<string, unknown>,
    };
    if (before && JSON.stringify({ ...before, updatedAt: undefined }) === JSON.stringify({ ...entry, updatedAt: undefined })) {
      return this.writeChain;
    }
    const now = new Date().toISOString();
    m.steps[inst.id] = { ...entry, updatedAt: now };
    m.updatedAt = now;
    return this.flush();
  }

  private forget(id: string): Promise<void> {
    delete this.o.manifest.steps[id];
    this.o.manifest.updatedAt = new Date().toISOString();
    return this.flush();
  }

  /** Writes are serialized so concurrent steps never interleave partial manifests. */
  private flush(): Promise<void> {
    const snapshot = structuredClone(this.o.manifest);
    this.writeChain = this.writeChain.then(() => this.o.store.write(snapshot));
    return this.writeChain;
  }

  private stepFailed(inst: StepInstance, err: unknown, action: string): EcsKitError {
    const explained = this.explain(err, action);
    if (!(err instanceof AbortedError) && !this.o.signal.aborted) {
      this.o.reporter.emit({ type: 'step.failed', step: inst.id, title: inst.title, error: errorInfo(explained) });
    }
    return explained;
  }

  private explain(err: unknown, action: string): EcsKitError {
    if (this.o.signal.aborted) return new AbortedError();
    return explainAwsError(err, action);
  }

  private throwIfFailed(errors: { error: unknown }[]): void {
    if (errors.length === 0) return;
    // Missing secrets of several services are one problem with one fix: said together, not one per run.
    const missing = errors.map((e) => e.error).filter((e): e is EcsKitError => e instanceof EcsKitError && e.code === 'secret.missing');
    if (missing.length > 1) throw allMissing(missing);
    throw errors[0]!.error instanceof EcsKitError ? errors[0]!.error : this.explain(errors[0]!.error, 'running a step');
  }

  private throwIfAborted(): void {
    if (this.o.signal.aborted) throw new AbortedError();
  }

  private requireConfig(): Config {
    if (!this.o.config) throw new EcsKitError('engine.config', 'deploy needs a config');
    return this.o.config;
  }
}

function summarize(actions: Action[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, replace: 0, delete: 0, noop: 0 };
  for (const a of actions) s[a]++;
  return s;
}

function verb(action: Action): string {
  return { create: 'creating', update: 'updating', replace: 'replacing', delete: 'deleting', noop: 'checking' }[action];
}
