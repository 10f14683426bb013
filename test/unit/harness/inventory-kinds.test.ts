import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STEP_MODULES } from '../../../src/steps/index.js';
import { LISTED_KINDS } from '../../e2e/harness/inventory.js';

/**
 * The e2e tests assert that teardown leaves nothing, through an inventory of their own (test/e2e/harness/inventory.ts).
 * A step that creates a kind of resource the inventory cannot list would pass them while leaving it behind, so every
 * kind a registered step declares must have a lister, and the inventory must stay independent of the product.
 */
describe('the e2e inventory lists every kind of resource the steps create', () => {
  const declared = STEP_MODULES.flatMap((m) => (m.resourceKinds ?? []).map((kind) => ({ step: m.kind, kind })));

  it('has a lister for every kind a step declares', () => {
    expect(declared.filter(({ kind }) => !LISTED_KINDS.has(kind)).map(({ step, kind }) => `${step}: ${kind}`)).toEqual([]);
  });

  it('lists nothing no step declares (the kinds are one list, not two)', () => {
    const kinds = new Set<string>(declared.map((d) => d.kind));
    expect([...LISTED_KINDS].filter((kind) => !kinds.has(kind))).toEqual([]);
  });

  it('names kinds <service>:<resource type>', () => {
    expect(declared.filter(({ kind }) => !/^[a-z0-9-]+:[A-Za-z-]+$/.test(kind))).toEqual([]);
  });

  it('imports only the AWS SDK, never src/ (so a product bug cannot hide itself)', () => {
    const text = readFileSync(new URL('../../e2e/harness/inventory.ts', import.meta.url), 'utf8');
    const specifiers = [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s*'([^']+)'/gm)].map((m) => m[1]!);
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => !s.startsWith('@aws-sdk/'))).toEqual([]);
  });
});
