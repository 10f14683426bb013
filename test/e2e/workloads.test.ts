import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetGroupAttributesCommand, DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, type CliResult } from './harness/cli.js';
import { startE2e, type E2e } from './harness/fixture.js';
import { inventory, nonEmpty, total } from './harness/inventory.js';

const APP = 'shop';
const ENV = 'default';

/** Five services, one of each kind: public, internal, queue worker, scheduled job, public with sidecars and tuning. */
const CONFIG = `app: ${APP}
services:
  web: { image: nginx:1.27, port: 80 }
  api: { image: "api:\${API_TAG:-1}", port: 8080, internal: true }
  jobs:
    image: jobs:1
    queue: { visibilityTimeout: 60, maxReceives: 5 }
    autoscaling: { min: 0, max: 10, backlogPerTask: 100 }
  nightly:
    image: nightly:1
    schedule: "cron(0 3 * * ? *)"
    timezone: Europe/Berlin
  web2:
    image: nginx:1.27
    port: 3000
    path: /web2
    stopTimeout: 60
    ephemeralStorage: 30
    sidecars:
      otel: { image: public.ecr.aws/aws-observability/aws-otel-collector:latest, essential: false }
    healthCheck: { command: ["CMD-SHELL", "curl -f http://localhost:3000/health || exit 1"], interval: 15 }
    loadBalancerHealthCheck: { interval: 10, healthyThreshold: 2, deregistrationDelay: 30 }
    autoscaling: { min: 2, max: 20, targetCpu: 60, targetMemory: 70, requestsPerTarget: 500 }
`;

const ONLY_WEB = `app: ${APP}\nservices:\n  web: { image: nginx:1.27, port: 80 }\n`;
const FAST = ['--no-wait', '--poll-interval', '200ms'];

/** The last segment of each ARN (a service ARN ends in its name). */
const names = (arns: string[]) => arns.map((a) => a.split('/').at(-1)!);

/** What the CLI counted: calls and mutating calls of a run (its run.done event). */
function counts(r: CliResult): { calls: number; mutating: number } {
  const done = r.events.find((e) => e.type === 'run.done') as { calls: number; mutatingCalls: number } | undefined;
  return { calls: done?.calls ?? -1, mutating: done?.mutatingCalls ?? -1 };
}

/**
 * Every kind of workload through the built CLI and the strict AWS layer: a five-service app deploys, re-deploys with no
 * mutating call, removes one service of each kind cleanly and tears down to nothing. moto drops Service Connect from
 * what it stores, so what the CLI sent is asserted from the layer's record. The `it`s share one environment in order.
 */
describe('workloads: public, internal, queue worker, scheduled job, sidecars', () => {
  let env: E2e;
  const cli = (args: string[], extra: Record<string, string> = {}) => env.cli(args, { env: extra });
  const report: Record<string, { calls: number; mutating: number }> = {};

  beforeAll(async () => {
    env = await startE2e('workloads');
    await writeFile(path.join(env.dir, 'ecs-kit.yml'), CONFIG);
  });
  afterAll(async () => {
    // eslint-disable-next-line no-console -- call counts for the issue's closing note
    console.log(`workloads call counts: ${JSON.stringify(report)}`);
    await env?.stop();
  });

  it('deploys the five-service app', async () => {
    env.proxy.clear();
    const r = await cli(['deploy', '--yes', '--json', ...FAST]);
    expect(r.code, describeRun(r)).toBe(0);
    report.deploy = counts(r);
    // AWS's rules for what moto does not check (schedule expressions and names, queue names) found nothing to refuse.
    const refused = env.proxy.sent.filter((c) => c.answeredBy?.startsWith('scheduler.') || c.answeredBy?.startsWith('sqs.'));
    expect(refused.map((c) => `${c.operation}: ${c.answeredBy}`)).toEqual([]);
    const inv = await inventory(env.moto.endpoint, APP, ENV, env.aws);
    expect(names(inv.services).sort(), JSON.stringify(nonEmpty(inv))).toEqual(['api', 'jobs', 'web', 'web2']);
    expect(inv.queues.sort()).toEqual(['shop-default-jobs', 'shop-default-jobs-dlq', 'shop-default-schedules-dlq']);
    expect(inv.scheduleGroups).toEqual(['shop-default']);
    expect(inv.schedules).toEqual(['shop-default/nightly']);
    expect(inv.namespaces).toEqual(['shop-default']);
    // The queue's backlog alarm, and the rollback alarms every service behind the load balancer gets (issue 10).
    expect(inv.alarms.sort()).toEqual([
      'ecs-kit/shop/default/web/5xx',
      'ecs-kit/shop/default/web/unhealthy',
      'ecs-kit/shop/default/web2/5xx',
      'ecs-kit/shop/default/web2/unhealthy',
      'shop-default-jobs-backlog',
    ]);
    expect(inv.taskDefinitions).toHaveLength(5);
    expect(inv.scalableTargets.sort()).toEqual(['service/shop-default/jobs', 'service/shop-default/web2']);
  });

  it('sent Service Connect: the internal service as client-server, the others as clients; no service for the job', () => {
    const created = new Map(env.proxy.sentOf('CreateService').map((c) => [c.params.serviceName as string, c.params]));
    expect([...created.keys()].sort()).toEqual(['api', 'jobs', 'web', 'web2']);
    const api = created.get('api')!.serviceConnectConfiguration as Record<string, unknown>;
    expect(api).toMatchObject({
      enabled: true,
      namespace: expect.stringContaining(':namespace/'),
      services: [{ portName: 'api', discoveryName: 'api', clientAliases: [{ port: 8080, dnsName: 'api' }] }],
    });
    for (const caller of ['web', 'jobs', 'web2']) {
      expect(created.get(caller)!.serviceConnectConfiguration, caller).toEqual({ enabled: true, namespace: api.namespace });
    }
    // Every service's tasks are in the app's members group; the internal service has no load balancer.
    for (const [name, params] of created) {
      const groups = (params.networkConfiguration as { awsvpcConfiguration: { securityGroups: string[] } }).awsvpcConfiguration
        .securityGroups;
      expect(groups, name).toHaveLength(2);
    }
    expect(created.get('api')!.loadBalancers).toBeUndefined();
  });

  it('the internal service admits its port only from the app’s own services', async () => {
    const groups = (
      await env.aws.ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['shop-default-api', 'shop-default.services'] }] }),
      )
    ).SecurityGroups!;
    const members = groups.find((g) => g.GroupName === 'shop-default.services')!;
    const api = groups.find((g) => g.GroupName === 'shop-default-api')!;
    expect(members.IpPermissions ?? []).toEqual([]);
    expect(api.IpPermissions).toHaveLength(1);
    expect(api.IpPermissions![0]).toMatchObject({ FromPort: 8080, ToPort: 8080, IpRanges: [] });
    expect(api.IpPermissions![0]!.UserIdGroupPairs!.map((p) => p.GroupId)).toEqual([members.GroupId]);
  });

  it('the queue worker: encrypted queue with a redrive policy, its URLs in the task, its task role may consume it', async () => {
    const url = (await env.aws.sqs.send(new GetQueueUrlCommand({ QueueName: 'shop-default-jobs' }))).QueueUrl!;
    const a = (await env.aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;
    expect(a).toMatchObject({ VisibilityTimeout: '60', SqsManagedSseEnabled: 'true' });
    expect(JSON.parse(a.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: expect.stringMatching(/:shop-default-jobs-dlq$/),
      maxReceiveCount: 5,
    });
    const td = (await env.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'shop-default-jobs' }))).taskDefinition!;
    const vars = Object.fromEntries((td.containerDefinitions![0]!.environment ?? []).map((e) => [e.name, e.value]));
    expect(vars.QUEUE_URL).toMatch(/shop-default-jobs$/);
    expect(vars.DLQ_URL).toMatch(/shop-default-jobs-dlq$/);
    const policy = await env.aws.iam.send(new GetRolePolicyCommand({ RoleName: 'shop-default-jobs-task', PolicyName: 'ecs-kit' }));
    const doc = JSON.parse(decodeURIComponent(policy.PolicyDocument!)) as { Statement: { Action: string[]; Resource: string }[] };
    expect(doc.Statement).toEqual([
      expect.objectContaining({
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        Resource: a.QueueArn,
      }),
    ]);
    // Backlog scaling: exact task counts by visible messages, from 0 (scale to zero) up to 10, driven by the alarm.
    const step = env.proxy.sentOf('PutScalingPolicy').find((c) => c.params.PolicyName === 'shop-default-jobs-backlog')!;
    expect(step.params).toMatchObject({ PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { AdjustmentType: 'ExactCapacity' } });
    const steps = (step.params.StepScalingPolicyConfiguration as { StepAdjustments: { ScalingAdjustment: number }[] }).StepAdjustments;
    expect(steps[0]).toEqual({ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 1, ScalingAdjustment: 0 });
    expect(steps[1]).toEqual({ MetricIntervalLowerBound: 1, MetricIntervalUpperBound: 101, ScalingAdjustment: 1 });
    expect(steps.at(-1)).toEqual({ MetricIntervalLowerBound: 901, ScalingAdjustment: 10 });
    const alarm = env.proxy.sentOf('PutMetricAlarm').find((c) => c.params.AlarmName === 'shop-default-jobs-backlog')!;
    expect(alarm.params).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: 'shop-default-jobs' }],
    });
  });

  it('the scheduled job: a schedule in the app’s group that runs its task definition, with retries and a dead-letter queue', async () => {
    const s = await env.aws.scheduler.send(new GetScheduleCommand({ GroupName: 'shop-default', Name: 'nightly' }));
    expect(s).toMatchObject({ ScheduleExpression: 'cron(0 3 * * ? *)', ScheduleExpressionTimezone: 'Europe/Berlin', State: 'ENABLED' });
    expect(s.Target!.Arn).toMatch(/:cluster\/shop-default$/);
    expect(s.Target!.EcsParameters!.TaskDefinitionArn).toMatch(/task-definition\/shop-default-nightly:1$/);
    expect(s.Target!.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 });
    expect(s.Target!.DeadLetterConfig!.Arn).toMatch(/:shop-default-schedules-dlq$/);
    const role = (await env.aws.iam.send(new GetRoleCommand({ RoleName: 'shop-default-nightly-scheduler' }))).Role!;
    expect(s.Target!.RoleArn).toBe(role.Arn);
    expect(JSON.stringify(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)))).toContain('scheduler.amazonaws.com');
    const inline = await env.aws.iam.send(new GetRolePolicyCommand({ RoleName: 'shop-default-nightly-scheduler', PolicyName: 'ecs-kit' }));
    const doc = JSON.parse(decodeURIComponent(inline.PolicyDocument!)) as {
      Statement: { Action: string[]; Resource: string | string[] }[];
    };
    const run = doc.Statement.find((x) => x.Action.includes('ecs:RunTask'))!;
    expect(run.Resource).toEqual([expect.stringMatching(/task-definition\/shop-default-nightly:\*$/)]);
    const pass = doc.Statement.find((x) => x.Action.includes('iam:PassRole'))!;
    // Exactly the job's two roles: its execution role and its own task role, no other service's.
    expect(pass.Resource).toEqual([
      expect.stringMatching(/role\/.*shop-default-execution$/),
      expect.stringMatching(/role\/.*shop-default-nightly-task$/),
    ]);
    // No ECS service for a job.
    const svc = await env.aws.ecs.send(new DescribeServicesCommand({ cluster: 'shop-default', services: ['nightly'] }));
    expect((svc.services ?? []).filter((x) => x.status === 'ACTIVE')).toEqual([]);
  });

  it('sidecars, container health check, stop timeout, storage and load balancer tuning', async () => {
    const sent = env.proxy.sentOf('RegisterTaskDefinition').find((c) => c.params.family === 'shop-default-web2')!.params;
    const containers = sent.containerDefinitions as { name: string; essential: boolean; healthCheck?: unknown; stopTimeout?: number }[];
    expect(containers.map((c) => [c.name, c.essential])).toEqual([
      ['web2', true],
      ['otel', false],
    ]);
    expect(containers[0]!.healthCheck).toEqual({
      command: ['CMD-SHELL', 'curl -f http://localhost:3000/health || exit 1'],
      interval: 15,
      timeout: 5,
      retries: 3,
      startPeriod: 0,
    });
    expect(containers.map((c) => c.stopTimeout)).toEqual([60, 60]);
    expect(sent.ephemeralStorage).toEqual({ sizeInGiB: 30 });
    const tg = (await env.aws.elb.send(new DescribeTargetGroupsCommand({ Names: ['shop-default-web2'] }))).TargetGroups![0]!;
    expect(tg).toMatchObject({ HealthCheckIntervalSeconds: 10, HealthyThresholdCount: 2 });
    const attrs = (await env.aws.elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }))).Attributes!;
    expect(attrs.find((x) => x.Key === 'deregistration_delay.timeout_seconds')?.Value).toBe('30');
    const policies = env.proxy.sentOf('PutScalingPolicy').filter((c) => String(c.params.PolicyName).startsWith('shop-default-web2-'));
    expect(policies.map((c) => c.params.PolicyName).sort()).toEqual([
      'shop-default-web2-cpu',
      'shop-default-web2-memory',
      'shop-default-web2-requests',
    ]);
    const requests = policies.find((c) => c.params.PolicyName === 'shop-default-web2-requests')!.params;
    expect(JSON.stringify(requests)).toMatch(/"ResourceLabel":"app\/shop-default\/[^/]+\/targetgroup\/shop-default-web2\/[^"]+"/);
  });

  it('re-deploys with no mutating call', async () => {
    env.proxy.clear();
    const r = await cli(['deploy', '--yes', '--json', ...FAST]);
    expect(r.code, describeRun(r)).toBe(0);
    expect(env.mutating(), env.callList()).toEqual([]);
    report.noopDeploy = counts(r);
    // Not "no changes": moto runs no tasks, so every service is still rolling out (0 running), and a truthful re-run
    // says so instead of calling it done (issue 10); it changes nothing either way.
    expect(r.events.at(-1)).toMatchObject({ type: 'run.done', outcome: 'applied', mutatingCalls: 0 });
  });

  it('status shows the job’s schedule and next run, the queue and the internal URL; config prints the effective config', async () => {
    const r = await cli(['status', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    const services = (r.events.find((e) => e.type === 'status') as { services: Record<string, unknown>[] }).services;
    const by = (n: string) => services.find((s) => s.service === n)!;
    expect(by('nightly')).toMatchObject({
      exists: true,
      schedule: {
        expression: 'cron(0 3 * * ? *)',
        timezone: 'Europe/Berlin',
        state: 'ENABLED',
        nextRun: expect.stringMatching(/T0[12]:00:00/),
      },
    });
    expect(by('jobs')).toMatchObject({ queue: { name: 'shop-default-jobs', visible: 0, inFlight: 0, deadLetters: 0 } });
    expect(by('api')).toMatchObject({ internalUrl: 'http://api:8080' });
    const plain = await cli(['status']);
    expect(plain.stdout + plain.stderr).toMatch(/nightly: scheduled cron\(0 3 \* \* \? \*\) \(Europe\/Berlin\)/);
    env.proxy.clear();
    const c = await cli(['config'], { API_TAG: '7' });
    expect(c.code, describeRun(c)).toBe(0);
    expect(c.stdout).toContain('image: api:7');
    expect(env.proxy.calls).toEqual([]);
  });

  it('run-task <job> runs the revision its schedule runs, on the schedule’s network', async () => {
    env.proxy.clear();
    const r = await cli(['run-task', 'nightly', '--timeout', '5s', '--poll-interval', '200ms']);
    const runs = env.proxy.sentOf('RunTask');
    expect(runs, describeRun(r)).toHaveLength(1);
    const s = await env.aws.scheduler.send(new GetScheduleCommand({ GroupName: 'shop-default', Name: 'nightly' }));
    expect(runs[0]!.params).toMatchObject({
      cluster: 'shop-default',
      taskDefinition: s.Target!.EcsParameters!.TaskDefinitionArn,
      count: 1,
    });
    const vpc = (runs[0]!.params.networkConfiguration as { awsvpcConfiguration: { subnets: string[] } }).awsvpcConfiguration;
    expect(vpc.subnets).toEqual(s.Target!.EcsParameters!.NetworkConfiguration!.awsvpcConfiguration!.Subnets);
  });

  it('removes one service of each kind cleanly', async () => {
    await writeFile(path.join(env.dir, 'ecs-kit.yml'), ONLY_WEB);
    env.proxy.clear();
    const r = await cli(['deploy', '--yes', '--json', ...FAST]);
    expect(r.code, describeRun(r)).toBe(0);
    report.removeFour = counts(r);
    const inv = await inventory(env.moto.endpoint, APP, ENV, env.aws);
    expect(names(inv.services), JSON.stringify(nonEmpty(inv))).toEqual(['web']);
    expect([inv.queues, inv.scheduleGroups, inv.schedules, inv.namespaces]).toEqual([[], [], [], []]);
    expect(inv.alarms.sort()).toEqual(['ecs-kit/shop/default/web/5xx', 'ecs-kit/shop/default/web/unhealthy']);
    expect(inv.scalableTargets).toEqual([]);
    expect(inv.taskDefinitions).toHaveLength(1);
    expect(inv.roles.sort()).toEqual(['shop-default-execution', 'shop-default-web-task']);
    // The remaining service leaves Service Connect and the members group.
    const update = env.proxy.sentOf('UpdateService').find((c) => c.params.service === 'web')!;
    expect(update.params.serviceConnectConfiguration).toEqual({ enabled: false });
    expect(
      (update.params.networkConfiguration as { awsvpcConfiguration: { securityGroups: string[] } }).awsvpcConfiguration.securityGroups,
    ).toHaveLength(1);
  });

  it('tears down to nothing', async () => {
    await writeFile(path.join(env.dir, 'ecs-kit.yml'), CONFIG);
    // Back to five services first, so the teardown count is the whole app's.
    const again = await cli(['deploy', '--yes', '--json', ...FAST]);
    expect(again.code, describeRun(again)).toBe(0);
    env.proxy.clear();
    const r = await cli(['teardown', '--yes', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    report.teardown = counts(r);
    const inv = await inventory(env.moto.endpoint, APP, ENV, env.aws);
    expect(total(inv), JSON.stringify(nonEmpty(inv))).toBe(0);
  });
});
