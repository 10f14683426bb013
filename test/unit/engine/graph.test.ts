import { describe, expect, it } from 'vitest';
import { runGraph, topoSort } from '../../../src/engine/graph.js';

const n = (id: string, ...dependsOn: string[]) => ({ id, dependsOn });

describe('graph', () => {
  it('sorts dependencies first and detects cycles', () => {
    expect(topoSort([n('c', 'b'), n('b', 'a'), n('a')]).map((x) => x.id)).toEqual(['a', 'b', 'c']);
    expect(() => topoSort([n('a', 'b'), n('b', 'a')])).toThrow(/cycle/);
  });

  it('never runs a node before its dependencies and respects the concurrency limit', async () => {
    const done: string[] = [];
    let running = 0;
    let peak = 0;
    const nodes = [n('a'), n('b'), n('c'), n('d', 'a', 'b'), n('e', 'd')];
    await runGraph(
      nodes,
      async (node) => {
        running++;
        peak = Math.max(peak, running);
        for (const d of node.dependsOn) expect(done).toContain(d);
        await new Promise((r) => setTimeout(r, 5));
        done.push(node.id);
        running--;
      },
      { concurrency: 2 },
    );
    expect(done).toHaveLength(5);
    expect(peak).toBe(2);
  });

  it('reverse mode runs dependents first', async () => {
    const order: string[] = [];
    await runGraph([n('a'), n('b', 'a'), n('c', 'b')], async (x) => void order.push(x.id), { reverse: true });
    expect(order).toEqual(['c', 'b', 'a']);
  });

  it('starts nothing new after a failure and reports what never started', async () => {
    const started: string[] = [];
    const { errors, notStarted } = await runGraph([n('a'), n('b', 'a'), n('c', 'b')], async (x) => {
      started.push(x.id);
      if (x.id === 'a') throw new Error('no');
    });
    expect(errors).toHaveLength(1);
    expect(started).toEqual(['a']);
    expect(notStarted.map((x) => x.id)).toEqual(['b', 'c']);
  });
});
