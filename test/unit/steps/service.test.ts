import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingDependency } from '../../../src/engine/types.js';
import { EcsKitError } from '../../../src/errors.js';
import { serviceStep } from '../../../src/steps/service/index.js';
import type { ServiceState } from '../../../src/steps/service/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, OWNER_TAGS_ECS, config, stepContext } from '../../helpers/context.js';

const ecs = mockClient(ECSClient);
// Diagnosis reads target health and logs; unmocked they could reach real AWS.
const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const logs = mockClient(CloudWatchLogsClient);
beforeEach(() => {
  elbv2.reset();
  logs.reset();
  strict(elbv2);
  strict(logs);
  ecs.reset();
  strict(ecs);
  // The load balancer is active: the URL can be printed at once.
  elbv2.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ LoadBalancerArn: 'arn:lb', State: { Code: 'active' } }] });
});
afterEach(() => {
  vi.useRealTimers();
});

const TD1 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-default-web:1';
const TD2 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-default-web:2';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-default-web/abc';
const SERVICE_ARN = 'arn:aws:ecs:us-east-1:123456789012:service/shop-default/web';
const ALARMS = ['ecs-kit/shop/default/web/5xx', 'ecs-kit/shop/default/web/unhealthy'];

const deps = (taskDefinitionArn = TD1) => ({
  cluster: { clusterName: 'shop-default', clusterArn: 'arn:c' },
  network: {
    vpcId: 'vpc-1',
    cidr: '10.0.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    publicSubnetIds: ['subnet-a', 'subnet-b'],
    internetGatewayId: 'igw-1',
    publicRouteTableId: 'rtb-1',
  },
  'task-definition:web': { family: 'shop-default-web', taskDefinitionArn, revision: Number(taskDefinitionArn.slice(-1)) },
  'security-group:web': { groupId: 'sg-web' },
  'load-balancer': {
    securityGroupId: 'sg-lb',
    loadBalancerArn: 'arn:lb',
    loadBalancerName: 'shop-default',
    dnsName: 'shop-default-1.us-east-1.elb.amazonaws.com',
    listenerArn: 'arn:l',
  },
  'target-group:web': { targetGroupArn: TG, targetGroupName: 'shop-default-web', ruleArn: 'arn:r' },
  'alarms:web': { alarmNames: ALARMS },
});

const WORKER = 'app: shop\nservices: { worker: { image: busybox, desiredCount: 2 } }';
const SCALED = 'app: shop\nservices: { web: { image: nginx, port: 80, desiredCount: 2, autoscaling: { min: 1, max: 4 } } }';

function ctxFor(opts: { yaml?: string; scope?: string; td?: string; wait?: boolean } = {}) {
  const scope = opts.scope ?? 'web';
  const d = deps(opts.td) as Record<string, object>;
  if (scope !== 'web') {
    d[`task-definition:${scope}`] = d['task-definition:web']!;
    d[`security-group:${scope}`] = { groupId: `sg-${scope}` };
  }
  const ctx = stepContext(serviceStep, { scope, deps: d, ...(opts.yaml ? { config: config(opts.yaml) } : {}) });
  ctx.options = { ...ctx.options, wait: opts.wait ?? false };
  return ctx;
}

/** What DescribeServices returns for the service as ecs-kit created it (AWS shape). */
const existing = (over: Partial<Service> = {}): Service => ({
  serviceName: 'web',
  serviceArn: SERVICE_ARN,
  status: 'ACTIVE',
  taskDefinition: TD1,
  desiredCount: 1,
  runningCount: 1,
  pendingCount: 0,
  launchType: 'FARGATE',
  platformVersion: 'LATEST',
  loadBalancers: [{ targetGroupArn: TG, containerName: 'web', containerPort: 80 }],
  networkConfiguration: {
    awsvpcConfiguration: { subnets: ['subnet-b', 'subnet-a'], securityGroups: ['sg-web'], assignPublicIp: 'ENABLED' },
  },
  healthCheckGracePeriodSeconds: 60,
  deploymentConfiguration: {
    deploymentCircuitBreaker: { enable: true, rollback: true },
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    strategy: 'ROLLING',
    alarms: { alarmNames: ALARMS, enable: true, rollback: true },
  },
  deployments: [{ id: 'd1', status: 'PRIMARY', taskDefinition: TD1, rolloutState: 'COMPLETED' }],
  events: [],
  tags: OWNER_TAGS_ECS,
  ...over,
});
const found = (over: Partial<Service> = {}) => ({ services: [existing(over)], failures: [] });
const missing = { services: [], failures: [{ arn: SERVICE_ARN, reason: 'MISSING' }] };
const awsError = (name: string) => Object.assign(new Error(name), { name });
const awsErrorWith = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('service step', () => {
  it('declares one instance per service and waits for the load balancer only for public ones', () => {
    const cfg = config('app: shop\nservices: { web: { image: nginx, port: 80 }, worker: { image: busybox } }');
    expect(serviceStep.instances(cfg)).toEqual([
      {
        scope: 'web',
        dependsOn: [
          'cluster',
          'network',
          'task-definition:web',
          'execution-role',
          'task-role:web',
          'security-group:web',
          'load-balancer',
          'target-group:web',
          'alarms:web',
        ],
      },
      {
        scope: 'worker',
        dependsOn: ['cluster', 'network', 'task-definition:worker', 'execution-role', 'task-role:worker', 'security-group:worker'],
      },
    ]);
    // Production: tasks in private subnets pull through the NAT gateways; only the deploy waits for them.
    const prod = config('app: shop\nnetwork: { profile: production }\nservices: { worker: { image: busybox } }');
    expect(serviceStep.instances(prod)).toEqual([
      {
        scope: 'worker',
        dependsOn: ['cluster', 'network', 'task-definition:worker', 'execution-role', 'task-role:worker', 'security-group:worker'],
        deployOnly: ['nat'],
      },
    ]);
  });

  it('lets a missing dependency propagate while planning a fresh environment', async () => {
    const ctx = stepContext(serviceStep, { scope: 'web' });
    await expect(serviceStep.plan(ctx)).rejects.toBeInstanceOf(PendingDependency);
  });

  it('creates a tagged Fargate service behind the load balancer, waits for the rollout and records the URL', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(missing)
      .resolves(found({ deployments: [{ id: 'd1', status: 'PRIMARY', taskDefinition: TD1, rolloutState: 'COMPLETED' }] }));
    ecs.on(CreateServiceCommand).resolves({ service: { serviceName: 'web', serviceArn: SERVICE_ARN } });
    const ctx = ctxFor({ wait: true });
    const plan = await serviceStep.plan(ctx);
    expect(plan.action).toBe('create');
    const state = await serviceStep.apply(ctx, plan);
    expect(state).toEqual({
      clusterName: 'shop-default',
      serviceName: 'web',
      serviceArn: SERVICE_ARN,
      taskDefinitionArn: TD1,
      url: 'http://shop-default-1.us-east-1.elb.amazonaws.com/',
    });
    expect(serviceStep.outputs!(state)).toEqual({ 'url.web': 'http://shop-default-1.us-east-1.elb.amazonaws.com/' });
    const input = ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      cluster: 'shop-default',
      serviceName: 'web',
      taskDefinition: TD1,
      desiredCount: 1,
      // the FARGATE provider, not launchType FARGATE: later moves to Fargate Spot are provider ↔ provider
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      platformVersion: 'LATEST',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-web'], assignPublicIp: 'ENABLED' },
      },
      loadBalancers: [{ targetGroupArn: TG, containerName: 'web', containerPort: 80 }],
      healthCheckGracePeriodSeconds: 60,
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: true, rollback: true },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
      propagateTags: 'SERVICE',
      enableECSManagedTags: true,
      tags: OWNER_TAGS_ECS,
    });
    expect(input.launchType).toBeUndefined();
    expect(input.clientToken).toMatch(/^[0-9a-f]{36}$/);
    expect(commandNames(ecs)).toEqual(['DescribeServices', 'CreateService', 'DescribeServices']);
    // the URL is printed only once the load balancer is active
    expect(elbv2.commandCalls(DescribeLoadBalancersCommand)[0]!.args[0].input).toEqual({ LoadBalancerArns: ['arn:lb'] });
    expect(ctx.messages).toContain('1/1 running, 0 pending');
  });

  it('uses the same client token when a create is retried', async () => {
    ecs.on(DescribeServicesCommand).resolves(missing);
    ecs.on(CreateServiceCommand).resolves({ service: { serviceArn: SERVICE_ARN } });
    for (let i = 0; i < 2; i++) {
      const ctx = ctxFor();
      await serviceStep.apply(ctx, await serviceStep.plan(ctx));
    }
    const [a, b] = ecs.commandCalls(CreateServiceCommand).map((c) => c.args[0].input.clientToken);
    expect(a).toBe(b);
  });

  it('creates a worker with no load balancer, no URL, and skips waiting with --no-wait', async () => {
    ecs.on(DescribeServicesCommand).resolves(missing);
    ecs.on(CreateServiceCommand).resolves({ service: { serviceName: 'worker', serviceArn: 'arn:worker' } });
    const ctx = ctxFor({ yaml: WORKER, scope: 'worker', wait: false });
    const state = await serviceStep.apply(ctx, await serviceStep.plan(ctx));
    const input = ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input;
    expect(input.loadBalancers).toBeUndefined();
    expect(input.healthCheckGracePeriodSeconds).toBeUndefined();
    expect(input.desiredCount).toBe(2);
    expect(input.networkConfiguration?.awsvpcConfiguration?.securityGroups).toEqual(['sg-worker']);
    expect(state.url).toBeUndefined();
    expect(serviceStep.outputs!(state)).toEqual({});
    expect(commandNames(ecs)).toEqual(['DescribeServices', 'CreateService']);
  });

  it('treats a missing cluster or an INACTIVE service as nothing there yet', async () => {
    ecs
      .on(DescribeServicesCommand)
      .rejectsOnce(awsError('ClusterNotFoundException'))
      .resolves(found({ status: 'INACTIVE' }));
    expect((await serviceStep.plan(ctxFor())).action).toBe('create');
    expect((await serviceStep.plan(ctxFor())).action).toBe('create');
  });

  it('explains that a DRAINING service must finish deleting first', async () => {
    ecs.on(DescribeServicesCommand).resolves(found({ status: 'DRAINING' }));
    await expect(serviceStep.plan(ctxFor())).rejects.toMatchObject({ code: 'service.draining' });
  });

  it('plans no change, with only a describe call, when the service matches', async () => {
    ecs.on(DescribeServicesCommand).resolves(found());
    const plan = await serviceStep.plan(ctxFor());
    expect(plan.changes).toEqual([]);
    expect(plan.action).toBe('noop');
    expect(plan.current).toEqual({
      clusterName: 'shop-default',
      serviceName: 'web',
      serviceArn: SERVICE_ARN,
      taskDefinitionArn: TD1,
      url: 'http://shop-default-1.us-east-1.elb.amazonaws.com/',
    });
    expect(commandNames(ecs)).toEqual(['DescribeServices']);
  });

  it('does not report drift for fields the API leaves out of its answer', async () => {
    ecs.on(DescribeServicesCommand).resolves(found({ deploymentConfiguration: undefined, healthCheckGracePeriodSeconds: undefined }));
    expect((await serviceStep.plan(ctxFor())).action).toBe('noop');
  });

  it('rolls out a new task definition revision and a changed desired count with UpdateService', async () => {
    ecs.on(DescribeServicesCommand).resolves(found({ desiredCount: 3 }));
    ecs.on(UpdateServiceCommand).resolves({ service: { serviceName: 'web', serviceArn: SERVICE_ARN } });
    const ctx = ctxFor({ td: TD2 });
    const plan = await serviceStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.changes).toEqual([
      { field: 'taskDefinition', before: TD1, after: TD2 },
      { field: 'desiredCount', before: 3, after: 1 },
    ]);
    const state = await serviceStep.apply(ctx, plan);
    expect(state.taskDefinitionArn).toBe(TD2);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({
      cluster: 'shop-default',
      service: 'web',
      taskDefinition: TD2,
      desiredCount: 1,
    });
  });

  it('waits for the update to roll out when asked to', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(found())
      .resolves(
        found({ taskDefinition: TD2, deployments: [{ id: 'd2', status: 'PRIMARY', taskDefinition: TD2, rolloutState: 'COMPLETED' }] }),
      );
    ecs.on(UpdateServiceCommand).resolves({ service: { serviceName: 'web', serviceArn: SERVICE_ARN } });
    const ctx = ctxFor({ td: TD2, wait: true });
    await serviceStep.apply(ctx, await serviceStep.plan(ctx));
    expect(commandNames(ecs)).toEqual(['DescribeServices', 'UpdateService', 'DescribeServices']);
  });

  it('fails the apply when the rollout is rolled back', async () => {
    ecs.on(DescribeServicesCommand).resolves(found());
    ecs.on(UpdateServiceCommand).resolves({ service: { serviceName: 'web', serviceArn: SERVICE_ARN } });
    const ctx = ctxFor({ td: TD2, wait: true });
    await expect(serviceStep.apply(ctx, await serviceStep.plan(ctx))).rejects.toMatchObject({ code: 'rollout.rolled-back' });
  });

  it('leaves desiredCount to the autoscaler while it is inside min/max', async () => {
    ecs.on(DescribeServicesCommand).resolves(found({ desiredCount: 4 }));
    expect((await serviceStep.plan(ctxFor({ yaml: SCALED }))).action).toBe('noop');
  });

  it('brings desiredCount back into the autoscaling range when it is outside it', async () => {
    ecs.on(DescribeServicesCommand).resolves(found({ desiredCount: 7 }));
    ecs.on(UpdateServiceCommand).resolves({ service: { serviceArn: SERVICE_ARN } });
    const ctx = ctxFor({ yaml: SCALED });
    const plan = await serviceStep.plan(ctx);
    expect(plan.changes).toEqual([{ field: 'desiredCount', before: 7, after: 4 }]);
    await serviceStep.apply(ctx, plan);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input.desiredCount).toBe(4);
  });

  it('sends the whole network configuration when a security group drifted', async () => {
    ecs.on(DescribeServicesCommand).resolves(
      found({
        networkConfiguration: {
          awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-other'], assignPublicIp: 'ENABLED' },
        },
      }),
    );
    ecs.on(UpdateServiceCommand).resolves({ service: { serviceArn: SERVICE_ARN } });
    const ctx = ctxFor();
    const plan = await serviceStep.plan(ctx);
    expect(plan.changes).toEqual([{ field: 'securityGroups', before: ['sg-other'], after: ['sg-web'] }]);
    await serviceStep.apply(ctx, plan);
    const input = ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input;
    expect(input.networkConfiguration).toEqual({
      awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-web'], assignPublicIp: 'ENABLED' },
    });
    expect(input.loadBalancers).toBeUndefined();
    expect(input.desiredCount).toBeUndefined();
    expect(input.taskDefinition).toBe(TD1);
  });

  it('attaches a load balancer to a service that had none, and restores the deployment settings', async () => {
    ecs.on(DescribeServicesCommand).resolves(
      found({
        loadBalancers: [],
        deploymentConfiguration: {
          deploymentCircuitBreaker: { enable: false, rollback: false },
          maximumPercent: 200,
          minimumHealthyPercent: 50,
        },
      }),
    );
    ecs.on(UpdateServiceCommand).resolves({ service: { serviceArn: SERVICE_ARN } });
    const ctx = ctxFor();
    const plan = await serviceStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.changes.map((c) => c.field)).toEqual([
      'loadBalancers',
      'deployment.circuitBreaker',
      'deployment.minHealthyPercent',
      'deployment.alarms',
    ]);
    await serviceStep.apply(ctx, plan);
    const input = ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input;
    expect(input.loadBalancers).toEqual([{ targetGroupArn: TG, containerName: 'web', containerPort: 80 }]);
    expect(input.healthCheckGracePeriodSeconds).toBe(60);
    expect(input.deploymentConfiguration?.minimumHealthyPercent).toBe(100);
    expect(input.deploymentConfiguration?.alarms).toEqual({ alarmNames: ALARMS, enable: true, rollback: true });
  });

  it('refuses to adopt a service with the same name that ecs-kit did not create', async () => {
    ecs.on(DescribeServicesCommand).resolves(found({ tags: [] }));
    const err = await serviceStep.plan(ctxFor()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EcsKitError);
    expect((err as EcsKitError).code).toBe('service.not-owned');
  });

  const state: ServiceState = { clusterName: 'shop-default', serviceName: 'web', serviceArn: SERVICE_ARN, taskDefinitionArn: TD1 };

  it('scales to zero, force-deletes, and waits until the service is INACTIVE', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(found({ desiredCount: 2 }))
      .resolves(found({ status: 'INACTIVE' }));
    ecs.on(UpdateServiceCommand).resolves({});
    ecs.on(DeleteServiceCommand).resolves({});
    await serviceStep.destroy(ctxFor(), state);
    expect(commandNames(ecs)).toEqual(['DescribeServices', 'UpdateService', 'DeleteService', 'DescribeServices']);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'shop-default', service: 'web', desiredCount: 0 });
    expect(ecs.commandCalls(DeleteServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'shop-default', service: 'web', force: true });
  });

  it('treats a service or cluster that is already gone as deleted', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(missing)
      .resolvesOnce(found({ status: 'INACTIVE' }))
      .rejects(awsError('ClusterNotFoundException'));
    for (let i = 0; i < 3; i++) await serviceStep.destroy(ctxFor(), state);
    expect(commandNames(ecs)).toEqual(['DescribeServices', 'DescribeServices', 'DescribeServices']);
  });

  it('treats a service that vanishes mid-teardown as deleted', async () => {
    ecs.on(DescribeServicesCommand).resolves(found());
    ecs.on(UpdateServiceCommand).rejects(awsError('ServiceNotFoundException'));
    await serviceStep.destroy(ctxFor(), state);
    expect(commandNames(ecs)).toEqual(['DescribeServices', 'UpdateService']);
  });

  it('leaves a service alone at teardown when its tags say someone else owns it', async () => {
    ecs.on(DescribeServicesCommand).resolves(found({ tags: [{ key: 'ecs-kit:app', value: 'other' }] }));
    const ctx = ctxFor();
    await serviceStep.destroy(ctx, state);
    expect(ctx.warningCodes).toEqual(['teardown.not-owned']);
    expect(ctx.warnings[0]).toContain('service web in cluster');
    expect(commandNames(ecs)).toEqual(['DescribeServices']);
  });

  it('gives up with an explanation when the service is still draining at the deadline', async () => {
    vi.useFakeTimers();
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(found({ desiredCount: 0 }))
      .resolves(found({ status: 'DRAINING', desiredCount: 0, runningCount: 1 }));
    ecs.on(DeleteServiceCommand).resolves({});
    const p = serviceStep.destroy(ctxFor(), state).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5_000);
    const err = (await p) as EcsKitError;
    expect(err.code).toBe('service.delete-timeout');
    expect(err.message).toMatch(/still DRAINING/);
    expect(commandNames(ecs)).not.toContain('UpdateService');
  });
});

describe('service step on real AWS', () => {
  const SPOT = 'app: shop\nservices: { web: { image: nginx, port: 80, capacity: fargate-spot } }';

  it('moves an older launchType FARGATE service to Fargate Spot in place, with a forced new deployment', async () => {
    ecs.on(DescribeServicesCommand).resolves(found());
    ecs.on(UpdateServiceCommand).resolves({ service: { serviceArn: SERVICE_ARN } });
    const ctx = ctxFor({ yaml: SPOT });
    const plan = await serviceStep.plan(ctx);
    expect(plan.changes).toEqual([{ field: 'capacityProviderStrategy', before: 'launchType FARGATE', after: 'FARGATE_SPOT:0:1' }]);
    await serviceStep.apply(ctx, plan);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toMatchObject({
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      forceNewDeployment: true,
    });
  });

  it('explains, instead of recreating the service, when ECS refuses the launch type → provider switch', async () => {
    ecs.on(DescribeServicesCommand).resolves(found());
    ecs
      .on(UpdateServiceCommand)
      .rejects(
        awsErrorWith('InvalidParameterException', 'Cannot update the capacity provider strategy of a service that uses a launch type.'),
      );
    const ctx = ctxFor({ yaml: SPOT });
    const err = (await serviceStep.apply(ctx, await serviceStep.plan(ctx)).catch((e: unknown) => e)) as EcsKitError;
    expect(err.code).toBe('service.launch-type');
    expect(err.fix).toContain('aws ecs delete-service --cluster shop-default --service web --force');
    expect(commandNames(ecs)).not.toContain('DeleteService');
  });

  it('moves a service between providers (Spot back to plain Fargate) with the FARGATE provider, not a launch type', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves(found({ launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }] }));
    ecs.on(UpdateServiceCommand).resolves({ service: { serviceArn: SERVICE_ARN } });
    const ctx = ctxFor();
    const plan = await serviceStep.plan(ctx);
    expect(plan.changes).toEqual([{ field: 'capacityProviderStrategy', before: 'FARGATE_SPOT:0:1', after: 'FARGATE:0:1' }]);
    await serviceStep.apply(ctx, plan);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toMatchObject({
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      forceNewDeployment: true,
    });
  });

  it('sees no change for a service created with the FARGATE provider, however the API reports it', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(found({ launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }] }));
    expect((await serviceStep.plan(ctxFor())).action).toBe('noop');
    // an API that drops the strategy and says EC2 (ecs-kit never creates launchType EC2 services)
    ecs.on(DescribeServicesCommand).resolves(found({ launchType: 'EC2' }));
    expect((await serviceStep.plan(ctxFor())).action).toBe('noop');
  });

  it('retries CreateService, with the same client token, while the ECS service-linked role is new', async () => {
    vi.useFakeTimers();
    ecs.on(DescribeServicesCommand).resolves(missing);
    ecs
      .on(CreateServiceCommand)
      .rejectsOnce(
        awsErrorWith(
          'InvalidParameterException',
          'Unable to assume the service linked role. Please verify that the ECS service linked role exists.',
        ),
      )
      .resolves({ service: { serviceName: 'web', serviceArn: SERVICE_ARN } });
    const ctx = ctxFor();
    ctx.options.propagationRetryMs = 60_000;
    const p = serviceStep.apply(ctx, await serviceStep.plan(ctx));
    await vi.advanceTimersByTimeAsync(1_500);
    expect((await p).serviceArn).toBe(SERVICE_ARN);
    const tokens = ecs.commandCalls(CreateServiceCommand).map((c) => c.args[0].input.clientToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(tokens[1]);
  });

  it('waits for a provisioning load balancer before the URL is output', async () => {
    vi.useFakeTimers();
    ecs.on(DescribeServicesCommand).resolvesOnce(missing).resolves(found());
    ecs.on(CreateServiceCommand).resolves({ service: { serviceName: 'web', serviceArn: SERVICE_ARN } });
    const lb = (code: 'provisioning' | 'active') => ({ LoadBalancers: [{ LoadBalancerArn: 'arn:lb', State: { Code: code } }] });
    elbv2.on(DescribeLoadBalancersCommand).resolvesOnce(lb('provisioning')).resolvesOnce(lb('provisioning')).resolves(lb('active'));
    const ctx = ctxFor({ wait: true });
    ctx.options.timeoutMs = 10 * 60_000;
    const p = serviceStep.apply(ctx, await serviceStep.plan(ctx));
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await p).url).toBe('http://shop-default-1.us-east-1.elb.amazonaws.com/');
    expect(ctx.messages).toContain('load balancer shop-default is provisioning; waiting for it to become active');
    expect(elbv2.commandCalls(DescribeLoadBalancersCommand).length).toBeGreaterThanOrEqual(3);
    expect(ctx.warnings).toEqual([]);
  });

  it('gives up waiting for the load balancer at --timeout with a warning, not a failure', async () => {
    ecs.on(DescribeServicesCommand).resolvesOnce(missing).resolves(found());
    ecs.on(CreateServiceCommand).resolves({ service: { serviceName: 'web', serviceArn: SERVICE_ARN } });
    elbv2.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ LoadBalancerArn: 'arn:lb', State: { Code: 'provisioning' } }] });
    const ctx = ctxFor({ wait: true });
    ctx.options.timeoutMs = 20;
    await serviceStep.apply(ctx, await serviceStep.plan(ctx));
    expect(ctx.warningCodes).toEqual(['load-balancer.provisioning']);
  });

  it('with --no-wait, only says that a new load balancer is still provisioning', async () => {
    ecs.on(DescribeServicesCommand).resolves(missing);
    ecs.on(CreateServiceCommand).resolves({ service: { serviceName: 'web', serviceArn: SERVICE_ARN } });
    elbv2.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ LoadBalancerArn: 'arn:lb', State: { Code: 'provisioning' } }] });
    const ctx = ctxFor({ wait: false });
    await serviceStep.apply(ctx, await serviceStep.plan(ctx));
    expect(ctx.warningCodes).toEqual(['load-balancer.provisioning']);
    expect(ctx.warnings).toEqual(['Load balancer shop-default is still provisioning; its URL may take a few minutes to answer.']);
    expect(elbv2.commandCalls(DescribeLoadBalancersCommand)).toHaveLength(1);
  });

  it('does not look at the load balancer on an update that keeps the same target group', async () => {
    ecs.on(DescribeServicesCommand).resolves(found());
    ecs.on(UpdateServiceCommand).resolves({ service: { serviceArn: SERVICE_ARN } });
    const ctx = ctxFor({ td: TD2 });
    await serviceStep.apply(ctx, await serviceStep.plan(ctx));
    expect(commandNames(elbv2)).toEqual([]);
  });

  const TG_NEW = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-default-web-1a2b3c/new';
  function movedContext(wait: boolean) {
    const d = deps(TD2) as Record<string, object>;
    d['target-group:web'] = {
      targetGroupArn: TG_NEW,
      targetGroupName: 'shop-default-web-1a2b3c',
      ruleArn: 'arn:r',
      retired: [{ targetGroupArn: TG, targetGroupName: 'shop-default-web' }],
    };
    const ctx = stepContext(serviceStep, { scope: 'web', deps: d });
    ctx.options = { ...ctx.options, wait };
    return ctx;
  }

  it('deletes a replaced target group only after the service moved to the new one and its rollout finished', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(found())
      .resolves(
        found({
          taskDefinition: TD2,
          loadBalancers: [{ targetGroupArn: TG_NEW, containerName: 'web', containerPort: 80 }],
          deployments: [{ id: 'd2', status: 'PRIMARY', taskDefinition: TD2, rolloutState: 'COMPLETED' }],
        }),
      );
    const order: string[] = [];
    ecs.on(UpdateServiceCommand).callsFake(async () => (order.push('UpdateService'), { service: { serviceArn: SERVICE_ARN } }));
    elbv2.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: TG }] });
    elbv2.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: TG, Tags: OWNER_TAGS }] });
    elbv2.on(DeleteTargetGroupCommand).callsFake(async () => (order.push('DeleteTargetGroup'), {}));
    const ctx = movedContext(true);
    const plan = await serviceStep.plan(ctx);
    expect(plan.changes.map((c) => c.field)).toEqual(['taskDefinition', 'loadBalancers']);
    await serviceStep.apply(ctx, plan);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input.loadBalancers).toEqual([
      { targetGroupArn: TG_NEW, containerName: 'web', containerPort: 80 },
    ]);
    expect(elbv2.commandCalls(DeleteTargetGroupCommand).map((c) => c.args[0].input)).toEqual([{ TargetGroupArn: TG }]);
    // UpdateService (then the rollout), and only then the delete
    expect(order).toEqual(['UpdateService', 'DeleteTargetGroup']);
  });

  it('keeps a replaced target group while the old tasks may still drain (--no-wait), and when the rollout fails', async () => {
    ecs.on(DescribeServicesCommand).resolves(found());
    ecs.on(UpdateServiceCommand).resolves({ service: { serviceArn: SERVICE_ARN } });
    await serviceStep.apply(movedContext(false), await serviceStep.plan(movedContext(false)));
    expect(commandNames(elbv2)).not.toContain('DeleteTargetGroup');

    // rolled back by the circuit breaker: the old group must stay
    ecs.on(DescribeServicesCommand).resolves(
      found({
        deployments: [
          { id: 'd1', status: 'PRIMARY', taskDefinition: TD1, rolloutState: 'COMPLETED' },
          { id: 'd2', status: 'ACTIVE', taskDefinition: TD2, rolloutState: 'FAILED' },
        ],
      }),
    );
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    elbv2.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
    const ctx = movedContext(true);
    await expect(serviceStep.apply(ctx, await serviceStep.plan(ctx))).rejects.toMatchObject({ code: 'rollout.rolled-back' });
    expect(commandNames(elbv2)).not.toContain('DeleteTargetGroup');
  });

  it('tells the rollout watcher not to count IAM-propagation stops right after a role changed in this run', async () => {
    vi.useFakeTimers();
    const assume =
      "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/ecs-kit/shop/default/shop-default-execution' that was provided for this task.";
    const stopped = ['t1', 't2', 't3'].map((id) => ({
      taskArn: `arn:aws:ecs:us-east-1:123456789012:task/shop-default/${id}`,
      taskDefinitionArn: TD2,
      startedBy: 'd2',
      lastStatus: 'STOPPED',
      stopCode: 'TaskFailedToStart' as const,
      stoppedReason: assume,
      stoppedAt: new Date(),
      containers: [],
    }));
    const inProgress = found({
      taskDefinition: TD2,
      runningCount: 1,
      deployments: [
        { id: 'd2', status: 'PRIMARY', taskDefinition: TD2, rolloutState: 'IN_PROGRESS' },
        { id: 'd1', status: 'ACTIVE', taskDefinition: TD1, rolloutState: 'COMPLETED' },
      ],
    });
    const done = found({
      taskDefinition: TD2,
      deployments: [{ id: 'd2', status: 'PRIMARY', taskDefinition: TD2, rolloutState: 'COMPLETED' }],
    });
    const run = async (changedAt: string | undefined) => {
      ecs.reset();
      strict(ecs);
      ecs.on(DescribeServicesCommand).resolvesOnce(found()).resolvesOnce(inProgress).resolvesOnce(inProgress).resolves(done);
      ecs
        .on(UpdateServiceCommand)
        .resolves({ service: { serviceArn: SERVICE_ARN, deployments: [{ id: 'd2', status: 'PRIMARY', taskDefinition: TD2 }] } });
      ecs.on(ListTasksCommand).resolves({ taskArns: stopped.map((t) => t.taskArn) });
      ecs.on(DescribeTasksCommand).resolves({ tasks: stopped });
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { containerDefinitions: [] } });
      logs.on(GetLogEventsCommand).resolves({ events: [] });
      elbv2.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
      const d = deps(TD2) as Record<string, object>;
      d['execution-role'] = { roleName: 'shop-default-execution', roleArn: 'arn:role', ...(changedAt ? { changedAt } : {}) };
      const ctx = stepContext(serviceStep, { scope: 'web', deps: d });
      ctx.options = { ...ctx.options, wait: true, pollIntervalMs: 10_000, timeoutMs: 15 * 60_000 };
      const p = serviceStep.apply(ctx, await serviceStep.plan(ctx)).then(
        () => undefined,
        (e: unknown) => e,
      );
      await vi.advanceTimersByTimeAsync(60_000);
      return p;
    };
    // the execution role was just created: ECS retries the launches, the deploy succeeds
    expect(await run(new Date().toISOString())).toBeUndefined();
    // the role changed long ago (or never): these stops are failures of the revision
    expect(await run(new Date(Date.now() - 60 * 60_000).toISOString())).toMatchObject({ code: 'rollout.rolled-back' });
    expect(await run(undefined)).toMatchObject({ code: 'rollout.rolled-back' });
  });
});

describe('truthful re-runs: nothing to change, but the last rollout has not completed', () => {
  const going = (running: number) =>
    found({
      runningCount: running,
      deployments: [
        { id: 'd1', status: 'PRIMARY', taskDefinition: TD1, rolloutState: running ? 'COMPLETED' : 'IN_PROGRESS', createdAt: new Date() },
      ],
    });

  it('plans the live rollout as the change, then follows it to completion without a single write', async () => {
    ecs.on(DescribeServicesCommand).resolvesOnce(going(0)).resolvesOnce(going(0)).resolves(going(1));
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    const ctx = ctxFor({ wait: true });
    const plan = await serviceStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.changes).toEqual([
      {
        field: 'rollout',
        before: 'the last rollout of shop-default-web:1 is still rolling out: 0/1 tasks running',
        after: 'wait until complete',
      },
    ]);
    await serviceStep.apply(ctx, plan);
    expect(commandNames(ecs).filter((c) => !/^(Describe|List)/.test(c))).toEqual([]);
    expect(commandNames(ecs).filter((c) => c === 'DescribeServices').length).toBeGreaterThanOrEqual(3);
  });

  it('fails the run when the live rollout does not complete within --timeout (a CI retry does not go green)', async () => {
    ecs.on(DescribeServicesCommand).resolves(going(0));
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { containerDefinitions: [] } });
    elbv2.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
    const ctx = ctxFor({ wait: true });
    await expect(serviceStep.apply(ctx, await serviceStep.plan(ctx))).rejects.toMatchObject({ code: 'rollout.timeout' });
    expect(commandNames(ecs)).not.toContain('UpdateService');
  });

  it('reports a rollout ECS marked FAILED as failing (exit 1), with nothing to wait for', async () => {
    const failed = found({
      runningCount: 0,
      deployments: [
        { id: 'd1', status: 'PRIMARY', taskDefinition: TD1, rolloutState: 'FAILED', rolloutStateReason: 'tasks failed to start' },
      ],
    });
    ecs.on(DescribeServicesCommand).resolves(failed);
    const ctx = ctxFor({ wait: false });
    const plan = await serviceStep.plan(ctx);
    expect(plan.changes[0]).toMatchObject({ field: 'rollout', after: 'fails this run (fix it and deploy again)' });
    const err = await serviceStep.apply(ctx, plan).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'rollout.unhealthy', exitCode: 1 });
    expect(commandNames(ecs)).toEqual(['DescribeServices']);
  });

  it('says "no changes" of a service that is healthy: COMPLETED, even while a task is being replaced', async () => {
    ecs.on(DescribeServicesCommand).resolves(found({ runningCount: 0 }));
    expect((await serviceStep.plan(ctxFor())).action).toBe('noop');
  });

  it('with --no-wait, says the rollout is still going and does not wait', async () => {
    ecs.on(DescribeServicesCommand).resolves(going(0));
    const ctx = ctxFor({ wait: false });
    const progress = vi.spyOn(ctx, 'progress');
    await serviceStep.apply(ctx, await serviceStep.plan(ctx));
    expect(progress.mock.calls.flat().join('\n')).toContain('not waiting for it (--no-wait)');
    expect(commandNames(ecs)).toEqual(['DescribeServices']);
  });
});
