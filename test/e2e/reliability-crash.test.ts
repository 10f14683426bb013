import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, runCli } from './harness/cli.js';
import { runAndKillAt, startFaultProxy, type HoldPhase } from './harness/fault-proxy.js';
import { clientsFor, inventory, nonEmpty, total, type Clients, type Inventory } from './harness/inventory.js';
import { startMoto, type Moto } from './harness/moto.js';
import { tempDir } from './harness/workdir.js';

/**
 * The crash matrix: SIGKILL the CLI at the k-th AWS call of a deploy (or teardown), either
 * before the call reached AWS or after AWS executed it but before the response arrived (the
 * lost-response case), then run the same command again. It must finish, leave exactly what an
 * uninterrupted run leaves, and teardown must then leave nothing. One moto for the file; each
 * case has its own app name, so cases run side by side without seeing each other.
 */
const ENV = 'default';
const DEPLOY_POINTS = 8;
const TEARDOWN_POINTS = 6;
const PARALLEL = 3;

type Counts = Record<keyof Inventory, number>;
const counts = (inv: Inventory): Counts => Object.fromEntries(Object.entries(inv).map(([k, v]) => [k, v.length])) as Counts;

/** n points spread evenly over 1..max, always including both ends. */
function spread(max: number, n: number): number[] {
  if (max <= n) return Array.from({ length: max }, (_, i) => i + 1);
  return [...new Set(Array.from({ length: n }, (_, i) => 1 + Math.round((i * (max - 1)) / (n - 1))))];
}

async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: size }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

describe('crash matrix: SIGKILL at call k, re-run converges', () => {
  let moto: Moto;
  let aws: Clients;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let clean: Counts;
  let deployCalls = 0;
  let teardownCalls = 0;
  const report: string[] = [];

  const cli = (args: string[], cwd: string) => runCli(args, { cwd, endpoint: moto.endpoint, timeoutMs: 60_000 });
  let template = '';
  /** A config like `init` writes, for a fresh app name (written directly: one CLI start less per case). */
  const appDir = async (app: string) => {
    const dir = path.join(work.dir, app);
    await mkdir(dir, { recursive: true });
    if (!template) {
      const r = await runCli(['init', '--yes', '--name', app, '--image', 'nginx:1.27', '--port', '80'], {
        cwd: dir,
        endpoint: moto.endpoint,
      });
      expect(r.code, describeRun(r)).toBe(0);
      template = await readFile(path.join(dir, 'ecs-kit.yml'), 'utf8');
      expect(template).toMatch(new RegExp(`^app: ${app}\\b`, 'm'));
      return dir;
    }
    await writeFile(path.join(dir, 'ecs-kit.yml'), template.replace(/^app: .*$/m, `app: ${app}`));
    return dir;
  };

  beforeAll(async () => {
    moto = await startMoto();
    aws = clientsFor(moto.endpoint);
    work = await tempDir('crash');
  });

  afterAll(async () => {
    // eslint-disable-next-line no-console
    if (report.length) console.log(`crash matrix\n${report.join('\n')}`);
    await moto?.stop();
    await work?.cleanup();
  });

  it('an uninterrupted deploy and teardown: the reference counts', async () => {
    const dir = await appDir('base');
    const proxy = await startFaultProxy(moto.endpoint);
    try {
      const d = await runCli(['deploy', '--yes'], { cwd: dir, endpoint: proxy.endpoint });
      expect(d.code, describeRun(d)).toBe(0);
      deployCalls = proxy.calls.length;
      clean = counts(await inventory(moto.endpoint, 'base', ENV, aws));
      expect(clean.vpcs).toBe(1);
      expect(clean.services).toBe(1);
      expect(clean.taskDefinitions).toBe(1);
      proxy.calls.length = 0;
      const t = await runCli(['teardown', '--yes'], { cwd: dir, endpoint: proxy.endpoint });
      expect(t.code, describeRun(t)).toBe(0);
      teardownCalls = proxy.calls.length;
      expect(total(await inventory(moto.endpoint, 'base', ENV, aws))).toBe(0);
    } finally {
      await proxy.stop();
    }
    expect(deployCalls).toBeGreaterThan(20);
    expect(teardownCalls).toBeGreaterThan(20);
    report.push(`reference: deploy ${deployCalls} calls, teardown ${teardownCalls} calls, resources ${JSON.stringify(clean)}`);
  });

  /** After convergence the manifest must point at what really exists (not at a duplicate or a deleted copy). */
  async function expectManifestMatches(dir: string, inv: Inventory) {
    const m = JSON.parse(await readFile(path.join(dir, '.ecs-kit', `${ENV}.json`), 'utf8'));
    expect(inv.vpcs).toContain(m.steps.network.state.vpcId);
    expect(inv.services).toContain(m.steps['service:web'].state.serviceArn);
    expect(inv.taskDefinitions).toContain(m.steps['task-definition:web'].state.taskDefinitionArn);
    expect(inv.loadBalancers).toContain(m.steps['load-balancer'].state.loadBalancerArn);
  }

  it('deploy killed at an even spread of calls (first to last, before and after AWS ran it) converges', async () => {
    const ks = spread(deployCalls, DEPLOY_POINTS);
    const cases: { k: number; phase: HoldPhase }[] = ks.map((k, i) => ({ k, phase: i % 2 === 0 ? 'after' : 'before' }));
    // The last call both ways: the run is complete in AWS but the process never learns it.
    cases.push({ k: deployCalls, phase: cases.at(-1)!.phase === 'after' ? 'before' : 'after' });
    let killed = 0;
    const failures: string[] = [];
    await pool(cases, PARALLEL, async ({ k, phase }) => {
      const app = `d${k}${phase[0]}`;
      try {
        const dir = await appDir(app);
        const { held, result } = await runAndKillAt(moto.endpoint, ['deploy', '--yes'], { cwd: dir, call: k, phase });
        if (held) killed++;
        else expect(result.code, `run ended before call ${k}: ${describeRun(result)}`).toBe(0);
        const again = await cli(['deploy', '--yes'], dir);
        expect(again.code, `${app} re-run after kill at ${held?.service}:${held?.operation}: ${describeRun(again)}`).toBe(0);
        const inv = await inventory(moto.endpoint, app, ENV, aws);
        expect(
          counts(inv),
          `${app}: killed ${phase} call ${k} (${held?.service}:${held?.operation}) → ${JSON.stringify(nonEmpty(inv))}`,
        ).toEqual(clean);
        await expectManifestMatches(dir, inv);
        const down = await cli(['teardown', '--yes'], dir);
        expect(down.code, describeRun(down)).toBe(0);
        const left = await inventory(moto.endpoint, app, ENV, aws);
        expect(total(left), `${app} left ${JSON.stringify(nonEmpty(left))}`).toBe(0);
        report.push(
          `deploy   k=${String(k).padStart(2)} ${phase.padEnd(6)} ${held ? `${held.service}:${held.operation}` : '(not reached)'} → converged, 0 left`,
        );
      } catch (err) {
        failures.push(`${app}: ${(err as Error).message}`);
      }
    });
    expect(failures, failures.join('\n\n')).toEqual([]);
    // Nearly every point must really have been a kill (parallel steps can shift the count by a call or two).
    expect(killed).toBeGreaterThanOrEqual(cases.length - 1);
  }, 300_000);

  it('teardown killed at an even spread of calls converges to zero', async () => {
    const ks = spread(teardownCalls, TEARDOWN_POINTS);
    const cases: { k: number; phase: HoldPhase }[] = ks.map((k, i) => ({ k, phase: i % 2 === 0 ? 'after' : 'before' }));
    let killed = 0;
    const failures: string[] = [];
    await pool(cases, PARALLEL, async ({ k, phase }) => {
      const app = `t${k}${phase[0]}`;
      try {
        const dir = await appDir(app);
        const up = await cli(['deploy', '--yes'], dir);
        expect(up.code, describeRun(up)).toBe(0);
        const { held, result } = await runAndKillAt(moto.endpoint, ['teardown', '--yes'], { cwd: dir, call: k, phase });
        if (held) killed++;
        else expect(result.code, `run ended before call ${k}: ${describeRun(result)}`).toBe(0);
        const again = await cli(['teardown', '--yes'], dir);
        expect(again.code, `${app} re-run after kill at ${held?.service}:${held?.operation}: ${describeRun(again)}`).toBe(0);
        const left = await inventory(moto.endpoint, app, ENV, aws);
        expect(
          total(left),
          `${app}: killed ${phase} call ${k} (${held?.service}:${held?.operation}) left ${JSON.stringify(nonEmpty(left))}`,
        ).toBe(0);
        report.push(
          `teardown k=${String(k).padStart(2)} ${phase.padEnd(6)} ${held ? `${held.service}:${held.operation}` : '(not reached)'} → 0 left`,
        );
      } catch (err) {
        failures.push(`${app}: ${(err as Error).message}`);
      }
    });
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(killed).toBeGreaterThanOrEqual(cases.length - 1);
  }, 300_000);
});
