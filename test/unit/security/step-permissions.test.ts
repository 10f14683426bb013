import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import type { StepModule } from '../../../src/engine/types.js';
import { policyContext } from '../../../src/security/policy-context.js';
import { STEP_MODULES } from '../../../src/steps/index.js';
import { POLICY_CASES, WORKLOADS_CASE } from './policy-configs.js';
import { localImports, sdkOperations, sourceFiles } from './sdk-operations.js';

/**
 * Each step grants its own calls: every AWS operation imported by the step's folder, or by a helper outside src/steps
 * it imports (src/aws, src/capacity, src/rollout, src/security, … transitively), is an action of the step's own
 * `permissions`. So a step cannot start calling an API without declaring it, even one another step already grants.
 * Another step's folder is that step's business and is not followed; nor are the permissions.ts declarations, which
 * call nothing. Two steps that share a folder (roles, secrets) share its files, so they are checked together.
 */

const STEPS_DIR = path.resolve('src/steps');
const LARGE = POLICY_CASES.find((c) => c.name === 'large')!;
const config = parseConfigText(LARGE.yaml);
const workloads = parseConfigText(WORKLOADS_CASE.yaml);
const workloadsCtx = policyContext({
  config: workloads,
  env: WORKLOADS_CASE.env,
  region: WORKLOADS_CASE.region,
  account: WORKLOADS_CASE.account,
});
const ctx = policyContext({ config, env: LARGE.env, region: LARGE.region, account: LARGE.account });

const declaresOnly = (file: string) => path.basename(file) === 'permissions.ts';

/** The files a step's folder runs: its own, and what they import outside src/steps. */
function filesOf(folder: string): string[] {
  const own = path.join(STEPS_DIR, folder);
  const followed = (file: string) => !declaresOnly(file) && (file.startsWith(own + path.sep) || !file.startsWith(STEPS_DIR + path.sep));
  const seen = new Set<string>();
  const queue = sourceFiles(own).filter(followed);
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...localImports(file).filter(followed));
  }
  return [...seen];
}

const folderOf = new Map<StepModule, string>();

beforeAll(async () => {
  for (const folder of readdirSync(STEPS_DIR).filter((f) => statSync(path.join(STEPS_DIR, f)).isDirectory())) {
    const exports = (await import(path.join(STEPS_DIR, folder, 'index.ts'))) as Record<string, unknown>;
    for (const value of Object.values(exports)) if (STEP_MODULES.includes(value as StepModule)) folderOf.set(value as StepModule, folder);
  }
});

describe('every step declares the IAM actions of its own calls', () => {
  it('finds the folder of every registered step, and the large or the workloads config has an instance of each', () => {
    expect(STEP_MODULES.filter((m) => !folderOf.has(m)).map((m) => m.kind)).toEqual([]);
    expect(STEP_MODULES.filter((m) => m.instances(config).length === 0 && m.instances(workloads).length === 0).map((m) => m.kind)).toEqual(
      [],
    );
  });

  it('every registered step declares permissions and resource kinds', () => {
    expect(STEP_MODULES.filter((m) => !m.permissions || !m.resourceKinds).map((m) => m.kind)).toEqual([]);
  });

  it.each(STEP_MODULES.map((m) => [m.kind, m] as const))('%s', (_kind, module) => {
    const folder = folderOf.get(module)!;
    const files = filesOf(folder);
    const sameFolder = STEP_MODULES.filter((m) => folderOf.get(m) === folder);
    // A step may grant some calls only to configs that need them (a backlog alarm): either config's grants count.
    const granted = new Set(sameFolder.flatMap((m) => [...m.permissions!(ctx), ...m.permissions!(workloadsCtx)]).flatMap((s) => s.Action));
    const missing = files.flatMap((file) =>
      [...sdkOperations(file)].filter((op) => !granted.has(op)).map((op) => `${op} (${path.relative('.', file)})`),
    );
    expect([...new Set(missing)].sort(), `add these to the step's permissions.ts`).toEqual([]);
  });
});
