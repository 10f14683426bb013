import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { DeleteLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeSecurityGroupsCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, runCli } from './harness/cli.js';
import { startFaultProxy, type FaultProxy } from './harness/fault-proxy.js';
import { clientsFor, inventory, nonEmpty, total, type Clients, type Inventory } from './harness/inventory.js';
import { startMoto, type Moto } from './harness/moto.js';
import { tempDir } from './harness/workdir.js';

/**
 * Lost manifest, API faults (throttling, 5xx, connection resets, lost responses), drift and
 * the lock, each against the built CLI and one moto. Every case compares the independent
 * inventory with an uninterrupted run's.
 */
const ENV = 'default';
type Counts = Record<keyof Inventory, number>;
const counts = (inv: Inventory): Counts => Object.fromEntries(Object.entries(inv).map(([k, v]) => [k, v.length])) as Counts;

describe('reliability: lost manifest, faults, drift, lock', () => {
  let moto: Moto;
  let aws: Clients;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let template = '';
  let clean: Counts;
  const report: string[] = [];

  const cli = (args: string[], cwd: string, endpoint = moto.endpoint, env?: Record<string, string>) =>
    runCli(args, { cwd, endpoint, env, timeoutMs: 90_000 });
  const appDir = async (app: string) => {
    const dir = path.join(work.dir, app);
    await mkdir(dir, { recursive: true });
    if (!template) {
      const r = await cli(['init', '--yes', '--name', 'tmpl', '--image', 'nginx:1.27', '--port', '80'], dir);
      expect(r.code, describeRun(r)).toBe(0);
      template = await readFile(path.join(dir, 'ecs-kit.yml'), 'utf8');
    }
    await writeFile(path.join(dir, 'ecs-kit.yml'), template.replace(/^app: .*$/m, `app: ${app}`));
    return dir;
  };
  const manifestFile = (dir: string) => path.join(dir, '.ecs-kit', `${ENV}.json`);

  beforeAll(async () => {
    moto = await startMoto();
    aws = clientsFor(moto.endpoint);
    work = await tempDir('reliability');
  });

  afterAll(async () => {
    // eslint-disable-next-line no-console
    if (report.length) console.log(`reliability\n${report.join('\n')}`);
    await moto?.stop();
    await work?.cleanup();
  });

  describe('lost manifest, drift and lock (one app)', () => {
    let dir: string;
    const APP = 'lm';

    it('deploy → delete the manifest → deploy rediscovers by tags, says so, duplicates nothing and changes nothing', async () => {
      dir = await appDir(APP);
      const first = await cli(['deploy', '--yes'], dir);
      expect(first.code, describeRun(first)).toBe(0);
      clean = counts(await inventory(moto.endpoint, APP, ENV, aws));
      expect(clean.vpcs).toBe(1);

      await rm(manifestFile(dir));
      const proxy = await startFaultProxy(moto.endpoint);
      try {
        const again = await cli(['deploy', '--yes', '--json'], dir, proxy.endpoint);
        expect(again.code, describeRun(again)).toBe(0);
        const info = again.events.filter((e) => e.type === 'info').map((e) => e.message as string);
        expect(info).toContain(
          `No manifest for env ${ENV} yet: checking AWS for resources tagged ecs-kit:app=${APP} ecs-kit:env=${ENV}, so nothing is created twice.`,
        );
        expect(again.events.some((e) => e.type === 'info' && e.code === 'deploy.adopting')).toBe(true);
        expect(proxy.calls.filter((c) => c.mutating).map((c) => c.operation)).toEqual([]);
      } finally {
        await proxy.stop();
      }
      const inv = await inventory(moto.endpoint, APP, ENV, aws);
      expect(counts(inv), JSON.stringify(nonEmpty(inv))).toEqual(clean);
      const m = JSON.parse(await readFile(manifestFile(dir), 'utf8'));
      expect(inv.vpcs).toContain(m.steps.network.state.vpcId);
      expect(inv.services).toContain(m.steps['service:web'].state.serviceArn);
    });

    it('drift: a log group deleted, an SG rule revoked and desiredCount pushed outside the autoscaling range are restored by deploy', async () => {
      const logGroupName = `/ecs/${APP}/${ENV}/web`;
      await aws.logs.send(new DeleteLogGroupCommand({ logGroupName }));
      const m = JSON.parse(await readFile(manifestFile(dir), 'utf8'));
      const sgId = m.steps['security-group:web'].state.groupId as string;
      const sg = (await aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sgId] }))).SecurityGroups![0]!;
      expect(sg.IpPermissions?.length).toBeGreaterThan(0);
      await aws.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: sgId, IpPermissions: sg.IpPermissions }));
      const { clusterName, serviceName } = m.steps['service:web'].state;
      // The config autoscales between 1 and 4, and the scaler owns the count inside that range:
      // drift is a count outside it, which deploy brings back to the nearest bound.
      expect(template).toMatch(/max: 4/);
      await aws.ecs.send(new UpdateServiceCommand({ cluster: clusterName, service: serviceName, desiredCount: 7 }));

      // plan shows each drifted setting before deploy restores it, and changes nothing itself.
      const planned = await cli(['plan', '--json', '--detailed-exitcode'], dir);
      expect(planned.code, describeRun(planned)).toBe(3);
      const steps = planned.events.find((e) => e.type === 'plan').steps as {
        id: string;
        action: string;
        changes: { field: string; before?: unknown; after?: unknown }[];
      }[];
      const byId = Object.fromEntries(steps.map((st) => [st.id, st]));
      expect(byId['logs:web']?.action).toBe('create');
      expect(byId['security-group:web']?.action).toBe('update');
      expect(byId['service:web']).toMatchObject({
        action: 'update',
        changes: expect.arrayContaining([{ field: 'desiredCount', before: 7, after: 4 }]),
      });

      const r = await cli(['deploy', '--yes'], dir);
      expect(r.code, describeRun(r)).toBe(0);
      const groups = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName }));
      expect(groups.logGroups?.map((g) => g.logGroupName)).toContain(logGroupName);
      const after = (await aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sgId] }))).SecurityGroups![0]!;
      expect(after.IpPermissions?.flatMap((p) => p.UserIdGroupPairs?.map((u) => u.GroupId) ?? [])).toEqual(
        sg.IpPermissions?.flatMap((p) => p.UserIdGroupPairs?.map((u) => u.GroupId) ?? []),
      );
      const svc = (await aws.ecs.send(new DescribeServicesCommand({ cluster: clusterName, services: [serviceName] }))).services![0]!;
      expect(svc.desiredCount).toBe(4);
      expect(counts(await inventory(moto.endpoint, APP, ENV, aws))).toEqual(clean);
    });

    it('lock: a live holder is named and refused; --force-unlock breaks it; a dead holder is taken over', async () => {
      const lockFile = path.join(dir, '.ecs-kit', `${ENV}.lock`);
      const startedAt = '2026-01-02T03:04:05.000Z';
      // This test process is alive, so its pid makes a lock that is really held.
      await writeFile(lockFile, JSON.stringify({ pid: process.pid, host: hostname(), startedAt, command: 'deploy' }));
      const refused = await cli(['deploy', '--yes'], dir);
      expect(refused.code, describeRun(refused)).toBe(1);
      expect(refused.stderr).toContain(`pid ${process.pid} on ${hostname()}, started ${startedAt}`);
      expect(refused.stderr).toContain('--force-unlock');
      const forced = await cli(['deploy', '--yes', '--force-unlock'], dir);
      expect(forced.code, describeRun(forced)).toBe(0);

      // pid 2^22-1 is above Linux's default pid_max: certainly not running.
      await writeFile(lockFile, JSON.stringify({ pid: 4194303, host: hostname(), startedAt, command: 'teardown' }));
      const resumed = await cli(['deploy', '--yes'], dir);
      expect(resumed.code, describeRun(resumed)).toBe(0);
      expect(`${resumed.stdout}${resumed.stderr}`).toMatch(/Took over the lock of an earlier teardown \(pid 4194303/);
    });

    it('teardown with the manifest deleted finds everything by tags and deletes it', async () => {
      await rm(manifestFile(dir));
      const r = await cli(['teardown', '--yes', '--json'], dir);
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.events.some((e) => e.type === 'info' && e.code === 'manifest.rediscovering')).toBe(true);
      const left = await inventory(moto.endpoint, APP, ENV, aws);
      expect(total(left), JSON.stringify(nonEmpty(left))).toBe(0);
      report.push('lost manifest: deploy adopted everything with 0 mutating calls; teardown without a manifest left 0');
    });
  });

  describe('faults', () => {
    const RATES = { throttle: 0.06, error500: 0.04, reset: 0.04, lost: 0.04 };
    const run = async (app: string, seed: number) => {
      const dir = await appDir(app);
      const retry = { AWS_MAX_ATTEMPTS: '10' };
      const proxy: FaultProxy = await startFaultProxy(moto.endpoint, {
        // Lost responses may hit any call, creates without an idempotency token included (src/aws/idempotent.ts).
        faults: { seed, ...RATES },
      });
      try {
        const up = await cli(['deploy', '--yes'], dir, proxy.endpoint, retry);
        expect(up.code, `${app}: ${describeRun(up)}\ninjected: ${JSON.stringify(proxy.injected)}`).toBe(0);
        const inv = await inventory(moto.endpoint, app, ENV, aws);
        expect(counts(inv), `${app} duplicates? ${JSON.stringify(nonEmpty(inv))}`).toEqual(clean);
        const deployFaults = proxy.injected.length;
        const deployCalls = proxy.calls.length;
        const down = await cli(['teardown', '--yes'], dir, proxy.endpoint, retry);
        expect(down.code, `${app}: ${describeRun(down)}`).toBe(0);
        const left = await inventory(moto.endpoint, app, ENV, aws);
        expect(total(left), JSON.stringify(nonEmpty(left))).toBe(0);
        const by = (k: string) => proxy.injected.filter((f) => f.kind === k).length;
        report.push(
          `faults seed ${seed}: ${proxy.calls.length} calls (deploy ${deployCalls}), ${proxy.injected.length} faults (deploy ${deployFaults}): throttle ${by('throttle')}, 5xx ${by('error500')}, reset ${by('reset')}, lost ${by('lost')} → no duplicates, 0 left`,
        );
        expect(proxy.injected.length).toBeGreaterThan(0);
      } finally {
        await proxy.stop();
      }
    };

    it('a lost CreateRoute response (the SDK retry meets RouteAlreadyExists) does not fail the deploy', async () => {
      expect(clean).toBeDefined();
      const dir = await appDir('lr');
      let seen = 0;
      const proxy = await startFaultProxy(moto.endpoint, {
        faults: { seed: 0, lost: 1, eligible: (c) => c.operation === 'CreateRoute' && seen++ === 0 },
      });
      try {
        const up = await cli(['deploy', '--yes'], dir, proxy.endpoint, { AWS_MAX_ATTEMPTS: '3' });
        expect(up.code, describeRun(up)).toBe(0);
        expect(proxy.injected.map((f) => `${f.kind} ${f.call.operation}`)).toEqual(['lost CreateRoute']);
      } finally {
        await proxy.stop();
      }
      expect(counts(await inventory(moto.endpoint, 'lr', ENV, aws))).toEqual(clean);
      const down = await cli(['teardown', '--yes'], dir);
      expect(down.code, describeRun(down)).toBe(0);
      expect(total(await inventory(moto.endpoint, 'lr', ENV, aws))).toBe(0);
    });

    it('deploy and teardown complete through throttling, 5xx, resets and lost responses, with no duplicates and nothing left', async () => {
      expect(clean, 'needs the clean counts from the first test').toBeDefined();
      await Promise.all([run('fa', 1), run('fb', 2), run('fc', 3)]);
    }, 240_000);
  });
});
