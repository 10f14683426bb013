import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTaskDefinitionCommand, ECSClient, ClientException } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetRoleCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CHANGES_PENDING, runPlan } from '../../../src/cli/commands/plan/index.js';
import { runDeploy } from '../../../src/cli/commands/deploy/index.js';
import { isMutatingOperation } from '../../../src/aws/operations.js';
import { commandNames } from '../../helpers/aws-mock.js';
import { mockIdentity, sts, workdir, type Workdir } from './day2-fixture.js';

const mocks = {
  ec2: mockClient(EC2Client),
  ecs: mockClient(ECSClient),
  iam: mockClient(IAMClient),
  logs: mockClient(CloudWatchLogsClient),
  elb: mockClient(ElasticLoadBalancingV2Client),
  aas: mockClient(ApplicationAutoScalingClient),
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const all = Object.values(mocks) as AwsStub<any, any, any>[];
let w: Workdir;

/** An empty account: every read finds nothing. Any write would be answered too, so the test can see it. */
function emptyAccount(): void {
  for (const m of all) {
    m.reset();
    m.onAnyCommand().resolves({});
  }
  mocks.ec2.on(DescribeAvailabilityZonesCommand).resolves({
    AvailabilityZones: ['a', 'b', 'c'].map((z) => ({ ZoneName: `us-east-1${z}`, ZoneId: `use1-az${z}`, State: 'available' })),
  });
  mocks.iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: 'The role cannot be found.', $metadata: {} }));
  mocks.ecs
    .on(DescribeTaskDefinitionCommand)
    .rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
}

beforeEach(() => {
  mockIdentity();
  emptyAccount();
});
afterEach(() => w?.cleanup());

const calls = () => all.flatMap((m) => commandNames(m));

describe('plan', () => {
  it('on an empty account lists every step as a create, reads only, takes no lock and writes no manifest', async () => {
    w = await workdir();
    const code = await runPlan({ ...w.opts, detailedExitcode: true }, w.io, w.reporter);
    expect(code).toBe(EXIT_CHANGES_PENDING);
    const [plan] = w.reporter.ofType('plan');
    expect(plan!.steps.map((s) => [s.id, s.action])).toEqual(plan!.steps.map((s) => [s.id, 'create']));
    expect(plan!.steps.map((s) => s.id)).toEqual(
      expect.arrayContaining(['network', 'cluster', 'task-definition:web', 'load-balancer', 'service:web']),
    );
    expect(calls().length).toBeGreaterThan(0);
    expect(calls().filter(isMutatingOperation)).toEqual([]);
    expect(existsSync(w.manifestFile)).toBe(false);
    expect(existsSync(w.manifestFile.replace(/\.json$/, '.lock'))).toBe(false);
    expect(w.reporter.ofType('run.done')[0]).toMatchObject({ command: 'plan', outcome: 'planned', mutatingCalls: 0 });
  });

  it('without --detailed-exitcode, pending changes still exit 0', async () => {
    w = await workdir();
    expect(await runPlan(w.opts, w.io, w.reporter)).toBe(0);
  });

  it('deploy --dry-run is the same plan: no lock, no change, --detailed-exitcode honoured', async () => {
    w = await workdir();
    const code = await runDeploy({ ...w.opts, wait: true, dryRun: true, detailedExitcode: true }, w.io, w.reporter);
    expect(code).toBe(EXIT_CHANGES_PENDING);
    expect(w.reporter.ofType('plan')).toHaveLength(1);
    expect(w.reporter.ofType('step.start')).toEqual([]);
    expect(calls().filter(isMutatingOperation)).toEqual([]);
    expect(existsSync(w.manifestFile)).toBe(false);
  });

  it('a bad config exits 2 before any AWS call', async () => {
    w = await workdir('app: shop\nservices:\n  web: { image: nginx, cpu: 300 }\n');
    await expect(runPlan(w.opts, w.io, w.reporter)).rejects.toMatchObject({ exitCode: 2 });
    expect(sts.calls()).toHaveLength(0);
    expect(calls()).toEqual([]);
  });

  it('leaves an existing manifest byte-for-byte alone', async () => {
    const { deployedManifest } = await import('./day2-fixture.js');
    w = await workdir(undefined, deployedManifest());
    const before = await readFile(w.manifestFile, 'utf8');
    await runPlan(w.opts, w.io, w.reporter);
    expect(await readFile(w.manifestFile, 'utf8')).toBe(before);
  });
});
