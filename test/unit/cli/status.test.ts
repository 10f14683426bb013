import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runStatus } from '../../../src/cli/commands/status/index.js';
import { formatStatus } from '../../../src/ui/format.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { TD, TG_ARN, URL, deployedManifest, mockIdentity, sts, workdir, type Workdir } from './day2-fixture.js';

const ecs = mockClient(ECSClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
let w: Workdir;

beforeEach(() => {
  mockIdentity();
  ecs.reset();
  strict(ecs);
  elb.reset();
  strict(elb);
});
afterEach(() => w?.cleanup());

const t = (iso: string) => new Date(iso);

describe('status', () => {
  it('reports counts, current and previous revision, deployments, target health and the URL as one status event', async () => {
    w = await workdir(undefined, deployedManifest());
    ecs.on(DescribeServicesCommand, { cluster: 'shop-default', services: ['web'] }).resolves({
      services: [
        {
          serviceName: 'web',
          status: 'ACTIVE',
          desiredCount: 2,
          runningCount: 1,
          pendingCount: 1,
          taskDefinition: TD(3),
          loadBalancers: [{ targetGroupArn: TG_ARN, containerName: 'web', containerPort: 80 }],
          deployments: [
            {
              id: 'ecs-svc/2',
              status: 'PRIMARY',
              taskDefinition: TD(3),
              desiredCount: 2,
              runningCount: 1,
              pendingCount: 1,
              failedTasks: 1,
              rolloutState: 'IN_PROGRESS',
            },
            {
              id: 'ecs-svc/1',
              status: 'ACTIVE',
              taskDefinition: TD(2),
              desiredCount: 0,
              runningCount: 1,
              pendingCount: 0,
              rolloutState: 'COMPLETED',
            },
          ],
          events: [
            { id: 'e3', createdAt: t('2026-01-01T00:03:00Z'), message: 'newest' },
            { id: 'e1', createdAt: t('2026-01-01T00:01:00Z'), message: 'oldest' },
            { id: 'e2', createdAt: t('2026-01-01T00:02:00Z'), message: 'middle' },
            { id: 'e0', createdAt: t('2026-01-01T00:00:00Z'), message: 'too old to show' },
          ],
        },
      ],
    });
    elb.on(DescribeTargetHealthCommand, { TargetGroupArn: TG_ARN }).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: '10.0.0.5', Port: 80 }, TargetHealth: { State: 'healthy' } },
        {
          Target: { Id: '10.0.1.7', Port: 80 },
          TargetHealth: {
            State: 'unhealthy',
            Reason: 'Target.ResponseCodeMismatch',
            Description: 'Health checks failed with these codes: [502]',
          },
        },
      ],
    });

    const code = await runStatus({ ...w.opts, json: true }, w.io, w.reporter);
    expect(code).toBe(0);
    const [event] = w.reporter.ofType('status');
    expect(w.reporter.ofType('status')).toHaveLength(1);
    const web = event!.services[0]!;
    expect(web).toMatchObject({
      service: 'web',
      exists: true,
      desired: 2,
      running: 1,
      pending: 1,
      taskDefinition: 'shop-default-web:3',
      previousTaskDefinition: 'shop-default-web:2',
      url: URL,
      events: ['2026-01-01T00:01:00.000Z oldest', '2026-01-01T00:02:00.000Z middle', '2026-01-01T00:03:00.000Z newest'],
    });
    expect(web.deployments.map((d) => [d.status, d.taskDefinition, d.rolloutState, d.failed])).toEqual([
      ['PRIMARY', 'shop-default-web:3', 'IN_PROGRESS', 1],
      ['ACTIVE', 'shop-default-web:2', 'COMPLETED', 0],
    ]);
    expect(web.targets).toEqual([
      { targetGroup: 'shop-default-web', id: '10.0.0.5', port: 80, state: 'healthy' },
      {
        targetGroup: 'shop-default-web',
        id: '10.0.1.7',
        port: 80,
        state: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch',
        description: 'Health checks failed with these codes: [502]',
      },
    ]);
    // Human rendering names the unhealthy target and why.
    const text = formatStatus(event!).join('\n');
    expect(text).toContain('web: 1/2 running, 1 pending');
    expect(text).toContain('task definition: shop-default-web:3 (previous: shop-default-web:2)');
    expect(text).toContain('target 10.0.1.7:80 unhealthy — Health checks failed with these codes: [502]');
  });

  it('takes the previous revision from the deploy history once the rollout is over', async () => {
    w = await workdir(
      undefined,
      deployedManifest([
        { at: '2026-01-01T00:00:00Z', service: 'web', taskDefinitionArn: TD(1) },
        { at: '2026-01-02T00:00:00Z', service: 'web', taskDefinitionArn: TD(2) },
      ]),
    );
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: 'web',
          status: 'ACTIVE',
          desiredCount: 1,
          runningCount: 1,
          pendingCount: 0,
          taskDefinition: TD(2),
          deployments: [{ id: 'd', status: 'PRIMARY', taskDefinition: TD(2), rolloutState: 'COMPLETED' }],
        },
      ],
    });
    await runStatus(w.opts, w.io, w.reporter);
    expect(w.reporter.ofType('status')[0]!.services[0]).toMatchObject({
      taskDefinition: 'shop-default-web:2',
      previousTaskDefinition: 'shop-default-web:1',
      targets: [],
    });
    expect(commandNames(elb)).toEqual([]);
  });

  it('a service that does not exist is "not deployed", not an error', async () => {
    w = await workdir();
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'web', reason: 'MISSING' }] });
    expect(await runStatus(w.opts, w.io, w.reporter)).toBe(0);
    expect(w.reporter.ofType('status')[0]!.services).toEqual([
      { service: 'web', cluster: 'shop-default', exists: false, deployments: [], targets: [], events: [] },
    ]);
  });

  it('an unknown service name exits 2 before any AWS call', async () => {
    w = await workdir();
    await expect(runStatus({ ...w.opts, service: 'api' }, w.io, w.reporter)).rejects.toMatchObject({ exitCode: 2, code: 'usage.service' });
    expect(sts.calls()).toHaveLength(0);
    expect(ecs.calls()).toHaveLength(0);
  });
});
