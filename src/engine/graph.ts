import { EcsKitError } from '../errors.js';
import type { Config } from '../config/schema.js';
import { instanceId, type AnyStepModule } from './types.js';

export interface StepInstance {
  id: string;
  kind: string;
  scope?: string;
  title: string;
  /** What it waits for on deploy (deploy-only orderings included). */
  dependsOn: string[];
  /** What it waits for on teardown (reversed), as the manifest records it; dependsOn when absent. */
  teardownDependsOn?: string[];
  module: AnyStepModule;
}

/** Expand the step modules into the instances this config wants, in dependency order. */
export function buildInstances(config: Config, modules: readonly AnyStepModule[]): StepInstance[] {
  const all: StepInstance[] = [];
  for (const module of modules) {
    for (const spec of module.instances(config)) {
      all.push({
        id: instanceId(module.kind, spec.scope),
        kind: module.kind,
        scope: spec.scope,
        title: module.title(spec.scope),
        dependsOn: [...spec.dependsOn, ...(spec.deployOnly ?? [])],
        teardownDependsOn: spec.dependsOn,
        module,
      });
    }
  }
  const ids = new Set(all.map((i) => i.id));
  for (const inst of all) {
    for (const dep of inst.dependsOn) {
      if (!ids.has(dep)) throw new EcsKitError('engine.graph', `Step ${inst.id} depends on ${dep}, which this config does not create.`);
    }
  }
  return topoSort(all);
}

export function topoSort<T extends { id: string; dependsOn: string[] }>(nodes: readonly T[]): T[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (n: T, trail: string[]) => {
    const s = state.get(n.id);
    if (s === 'done') return;
    if (s === 'visiting') throw new EcsKitError('engine.graph', `Dependency cycle: ${[...trail, n.id].join(' → ')}`);
    state.set(n.id, 'visiting');
    for (const d of n.dependsOn) {
      const dep = byId.get(d);
      if (dep) visit(dep, [...trail, n.id]);
    }
    state.set(n.id, 'done');
    out.push(n);
  };
  for (const n of nodes) visit(n, []);
  return out;
}

/**
 * Run `fn` for every node once all its dependencies (within `nodes`) have finished,
 * up to `concurrency` at a time. After the first failure nothing new starts; running
 * work is allowed to finish, then the errors are returned (empty when all succeeded).
 * `reverse` flips the edges, for teardown.
 */
export async function runGraph<T extends { id: string; dependsOn: string[] }>(
  nodes: readonly T[],
  fn: (node: T) => Promise<void>,
  opts: { concurrency?: number; reverse?: boolean; signal?: AbortSignal } = {},
): Promise<{ errors: { node: T; error: unknown }[]; notStarted: T[] }> {
  const ids = new Set(nodes.map((n) => n.id));
  const waitsFor = new Map<string, Set<string>>();
  for (const n of nodes) waitsFor.set(n.id, new Set());
  for (const n of nodes) {
    for (const d of n.dependsOn) {
      if (!ids.has(d)) continue;
      if (opts.reverse) waitsFor.get(d)!.add(n.id);
      else waitsFor.get(n.id)!.add(d);
    }
  }
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const pending = [...nodes];
  const running = new Set<Promise<void>>();
  const errors: { node: T; error: unknown }[] = [];
  const done = new Set<string>();
  let stop = false;

  while (true) {
    if (opts.signal?.aborted) stop = true;
    if (!stop) {
      for (let i = 0; i < pending.length && running.size < concurrency;) {
        const node = pending[i]!;
        const blocked = [...waitsFor.get(node.id)!].some((d) => !done.has(d));
        if (blocked) {
          i++;
          continue;
        }
        pending.splice(i, 1);
        const p: Promise<void> = fn(node)
          .then(() => {
            done.add(node.id);
          })
          .catch((error: unknown) => {
            errors.push({ node, error });
            stop = true;
          })
          .finally(() => running.delete(p));
        running.add(p);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  return { errors, notStarted: pending };
}
