import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, runCli } from './harness/cli.js';
import { startFaultProxy, type FaultProxy } from './harness/fault-proxy.js';
import { clientsFor, inventory, nonEmpty, total, type Clients, type Inventory } from './harness/inventory.js';
import { startMoto, type Moto } from './harness/moto.js';
import type { RecordedCall } from './harness/proxy.js';
import { tempDir } from './harness/workdir.js';

/**
 * Lost responses, deterministically: the FIRST call of every mutating operation is forwarded
 * to moto (which applies it) and then its connection is destroyed, so the CLI never learns
 * the outcome and retries. A deploy must still converge to exactly a clean run's resources
 * (nothing created twice, no "already exists" failure), and a teardown treated the same way
 * must still leave nothing.
 */
const ENV = 'default';
type Counts = Record<keyof Inventory, number>;
const counts = (inv: Inventory): Counts => Object.fromEntries(Object.entries(inv).map(([k, v]) => [k, v.length])) as Counts;

/** Loses the first response of each mutating operation, once. */
function loseFirstOfEach(): { eligible: (c: RecordedCall) => boolean } {
  const seen = new Set<string>();
  return {
    eligible: (c) => {
      if (!c.mutating || seen.has(c.operation)) return false;
      seen.add(c.operation);
      return true;
    },
  };
}

describe('lost responses: every mutating call loses its first response once', () => {
  let moto: Moto;
  let aws: Clients;
  let work: Awaited<ReturnType<typeof tempDir>>;
  const report: string[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    aws = clientsFor(moto.endpoint);
    work = await tempDir('lost');
  });

  afterAll(async () => {
    // eslint-disable-next-line no-console
    if (report.length) console.log(`lost responses\n${report.join('\n')}`);
    await moto?.stop();
    await work?.cleanup();
  });

  const appDir = async (app: string) => {
    const dir = path.join(work.dir, app);
    await mkdir(dir, { recursive: true });
    const r = await runCli(['init', '--yes', '--name', app, '--image', 'nginx:1.27', '--port', '80'], {
      cwd: dir,
      endpoint: moto.endpoint,
    });
    expect(r.code, describeRun(r)).toBe(0);
    return dir;
  };

  it('deploy and teardown converge with no duplicates and nothing left', async () => {
    // The reference: an uninterrupted deploy (and its teardown) of another app.
    const cleanDir = await appDir('clean');
    const c = await runCli(['deploy', '--yes'], { cwd: cleanDir, endpoint: moto.endpoint });
    expect(c.code, describeRun(c)).toBe(0);
    const clean = counts(await inventory(moto.endpoint, 'clean', ENV, aws));
    expect(clean).toMatchObject({
      vpcs: 1,
      subnets: 2,
      internetGateways: 1,
      loadBalancers: 1,
      targetGroups: 1,
      clusters: 1,
      services: 1,
      taskDefinitions: 1,
      logGroups: 1,
    });
    const td = await runCli(['teardown', '--yes'], { cwd: cleanDir, endpoint: moto.endpoint });
    expect(td.code, describeRun(td)).toBe(0);

    const dir = await appDir('lost');
    const retry = { AWS_MAX_ATTEMPTS: '5' };
    let proxy: FaultProxy = await startFaultProxy(moto.endpoint, { faults: { seed: 1, lost: 1, ...loseFirstOfEach() } });
    let lostDeploy: string[];
    try {
      const up = await runCli(['deploy', '--yes'], { cwd: dir, endpoint: proxy.endpoint, env: retry, timeoutMs: 60_000 });
      lostDeploy = proxy.injected.map((f) => f.call.operation);
      expect(up.code, `${describeRun(up)}\nlost: ${lostDeploy.join(', ')}`).toBe(0);
    } finally {
      await proxy.stop();
    }
    // The creates that have no idempotency token must each have been hit.
    for (const op of [
      'CreateVpc',
      'CreateSubnet',
      'CreateInternetGateway',
      'AttachInternetGateway',
      'CreateRouteTable',
      'AssociateRouteTable',
      'CreateSecurityGroup',
      'AuthorizeSecurityGroupIngress',
      'CreateLoadBalancer',
      'CreateTargetGroup',
      'CreateListener',
      'RegisterTaskDefinition',
      'CreateRole',
      'CreateLogGroup',
      'CreateCluster',
      'CreateService',
      'RegisterScalableTarget',
    ]) {
      expect(lostDeploy, op).toContain(op);
    }
    const inv = await inventory(moto.endpoint, 'lost', ENV, aws);
    expect(counts(inv), `duplicates? ${JSON.stringify(nonEmpty(inv))}`).toEqual(clean);
    const m = JSON.parse(await readFile(path.join(dir, '.ecs-kit', `${ENV}.json`), 'utf8'));
    expect(inv.vpcs).toContain(m.steps.network.state.vpcId);
    expect(inv.taskDefinitions).toContain(m.steps['task-definition:web'].state.taskDefinitionArn);
    expect(inv.services).toContain(m.steps['service:web'].state.serviceArn);

    proxy = await startFaultProxy(moto.endpoint, { faults: { seed: 2, lost: 1, ...loseFirstOfEach() } });
    let lostTeardown: string[];
    try {
      const down = await runCli(['teardown', '--yes'], { cwd: dir, endpoint: proxy.endpoint, env: retry, timeoutMs: 60_000 });
      lostTeardown = proxy.injected.map((f) => f.call.operation);
      expect(down.code, `${describeRun(down)}\nlost: ${lostTeardown.join(', ')}`).toBe(0);
    } finally {
      await proxy.stop();
    }
    expect(lostTeardown).toEqual(expect.arrayContaining(['DeleteService', 'DeleteLoadBalancer', 'DeleteVpc']));
    const left = await inventory(moto.endpoint, 'lost', ENV, aws);
    expect(total(left), JSON.stringify(nonEmpty(left))).toBe(0);
    report.push(
      `deploy: ${lostDeploy.length} lost responses (${lostDeploy.join(', ')}); teardown: ${lostTeardown.length} lost (${lostTeardown.join(', ')}); duplicates 0, left 0`,
    );
  }, 60_000);
});
