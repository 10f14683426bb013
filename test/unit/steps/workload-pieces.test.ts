import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { backlogSteps, wantedPolicies } from '../../../src/steps/scaling/policies.js';
import { serviceConnectChange, serviceConnectKey, serviceConnectRequest } from '../../../src/steps/service/service-connect.js';
import { diffTaskDefinitions, normalizeTaskDefinition, renderTaskDefinition } from '../../../src/steps/task-definition/index.js';

/*
 * The pure pieces each kind of workload adds to the task-definition, scaling and service steps: what the task definition
 * holds for sidecars, health checks and queue workers, the scaling policies beside CPU, and Service Connect's compare.
 */

const CONFIG = parseConfigText(`app: shop
services:
  web2:
    image: web:1
    port: 3000
    stopTimeout: 60
    ephemeralStorage: 30
    sidecars:
      otel: { image: otel:latest, environment: { MODE: agent } }
    healthCheck: { command: ["CMD-SHELL", "curl -f http://localhost:3000/health || exit 1"], interval: 15 }
    autoscaling: { min: 2, max: 20, targetCpu: 60, targetMemory: 70, requestsPerTarget: 500 }
  api: { image: api:1, port: 8080, internal: true }
  jobs:
    image: jobs:1
    environment: { LOG_LEVEL: info }
    queue: {}
    autoscaling: { min: 0, max: 10, backlogPerTask: 100 }
`);

const render = (name: string, queue?: { url: string; deadLetterUrl: string }) =>
  renderTaskDefinition({
    family: `shop-default-${name}`,
    container: name,
    service: CONFIG.services[name]!,
    image: CONFIG.services[name]!.image!,
    executionRoleArn: 'arn:exec',
    taskRoleArn: 'arn:task',
    logGroup: `/ecs/shop/default/${name}`,
    region: 'us-east-1',
    owner: { app: 'shop', env: 'default' },
    ...(queue ? { queue } : {}),
  });

describe('task definition of each kind of workload', () => {
  it('sidecars after the main container (not essential by default), its health check, stop timeout on all, task storage', () => {
    const td = render('web2');
    const [main, otel] = td.containerDefinitions!;
    expect(td.containerDefinitions).toHaveLength(2);
    expect(main).toMatchObject({
      name: 'web2',
      essential: true,
      stopTimeout: 60,
      healthCheck: {
        command: ['CMD-SHELL', 'curl -f http://localhost:3000/health || exit 1'],
        interval: 15,
        timeout: 5,
        retries: 3,
        startPeriod: 0,
      },
      portMappings: [{ containerPort: 3000, protocol: 'tcp' }],
    });
    expect(otel).toMatchObject({
      name: 'otel',
      image: 'otel:latest',
      essential: false,
      stopTimeout: 60,
      environment: [{ name: 'MODE', value: 'agent' }],
    });
    expect(otel!.logConfiguration!.options!['awslogs-group']).toBe('/ecs/shop/default/web2');
    expect(td.ephemeralStorage).toEqual({ sizeInGiB: 30 });
  });

  it('an internal service names its port for Service Connect', () => {
    expect(render('api').containerDefinitions![0]!.portMappings).toEqual([
      { containerPort: 8080, protocol: 'tcp', name: 'api', appProtocol: 'http' },
    ]);
  });

  it('a queue worker gets QUEUE_URL and DLQ_URL beside its own variables, and a changed URL is a change', () => {
    const td = render('jobs', { url: 'https://sqs/q', deadLetterUrl: 'https://sqs/q-dlq' });
    expect(td.containerDefinitions![0]!.environment).toEqual([
      { name: 'DLQ_URL', value: 'https://sqs/q-dlq' },
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'QUEUE_URL', value: 'https://sqs/q' },
    ]);
    const other = render('jobs', { url: 'https://sqs/other', deadLetterUrl: 'https://sqs/q-dlq' });
    expect(diffTaskDefinitions(normalizeTaskDefinition(td), normalizeTaskDefinition(td))).toEqual([]);
    expect(diffTaskDefinitions(normalizeTaskDefinition(td), normalizeTaskDefinition(other)).length).toBeGreaterThan(0);
  });

  it('a sidecar added or removed is a change', () => {
    const withSidecar = normalizeTaskDefinition(render('web2'));
    const without = render('web2');
    without.containerDefinitions = without.containerDefinitions!.slice(0, 1);
    expect(diffTaskDefinitions(withSidecar, normalizeTaskDefinition(without)).length).toBeGreaterThan(0);
  });
});

describe('scaling beside CPU', () => {
  const names = { policy: (m: string) => `p-${m}` };

  it('tracks CPU, memory and requests per target, each with its predefined metric', () => {
    const policies = wantedPolicies(CONFIG.services.web2!, names, { requestsLabel: 'app/lb/1/targetgroup/tg/2' });
    expect(policies.map((p) => p.name)).toEqual(['p-cpu', 'p-memory', 'p-requests']);
    const configs = policies.map((p) => p.body.TargetTrackingScalingPolicyConfiguration!);
    expect(configs.map((c) => [c.PredefinedMetricSpecification!.PredefinedMetricType, c.TargetValue])).toEqual([
      ['ECSServiceAverageCPUUtilization', 60],
      ['ECSServiceAverageMemoryUtilization', 70],
      ['ALBRequestCountPerTarget', 500],
    ]);
    expect(configs[2]!.PredefinedMetricSpecification!.ResourceLabel).toBe('app/lb/1/targetgroup/tg/2');
  });

  it('a queue worker scales on its backlog alone: exact task counts, zero when the queue is empty', () => {
    const [backlog, ...rest] = wantedPolicies(CONFIG.services.jobs!, names, {});
    expect(rest).toEqual([]);
    expect(backlog!.body).toMatchObject({ PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { AdjustmentType: 'ExactCapacity' } });
  });

  it('backlog steps: ⌈visible / perTask⌉ tasks within min–max, contiguous bounds, the last open-ended', () => {
    const steps = backlogSteps(0, 10, 100);
    expect(steps[0]).toEqual({ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 1, ScalingAdjustment: 0 });
    for (let i = 1; i < steps.length - 1; i++) expect(steps[i]!.MetricIntervalUpperBound).toBe(steps[i + 1]!.MetricIntervalLowerBound);
    expect(steps.at(-1)).toEqual({ MetricIntervalLowerBound: 901, ScalingAdjustment: 10 });
    const tasksFor = (visible: number) =>
      steps.find(
        (s) => visible >= s.MetricIntervalLowerBound! && (s.MetricIntervalUpperBound === undefined || visible < s.MetricIntervalUpperBound),
      )!.ScalingAdjustment;
    expect([0, 1, 100, 101, 250, 1000, 50_000].map(tasksFor)).toEqual([0, 1, 1, 2, 3, 10, 10]);
    // A floor above zero holds, and a large max is coarsened into at most 20 steps that still reach it.
    expect(backlogSteps(2, 4, 10).map((s) => s.ScalingAdjustment)).toEqual([2, 2, 2, 3, 4]);
    const big = backlogSteps(1, 1000, 5);
    expect(big.length).toBeLessThanOrEqual(20);
    expect(big.at(-1)!.ScalingAdjustment).toBe(1000);
  });
});

describe('Service Connect compare', () => {
  const server = {
    enabled: true,
    namespace: 'arn:ns',
    services: [{ portName: 'api', discoveryName: 'api', clientAliases: [{ port: 8080, dnsName: 'api' }] }],
  };

  it('compares what ECS reports on the primary deployment, else what ecs-kit recorded it sent', () => {
    const key = serviceConnectKey(server);
    expect(
      serviceConnectChange({ deployments: [{ status: 'PRIMARY', serviceConnectConfiguration: server }] }, server, undefined),
    ).toBeUndefined();
    expect(serviceConnectChange({ deployments: [{ status: 'PRIMARY' }] }, server, key)).toBeUndefined();
    expect(serviceConnectChange({ deployments: [{ status: 'PRIMARY' }] }, server, undefined)).toMatchObject({
      field: 'serviceConnectConfiguration',
      before: 'off',
    });
  });

  it('switching it off is a change, sent as enabled: false', () => {
    expect(serviceConnectChange({ deployments: [{ status: 'PRIMARY' }] }, undefined, serviceConnectKey(server))).toMatchObject({
      after: 'off',
    });
    expect(serviceConnectRequest(undefined)).toEqual({ enabled: false });
  });
});
