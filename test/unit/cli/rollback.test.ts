import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRollback } from '../../../src/cli/commands/rollback/index.js';
import { deployedRevisions, HISTORY_PER_SERVICE, recordDeployed, rollbackTarget } from '../../../src/engine/history.js';
import { emptyManifest, type Manifest } from '../../../src/engine/manifest.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { TD, deployedManifest, mockIdentity, sts, workdir, type Workdir } from './day2-fixture.js';

const ecs = mockClient(ECSClient);
let w: Workdir;
beforeEach(() => {
  mockIdentity();
  ecs.reset();
  strict(ecs);
});
afterEach(() => w?.cleanup());

const h = (rev: number, service = 'web') => ({ at: `2026-01-0${rev}T00:00:00.000Z`, service, taskDefinitionArn: TD(rev) });

describe('deploy history', () => {
  it('records a revision only when it changed, per service', () => {
    const m = emptyManifest('shop', 'default', '1', 'us-east-1');
    expect(recordDeployed(m, { web: TD(1), api: 'arn:api:1' })).toBe(true);
    expect(recordDeployed(m, { web: TD(1), api: 'arn:api:1' })).toBe(false);
    expect(recordDeployed(m, { web: TD(2), api: 'arn:api:1' })).toBe(true);
    expect(m.history!.map((e) => [e.service, e.taskDefinitionArn])).toEqual([
      ['web', TD(1)],
      ['api', 'arn:api:1'],
      ['web', TD(2)],
    ]);
  });

  it(`keeps the newest ${HISTORY_PER_SERVICE} entries of each service`, () => {
    const m = emptyManifest('shop', 'default', '1', 'us-east-1');
    recordDeployed(m, { api: 'arn:api:1' });
    for (let i = 1; i <= HISTORY_PER_SERVICE + 5; i++) recordDeployed(m, { web: TD(i) });
    const web = m.history!.filter((e) => e.service === 'web');
    expect(web).toHaveLength(HISTORY_PER_SERVICE);
    expect(web.at(-1)!.taskDefinitionArn).toBe(TD(HISTORY_PER_SERVICE + 5));
    expect(m.history!.filter((e) => e.service === 'api')).toHaveLength(1);
  });

  it('rollback steps back one deploy at a time, and finds nothing before the first', () => {
    const m = deployedManifest([h(1), h(2), h(1, 'api'), h(3)]);
    expect(rollbackTarget(m, 'web', TD(3))?.taskDefinitionArn).toBe(TD(2));
    expect(rollbackTarget(m, 'web', TD(2))?.taskDefinitionArn).toBe(TD(1));
    expect(rollbackTarget(m, 'web', TD(1))).toBeUndefined();
    // Running something the history does not know (changed by hand): the newest deploy.
    expect(rollbackTarget(m, 'web', TD(9))?.taskDefinitionArn).toBe(TD(3));
    expect(rollbackTarget(m, 'worker', TD(3))).toBeUndefined();
  });

  it('reads what each service runs from the manifest', () => {
    expect(deployedRevisions(deployedManifest([], TD(4)))).toEqual({ web: TD(4) });
  });
});

describe('rollback', () => {
  const service = (td: string) => ({
    services: [
      {
        serviceName: 'web',
        status: 'ACTIVE',
        desiredCount: 1,
        runningCount: 1,
        pendingCount: 0,
        taskDefinition: td,
        deployments: [{ id: 'd2', status: 'PRIMARY', taskDefinition: td, rolloutState: 'COMPLETED' as const }],
      },
    ],
  });

  it('updates the service to the previous revision, records it, and waits for that rollout', async () => {
    w = await workdir(undefined, deployedManifest([h(1), h(2)], TD(2)));
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(service(TD(2)))
      .resolves(service(TD(1)));
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: TD(1) })
      .resolves({ taskDefinition: { taskDefinitionArn: TD(1), status: 'ACTIVE' } });
    let lockedDuringUpdate = false;
    ecs.on(UpdateServiceCommand).callsFake(async () => {
      lockedDuringUpdate = existsSync(w.manifestFile.replace(/\.json$/, '.lock'));
      return { service: service(TD(1)).services[0] };
    });

    const code = await runRollback({ ...w.opts, wait: true, timeoutMs: 5_000, pollIntervalMs: 1 }, w.io, w.reporter);
    expect(code).toBe(0);
    expect(lockedDuringUpdate, 'rollback holds the lock like deploy').toBe(true);
    expect(existsSync(w.manifestFile.replace(/\.json$/, '.lock')), 'and releases it').toBe(false);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'shop-default', service: 'web', taskDefinition: TD(1) },
    ]);
    // The wait looked at the service after the update.
    expect(commandNames(ecs).filter((n) => n === 'DescribeServices').length).toBeGreaterThanOrEqual(2);
    const saved = JSON.parse(await readFile(w.manifestFile, 'utf8')) as Manifest;
    expect(saved.steps['service:web']!.state.taskDefinitionArn).toBe(TD(1));
    expect(saved.history).toHaveLength(2); // history is what was deployed; rollback does not rewrite it
    expect(w.reporter.ofType('output')).toEqual([{ type: 'output', name: 'taskDefinition.web', value: 'shop-default-web:1' }]);
    expect(w.reporter.ofType('run.done')[0]).toMatchObject({ command: 'rollback', outcome: 'applied' });
  });

  it('with no earlier revision, explains and changes nothing (exit 1)', async () => {
    w = await workdir(undefined, deployedManifest([h(2)], TD(2)));
    ecs.on(DescribeServicesCommand).resolves(service(TD(2)));
    await expect(runRollback({ ...w.opts, wait: true, timeoutMs: 1000 }, w.io, w.reporter)).rejects.toMatchObject({
      code: 'rollback.no-history',
      exitCode: 1,
    });
    expect(commandNames(ecs)).toEqual(['DescribeServices']);
  });

  it('refuses a revision that was deregistered', async () => {
    w = await workdir(undefined, deployedManifest([h(1), h(2)], TD(2)));
    ecs.on(DescribeServicesCommand).resolves(service(TD(2)));
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD(1), status: 'INACTIVE' } });
    await expect(runRollback({ ...w.opts, wait: true, timeoutMs: 1000 }, w.io, w.reporter)).rejects.toMatchObject({
      code: 'rollback.revision-gone',
    });
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('without --yes in a session that cannot prompt: exit 2, no change', async () => {
    w = await workdir(undefined, deployedManifest([h(1), h(2)], TD(2)));
    ecs.on(DescribeServicesCommand).resolves(service(TD(2)));
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD(1), status: 'ACTIVE' } });
    await expect(runRollback({ ...w.opts, yes: false, wait: true, timeoutMs: 1000 }, w.io, w.reporter)).rejects.toMatchObject({
      exitCode: 2,
      code: 'confirm.required',
    });
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('needs a service name when there are several (exit 2, no AWS call)', async () => {
    w = await workdir('app: shop\nservices:\n  web: { image: nginx, port: 80 }\n  worker: { image: busybox }\n');
    await expect(runRollback({ ...w.opts, wait: true, timeoutMs: 1000 }, w.io, w.reporter)).rejects.toMatchObject({
      exitCode: 2,
      code: 'usage.service',
    });
    expect(sts.calls()).toHaveLength(0);
  });
});
