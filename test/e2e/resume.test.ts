import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, cleanEnv, describeRun, runCli } from './harness/cli.js';
import { clientsFor, inventory, nonEmpty, total, type Clients } from './harness/inventory.js';
import { startMoto, type Moto } from './harness/moto.js';
import { tempDir } from './harness/workdir.js';

/**
 * Two promises of the core: the rollout wait is bounded and explained (moto never starts
 * tasks, so a service wanting 2 tasks while moto reports 1 never becomes stable), and a
 * deploy killed half-way can simply be run again.
 */
describe('bounded rollout wait and resuming a killed deploy', () => {
  let moto: Moto;
  let aws: Clients;
  const dirs: { cleanup(): Promise<void> }[] = [];

  beforeAll(async () => {
    moto = await startMoto(); // reports 1 running task per service
    aws = clientsFor(moto.endpoint);
  });
  afterAll(async () => {
    await moto?.stop();
    for (const d of dirs) await d.cleanup();
  });

  async function initApp(name: string, extra: string[] = []) {
    const work = await tempDir(name);
    dirs.push(work);
    const r = await runCli(['init', '--yes', '--name', name, '--image', 'nginx:1.27', '--port', '80', ...extra], {
      cwd: work.dir,
      endpoint: moto.endpoint,
    });
    expect(r.code, describeRun(r)).toBe(0);
    return work.dir;
  }

  it('a rollout that never becomes stable ends at --timeout with counts and a fix, exit 1; the service is still recorded and torn down', async () => {
    const dir = await initApp('slow', ['--count', '2', '--no-autoscaling']);
    const started = Date.now();
    const r = await runCli(['deploy', '--yes', '--timeout', '3s', '--poll-interval', '1s'], { cwd: dir, endpoint: moto.endpoint });
    expect(r.code, describeRun(r)).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(r.stderr).toMatch(/did not finish rolling out within 3s \(desired 2, running 1, pending 1\)/);
    expect(r.stderr).toMatch(/Fix: .*--timeout/);
    // Recorded before the wait, so nothing is orphaned by a failed rollout.
    const manifest = JSON.parse(readFileSync(path.join(dir, '.ecs-kit', 'default.json'), 'utf8'));
    expect(manifest.steps['service:web']?.state.serviceName).toBe('web');

    // A CI retry with nothing changed (issue 10, truthful re-runs): the service is still 1/2 running, so not "No
    // changes" and exit 0: the plan shows the live rollout, deploy follows it, and it fails the same way.
    const retry = await runCli(['deploy', '--yes', '--timeout', '2s', '--poll-interval', '1s'], { cwd: dir, endpoint: moto.endpoint });
    expect(retry.code, describeRun(retry)).toBe(1);
    expect(retry.stdout + retry.stderr).not.toMatch(/No changes/);
    expect(retry.stdout).toMatch(
      /rollout: the last rollout of slow-default-web:1 is still rolling out: 1\/2 tasks running → wait until complete/,
    );
    expect(retry.stderr).toMatch(/did not finish rolling out within 2s \(desired 2, running 1, pending 1\)/);

    const down = await runCli(['teardown', '--yes'], { cwd: dir, endpoint: moto.endpoint });
    expect(down.code, describeRun(down)).toBe(0);
    const inv = await inventory(moto.endpoint, 'slow', 'default', aws);
    expect(total(inv), JSON.stringify(nonEmpty(inv))).toBe(0);
  });

  it('a deploy killed with SIGKILL half-way completes when run again, without duplicates', async () => {
    const dir = await initApp('killed');
    const manifestFile = path.join(dir, '.ecs-kit', 'default.json');
    const child = spawn(process.execPath, [CLI_BIN, 'deploy', '--yes', '--endpoint-url', moto.endpoint], {
      cwd: dir,
      env: cleanEnv(),
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Kill as soon as a few steps are recorded: the rest are half-done or not started.
    const deadline = Date.now() + 60_000;
    let recorded = 0;
    while (Date.now() < deadline) {
      if (existsSync(manifestFile)) {
        try {
          recorded = Object.keys(JSON.parse(readFileSync(manifestFile, 'utf8')).steps).length;
        } catch {
          /* being replaced right now: atomic rename means the next read is whole */
        }
      }
      if (recorded >= 3 || child.exitCode !== null) break;
      await new Promise((res) => setTimeout(res, 5));
    }
    child.kill('SIGKILL');
    await exited;
    expect(recorded, 'the deploy should have been killed part-way').toBeGreaterThanOrEqual(3);
    expect(recorded, 'the deploy should not have finished before the kill').toBeLessThan(11);

    const again = await runCli(['deploy', '--yes'], { cwd: dir, endpoint: moto.endpoint });
    expect(again.code, describeRun(again)).toBe(0);
    expect(again.stderr).toMatch(/Took over the lock of an earlier deploy/);
    const inv = await inventory(moto.endpoint, 'killed', 'default', aws);
    expect(inv.vpcs).toHaveLength(1);
    expect(inv.subnets).toHaveLength(2);
    expect(inv.internetGateways).toHaveLength(1);
    expect(inv.loadBalancers).toHaveLength(1);
    expect(inv.targetGroups).toHaveLength(1);
    expect(inv.clusters).toHaveLength(1);
    expect(inv.services).toHaveLength(1);
    expect(inv.roles).toHaveLength(2);
    expect(inv.securityGroups).toHaveLength(2);

    const down = await runCli(['teardown', '--yes'], { cwd: dir, endpoint: moto.endpoint });
    expect(down.code, describeRun(down)).toBe(0);
    expect(total(await inventory(moto.endpoint, 'killed', 'default', aws))).toBe(0);
  });
});
