import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../src/aws/clients.js';
import type { EcsKitEvent, ErrorInfo, RolloutDiagnosis } from '../../../src/engine/events.js';
import {
  consoleUrl,
  diagnose,
  explainExitCode,
  explainStopReason,
  explainTargetHealth,
  type DiagnoseInput,
} from '../../../src/rollout/diagnosis.js';
import { diagnosisLines } from '../../../src/ui/diagnosis.js';
import { JsonReporter } from '../../../src/ui/json.js';
import { PlainReporter } from '../../../src/ui/plain.js';
import { strict } from '../../helpers/aws-mock.js';
import { Capture } from '../ui/streams.js';

const ecs = mockClient(ECSClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const logs = mockClient(CloudWatchLogsClient);
beforeEach(() => {
  for (const m of [ecs, elb, logs]) {
    m.reset();
    strict(m);
  }
});

const TD = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-prod-api:7';
const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-prod-api/0123456789abcdef';
const arn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/shop-prod/${id}`;
const aws = () => ({ aws: new AwsClients({ region: 'eu-west-1', maxAttempts: 1 }) });
const input = (over: Partial<DiagnoseInput> = {}): DiagnoseInput => ({
  cluster: 'shop-prod',
  service: 'api',
  region: 'eu-west-1',
  taskDefinitionArn: TD,
  verdict: 'failed',
  summary: 'Rollout of shop-prod-api:7 to service api failed.',
  counts: { desired: 2, running: 0, pending: 1, failed: 2 },
  stoppedTaskArns: [],
  targetGroupArns: [],
  events: [],
  ...over,
});

describe('explanations', () => {
  it('explains the common exit codes in plain words', () => {
    expect(explainExitCode(137)).toMatch(/SIGKILL.*out of memory.*raise `memory`/);
    expect(explainExitCode(137, 'OutOfMemoryError: Container killed due to memory usage')).toMatch(/ran out of memory/);
    expect(explainExitCode(139)).toMatch(/segmentation fault/);
    expect(explainExitCode(1)).toMatch(/the app exited with an error/);
    expect(explainExitCode(127)).toMatch(/command was not found/);
    expect(explainExitCode(0)).toMatch(/must keep running/);
    expect(explainExitCode(130)).toBe('killed by signal 2 (exit 130).');
    expect(explainExitCode(3)).toBeUndefined();
    expect(explainExitCode(undefined)).toBeUndefined();
  });

  it('tells the image pull failures apart: missing tag, access, no route', () => {
    expect(explainStopReason('CannotPullContainerError: ref docker.io/library/ngnix:1.27: not found')).toMatch(
      /does not exist in the registry/,
    );
    expect(explainStopReason('CannotPullContainerError: pull access denied for private/app')).toMatch(
      /access was denied.*ecr:GetAuthorizationToken/,
    );
    expect(
      explainStopReason(
        'CannotPullContainerError: failed to do request: Head "https://123.dkr.ecr...": dial tcp 52.1.2.3:443: i/o timeout',
      ),
    ).toMatch(/no route to it.*public IP.*NAT gateway/);
  });

  it('explains the Docker Hub pull rate limit and points at ECR Public or a pull-through cache', () => {
    const limited =
      'CannotPullContainerError: inspect image has been retried 1 time(s): httpReaderSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:0123: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit';
    const hint = explainStopReason(limited);
    expect(hint).toMatch(/Docker Hub limits anonymous pulls/);
    expect(hint).toContain('public.ecr.aws/docker/library/<name>:<tag>');
    expect(hint).toMatch(/pull-through cache/);
  });

  it('explains secrets, logging, exec-format and health-check stops', () => {
    expect(
      explainStopReason(
        'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: AccessDeniedException',
      ),
    ).toMatch(/could not fetch a secret.*secretsmanager:GetSecretValue/);
    expect(
      explainStopReason('ResourceInitializationError: failed to validate logger args: The specified log group does not exist.'),
    ).toMatch(/could not set up logging/);
    expect(explainStopReason('CannotStartContainerError: exec /usr/local/bin/app: exec format error')).toMatch(
      /another CPU architecture.*set `cpuArchitecture`/,
    );
    expect(explainStopReason('Task failed ELB health checks in (target-group arn:…)')).toMatch(/health check kept failing/);
    expect(explainStopReason('Essential container in task exited', 'EssentialContainerExited')).toMatch(/essential container stopped/);
    expect(explainStopReason(undefined, 'SpotInterruption')).toMatch(/Spot/);
    expect(explainStopReason('something new')).toBeUndefined();
  });

  it('links the service in the ECS console of its region', () => {
    expect(consoleUrl('eu-west-1', 'shop-prod', 'api')).toBe(
      'https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/shop-prod/services/api/deployments?region=eu-west-1',
    );
  });
});

describe('diagnose', () => {
  it('reads each task once more, its task definition once, and the logs of every container', async () => {
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: arn('t2'),
          taskDefinitionArn: TD,
          lastStatus: 'STOPPED',
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
          containers: [
            { name: 'api', exitCode: 1 },
            { name: 'sidecar', exitCode: 0 },
          ],
        },
        {
          taskArn: arn('t1'),
          taskDefinitionArn: TD,
          lastStatus: 'STOPPED',
          stoppedReason: 'Essential container in task exited',
          containers: [{ name: 'api', exitCode: 1 }, { name: 'sidecar' }],
        },
      ],
    });
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        containerDefinitions: [
          {
            name: 'api',
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/shop-prod/api', 'awslogs-stream-prefix': 'ecs' } },
          },
          { name: 'sidecar', logConfiguration: { logDriver: 'awsfirelens', options: {} } },
        ],
      },
    });
    logs
      .on(GetLogEventsCommand, { logStreamName: 'ecs/api/t2' })
      .resolves({ events: [{ message: 'x'.repeat(400) }, { message: '' }, { message: 'last' }] })
      .on(GetLogEventsCommand, { logStreamName: 'ecs/api/t1' })
      .resolves({ events: [] });
    const d = await diagnose(aws(), input({ stoppedTaskArns: [arn('t2'), arn('t1')] }));
    expect(ecs.commandCalls(DescribeTasksCommand)[0]!.args[0].input).toEqual({ cluster: 'shop-prod', tasks: [arn('t2'), arn('t1')] });
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(1);
    expect(d.stoppedTasks.map((t) => t.taskId)).toEqual(['t2', 't1']);
    const [api, sidecar] = d.stoppedTasks[0]!.containers;
    // long lines are cut, blank ones dropped
    expect(api!.logs).toHaveLength(2);
    expect(api!.logs[0]).toHaveLength(300);
    expect(sidecar).toMatchObject({ name: 'sidecar', exitCode: 0, logs: [], logsNote: 'it logs with awsfirelens, not CloudWatch Logs' });
    expect(d.stoppedTasks[1]!.containers[0]!.logsNote).toBe('no logs were written (the stream is empty)');
    expect(d.notes).toEqual([]);
  });

  it('never lets a failed read hide the rest: each becomes a note', async () => {
    ecs
      .on(DescribeTasksCommand)
      .rejects(Object.assign(new Error('User is not authorized to perform: ecs:DescribeTasks'), { name: 'AccessDeniedException' }));
    elb.on(DescribeTargetHealthCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const d = await diagnose(
      aws(),
      input({ stoppedTaskArns: [arn('t1')], targetGroupArns: [TG], events: ['(service api) has started 1 tasks'] }),
    );
    expect(d.notes).toEqual([
      'could not read the stopped tasks (AccessDeniedException: User is not authorized to perform: ecs:DescribeTasks)',
      'could not read the health of target group shop-prod-api (AccessDenied: denied)',
    ]);
    const text = diagnosisLines(d);
    expect(text).toContain(
      '(could not read the stopped tasks (AccessDeniedException: User is not authorized to perform: ecs:DescribeTasks))',
    );
    expect(text).toContain('  - (service api) has started 1 tasks');
    expect(text.at(-1)).toBe(`Console: ${consoleUrl('eu-west-1', 'shop-prod', 'api')}`);
  });
});

/** A realistic failed rollout, as the watcher assembles it. */
const SAMPLE: RolloutDiagnosis = {
  service: 'web',
  cluster: 'shop-default',
  verdict: 'rolled-back',
  summary: 'Rollout of shop-default-web:2 to service web rolled back: ecs-kit put the service back on shop-default-web:1.',
  taskDefinition: 'shop-default-web:2',
  rolledBackTo: 'shop-default-web:1',
  rolledBackBy: 'ecs-kit',
  counts: { desired: 2, running: 0, pending: 1, failed: 3 },
  stoppedTotal: 3,
  stoppedTasks: [
    {
      taskId: '5f2c0c3f9a8e4d0b9c6f1e2d3a4b5c6d',
      taskDefinition: 'shop-default-web:2',
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      explanation: 'an essential container stopped, so ECS stopped the whole task; the exit code and log lines below say why.',
      containers: [
        {
          name: 'web',
          exitCode: 137,
          reason: 'OutOfMemoryError: Container killed due to memory usage',
          explanation:
            'the container ran out of memory and was killed; raise `memory` for this service in ecs-kit.yml (or make the app use less).',
          logStream: '/ecs/shop-default/web ecs/web/5f2c0c3f9a8e4d0b9c6f1e2d3a4b5c6d',
          logs: ['Loading catalog into memory…', 'loaded 1200000 products'],
        },
      ],
    },
  ],
  targets: [
    {
      targetGroup: 'shop-default-web',
      id: '10.0.1.23',
      port: 8080,
      state: 'unhealthy',
      reason: 'Target.Timeout',
      description: 'Request timed out',
      explanation: explainTargetHealth('Target.Timeout'),
    },
  ],
  events: ['(service web) has started 1 tasks: (task 5f2c0c3f9a8e4d0b9c6f1e2d3a4b5c6d).'],
  consoleUrl: consoleUrl('us-east-1', 'shop-default', 'web'),
  notes: [],
};

describe('rendering', () => {
  const reporter = () => {
    const stdout = new Capture();
    const stderr = new Capture();
    const r = new PlainReporter({ verbose: false, stdout, stderr, now: () => new Date('2026-11-21T10:00:00.000Z') });
    return { r, stdout, stderr };
  };
  const why = '3 tasks of shop-default-web:2 stopped.';
  const error: ErrorInfo = { code: 'rollout.rolled-back', message: SAMPLE.summary, why, diagnosis: SAMPLE, fix: 'Fix it.' };

  it('prints the diagnosis inside the failed step, indented under "Why:", with every line stamped', () => {
    const { r, stderr, stdout } = reporter();
    r.emit({ type: 'step.failed', step: 'service:web', title: 'ECS service (web)', error });
    // the CLI then emits the diagnosis (for JSON) and the error: neither is printed again
    r.emit({ type: 'diagnosis', ...SAMPLE });
    r.emit({ type: 'error', ...error });
    const lines = stderr.lines.map((l) => l.slice('2026-11-21T10:00:00.000Z '.length));
    expect(lines).toEqual([
      `FAILED ECS service (web): ${SAMPLE.summary}`,
      '  Why: 3 tasks of shop-default-web:2 stopped.',
      '  Tasks of shop-default-web:2: 0/2 running, 1 pending, 3 stopped.',
      '  Stopped tasks (the newest 1 of 3):',
      '    task 5f2c0c3f9a8e4d0b9c6f1e2d3a4b5c6d (shop-default-web:2) — EssentialContainerExited: Essential container in task exited',
      '      → an essential container stopped, so ECS stopped the whole task; the exit code and log lines below say why.',
      '      container web: exit code 137 — OutOfMemoryError: Container killed due to memory usage',
      '        → the container ran out of memory and was killed; raise `memory` for this service in ecs-kit.yml (or make the app use less).',
      '        last 2 log lines (/ecs/shop-default/web ecs/web/5f2c0c3f9a8e4d0b9c6f1e2d3a4b5c6d):',
      '          | Loading catalog into memory…',
      '          | loaded 1200000 products',
      '  Load balancer targets:',
      '    10.0.1.23:8080 in shop-default-web: unhealthy — Target.Timeout: Request timed out',
      '      → the health check got no answer in time: the app may not listen on that port or on 0.0.0.0, may be too slow to start, or its security group blocks the load balancer.',
      '  Recent service events:',
      '    - (service web) has started 1 tasks: (task 5f2c0c3f9a8e4d0b9c6f1e2d3a4b5c6d).',
      '  Console: https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/shop-default/services/web/deployments?region=us-east-1',
      '  Fix: Fix it.',
    ]);
    expect(stdout.text).toBe('');
  });

  it('prints a diagnosis that arrives on its own as a block', () => {
    const { r, stderr } = reporter();
    r.emit({ type: 'diagnosis', ...SAMPLE });
    const lines = stderr.lines.map((l) => l.slice(25));
    expect(lines[0]).toBe(`Diagnosis: ${SAMPLE.summary}`);
    expect(lines[1]).toBe('  Tasks of shop-default-web:2: 0/2 running, 1 pending, 3 stopped.');
    expect(lines.at(-1)).toMatch(/^ {2}Console: https:/);
  });

  it('JSON: the diagnosis is one event with its structure intact', () => {
    const stdout = new Capture();
    const r = new JsonReporter({ verbose: false, stdout, now: () => new Date('2026-11-21T10:00:00.000Z') });
    const event: EcsKitEvent = { type: 'diagnosis', step: 'service:web', ...SAMPLE };
    r.emit(event);
    const parsed = JSON.parse(stdout.lines[0]!);
    expect(parsed).toMatchObject({ type: 'diagnosis', verdict: 'rolled-back', rolledBackTo: 'shop-default-web:1', stoppedTotal: 3 });
    expect(parsed.stoppedTasks[0].containers[0]).toMatchObject({
      name: 'web',
      exitCode: 137,
      logs: ['Loading catalog into memory…', 'loaded 1200000 products'],
    });
  });
});
