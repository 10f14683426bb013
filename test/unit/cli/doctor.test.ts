import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DescribeRegionsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runDeploy } from '../../../src/cli/commands/deploy/index.js';
import { runDoctor } from '../../../src/cli/commands/doctor/index.js';
import { runPlan } from '../../../src/cli/commands/plan/index.js';
import { main } from '../../../src/cli/main.js';
import type { GlobalOptions, Io } from '../../../src/cli/options.js';
import { RecordingReporter } from '../../helpers/reporter.js';
import { ACCOUNT, awsError, calls, mocks, mutatingCalls, useStrictMocks } from '../doctor/fixture.js';
import { Capture } from '../ui/streams.js';

useStrictMocks();
// The commands load the AWS clients lazily: pay for it once, before the tests' clocks start.
beforeAll(async () => {
  await import('../../../src/aws/clients.js');
  await import('../../../src/doctor/index.js');
}, 60_000);

const HEALTHY = 'app: shop\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n';
const WRONG_REGION_CERT = `app: shop\nloadBalancer:\n  certificateArn: arn:aws:acm:eu-west-1:${ACCOUNT}:certificate/0a1b2c3d\n${HEALTHY.slice('app: shop\n'.length)}`;

let dir: string;
let stdout: Capture;
let io: Io;
const opts: GlobalOptions = { env: 'default', region: 'us-east-1', maxAttempts: 1, yes: true };

async function workdir(config: string): Promise<void> {
  dir = await mkdtemp(path.join(tmpdir(), 'ecs-kit-doctor-'));
  await writeFile(path.join(dir, 'ecs-kit.yml'), config);
  stdout = new Capture();
  io = { stdout, stderr: new Capture(), stdin: Readable.from([]), env: {}, cwd: dir };
}
afterEach(() => rm(dir, { recursive: true, force: true }));

/** An account where everything a first deploy of HEALTHY needs is in place. */
beforeEach(() => {
  mocks.sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ci` });
  mocks.ec2.on(DescribeRegionsCommand).resolves({ Regions: [{ RegionName: 'us-east-1', OptInStatus: 'opt-in-not-required' }] });
  mocks.iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'r', Path: '/', Arn: 'arn', RoleId: 'id', CreateDate: new Date() } });
  mocks.ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-default' }] });
  mocks.quotas.on(GetServiceQuotaCommand, { QuotaCode: 'L-F678F1CE' }).resolves({ Quota: { Value: 5 } });
  mocks.quotas.on(GetServiceQuotaCommand, { QuotaCode: 'L-53DA6B97' }).resolves({ Quota: { Value: 50 } });
  mocks.elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [] });
});

describe('ecs-kit doctor', () => {
  it('--json: one event per check in a fixed order, then a summary; exit 0; reads only, no lock, no manifest', async () => {
    await workdir(HEALTHY);
    const code = await main(['node', 'ecs-kit', 'doctor', '--json', '--region', 'us-east-1', '--max-attempts', '1'], io);
    expect(code).toBe(0);
    const events = stdout.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const checks = events.filter((e) => e.type === 'check');
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ['credentials', 'ok'],
      ['region', 'ok'],
      ['service-linked-roles', 'ok'],
      ['quotas', 'ok'],
      ['fargate-zones', 'ok'],
      ['certificate', 'skip'],
      ['secrets', 'skip'],
      ['image-architecture', 'skip'],
    ]);
    for (const c of checks) expect(Object.keys(c).sort()).toEqual(expect.arrayContaining(['message', 'name', 'status', 'time', 'type']));
    expect(events.at(-1)).toMatchObject({ type: 'check.summary', ok: 5, warn: 0, fail: 0, skip: 3, mutatingCalls: 0 });
    // The call counts come from the client middleware, which the SDK mock bypasses; the e2e test checks them.
    expect(events.at(-1)).toHaveProperty('calls');
    expect(calls().length).toBeGreaterThan(0);
    expect(mutatingCalls()).toEqual([]);
    expect(existsSync(path.join(dir, '.ecs-kit'))).toBe(false);
  });

  it('exits 1 when a check fails: a certificate from another region', async () => {
    await workdir(WRONG_REGION_CERT);
    const reporter = new RecordingReporter();
    expect(await runDoctor(opts, io, reporter)).toBe(1);
    const certificate = reporter.ofType('check').find((c) => c.name === 'certificate');
    expect(certificate).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/ACM certificates are regional; request or import one in us-east-1/),
    });
    expect(reporter.ofType('check.summary')[0]).toMatchObject({ fail: 1, mutatingCalls: 0 });
  });

  it('with rejected credentials: credentials fails, the checks that need the account are skipped, exit 1', async () => {
    await workdir(HEALTHY);
    mocks.sts
      .on(GetCallerIdentityCommand)
      .rejects(awsError('InvalidClientTokenId', 'The security token included in the request is invalid.'));
    mocks.ec2.on(DescribeRegionsCommand).rejects(awsError('AuthFailure'));
    const reporter = new RecordingReporter();
    expect(await runDoctor(opts, io, reporter)).toBe(1);
    expect(reporter.ofType('check').map((c) => [c.name, c.status])).toEqual([
      ['credentials', 'fail'],
      ['region', 'warn'],
      ['service-linked-roles', 'skip'],
      ['quotas', 'skip'],
      ['fargate-zones', 'skip'],
      ['certificate', 'skip'],
      ['secrets', 'skip'],
      ['image-architecture', 'skip'],
    ]);
  });

  it('a bad config exits 2 before any AWS call, like deploy', async () => {
    await workdir('app: shop\nservices:\n  web: { image: nginx, cpu: 300 }\n');
    await expect(runDoctor(opts, io, new RecordingReporter())).rejects.toMatchObject({ exitCode: 2 });
    expect(calls()).toEqual([]);
  });
});

describe('deploy and plan run the cheap check first', () => {
  it('deploy with a certificate from another region exits 2 after reading only the identity, changing nothing', async () => {
    await workdir(WRONG_REGION_CERT);
    await expect(runDeploy({ ...opts, wait: false }, io, new RecordingReporter())).rejects.toMatchObject({
      exitCode: 2,
      code: 'config.certificate-region',
    });
    expect(calls()).toEqual(['GetCallerIdentity']);
    expect(existsSync(path.join(dir, '.ecs-kit', 'default.lock'))).toBe(false);
  });

  it('plan refuses it the same way', async () => {
    await workdir(WRONG_REGION_CERT);
    await expect(runPlan(opts, io, new RecordingReporter())).rejects.toMatchObject({ exitCode: 2, code: 'config.certificate-region' });
    expect(calls()).toEqual(['GetCallerIdentity']);
  });
});
