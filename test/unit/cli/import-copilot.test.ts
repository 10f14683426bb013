import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/options.js';
import { containerHealthCheck, loadBalancerHealthCheck, seconds } from '../../../src/cli/commands/import/copilot-health.js';
import { copilotSchedule } from '../../../src/cli/commands/import/copilot-schedule.js';
import { mapCopilot } from '../../../src/cli/commands/import/copilot.js';
import { parseConfigText } from '../../../src/config/load.js';
import { Capture } from '../ui/streams.js';

/**
 * `ecs-kit import copilot` on a workspace written from Copilot's documented manifest samples
 * (test/unit/cli/fixtures/copilot-app: Load Balanced Web, Backend and Worker Services, a Scheduled Job, two environments).
 */

const FIXTURE = new URL('./fixtures/copilot-app/', import.meta.url);

async function workspace(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ecs-kit-copilot-'));
  await cp(FIXTURE, dir, { recursive: true });
  return dir;
}

async function run(args: string[], cwd: string) {
  const stdout = new Capture();
  const stderr = new Capture();
  // No credentials and no region: an AWS call could not succeed, and --verbose would show it as an aws.call event.
  const io: Io = { stdout, stderr, stdin: Readable.from([]), env: { CI: 'true' }, cwd };
  const code = await main(['node', 'ecs-kit', ...args], io);
  const events = stdout.lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as { type: string; code?: string; message?: string }];
    } catch {
      return [];
    }
  });
  return { code, out: stdout.text, err: stderr.text, events };
}

describe('ecs-kit import copilot', () => {
  it('maps the services and the environment, lists every field it could not map, and calls no AWS API', async () => {
    const dir = await workspace();
    const r = await run(['import', 'copilot', '--json', '--verbose'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.events.filter((e) => e.type === 'aws.call')).toEqual([]);
    const text = await readFile(path.join(dir, 'ecs-kit.yml'), 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=/);
    // deploy's own loader accepts it.
    expect(() => parseConfigText(text)).not.toThrow();
    const config = parse(text) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(config.app).toBe('shop');
    expect(Object.keys(config.services)).toEqual(['api', 'frontend', 'orders-worker', 'report-generator']);
    expect(config.services.frontend).toEqual({
      build: { context: 'frontend', dockerfile: 'Dockerfile' },
      port: 80,
      path: '/',
      healthCheckPath: '/_deephealthcheck',
      // http.healthcheck timing ("15s", "10s") and deregistration_delay ("50s") in seconds.
      loadBalancerHealthCheck: { interval: 15, timeout: 10, healthyThreshold: 4, unhealthyThreshold: 2, deregistrationDelay: 50 },
      cpu: 512,
      memory: 1024,
      autoscaling: { min: 1, max: 10, targetCpu: 70 },
      desiredCount: 1,
      environment: { LOG_LEVEL: 'info' },
      // ${COPILOT_ENVIRONMENT_NAME} is the base environment's name here, each other environment's in its override.
      secrets: { GITHUB_TOKEN: 'ssm:GITHUB_TOKEN', DB_SECRET: 'secretsmanager:shop/prod/mysql' },
    });
    // A Backend Service is an internal service (Service Connect) on its port; its secrets keep their Copilot sources.
    expect(config.services.api).toMatchObject({
      image: expect.stringContaining('/api:latest'),
      desiredCount: 2,
      port: 8080,
      internal: true,
    });
    // image.healthcheck is the container's own health check.
    expect(config.services.api.healthCheck).toEqual({
      command: ['CMD-SHELL', 'curl -f http://localhost:8080 || exit 1'],
      interval: 10,
      timeout: 5,
      retries: 2,
      startPeriod: 0,
    });
    expect(config.services.api.secrets).toEqual({
      GITHUB_WEBHOOK_SECRET: 'ssm:GH_WEBHOOK_SECRET',
      DB_PASSWORD: 'secretsmanager:mysql:password',
    });
    expect(config.services['orders-worker']).toMatchObject({
      capacity: 'fargate-spot',
      desiredCount: 2,
      command: ['node', 'worker.js'],
      logRetentionDays: 14,
    });
    // A Scheduled Job is a schedule: job ("@daily" → midnight UTC every day).
    expect(config.services['report-generator']).toEqual({
      build: { context: 'report-generator', dockerfile: 'Dockerfile' },
      schedule: 'cron(0 0 * * ? *)',
      cpu: 256,
      memory: 512,
      environment: { S3_BUCKET_NAME: 'my-bucket' },
    });
    // Every other environment, and each service's environments.<env>, is an override: what differs from the base.
    expect(config.environments).toEqual({
      prod: { services: { frontend: { desiredCount: 3, environment: { LOG_LEVEL: 'warn' } } } },
      test: {
        network: {
          profile: null,
          cidr: null,
          azs: null,
          vpcId: 'vpc-0abc1234',
          publicSubnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'],
          privateSubnetIds: ['subnet-0ccc3333', 'subnet-0ddd4444'],
        },
        cluster: { containerInsights: true },
        loadBalancer: { certificateArn: expect.stringMatching(/^arn:aws:acm:us-west-2:123456789012:certificate\//) },
        services: { api: { desiredCount: 1 }, frontend: { secrets: { DB_SECRET: 'secretsmanager:shop/test/mysql' } } },
      },
    });
    // ecs-kit's loader resolves each environment to what Copilot deployed there.
    const prod = parseConfigText(text, 'ecs-kit.yml', { env: 'prod' });
    expect(prod.services.frontend).toMatchObject({ desiredCount: 3, environment: { LOG_LEVEL: 'warn' } });
    expect(prod.network).toMatchObject({ profile: 'production', cidr: '10.0.0.0/16' });
    const test = parseConfigText(text, 'ecs-kit.yml', { env: 'test' });
    expect(test.network).toMatchObject({ vpcId: 'vpc-0abc1234', privateSubnetIds: ['subnet-0ccc3333', 'subnet-0ddd4444'] });
    expect(test.cluster.containerInsights).toBe(true);
    expect(test.services.api!.desiredCount).toBe(1);
    expect(test.services.frontend!.secrets).toMatchObject({ DB_SECRET: 'secretsmanager:shop/test/mysql' });
    expect(test.loadBalancer?.allowedCidrs).toEqual(['10.24.34.0/23']);
    // placement: private → production network; the first environment by name (prod) is the base.
    expect(config.network).toEqual({ profile: 'production', cidr: '10.0.0.0/16', azs: 2 }); // two public subnets: two zones
    expect(config.loadBalancer).toEqual({ allowedCidrs: ['10.24.34.0/23'] });

    const warned = r.events.filter((e) => e.type === 'warn' && e.code === 'import.unmapped').map((e) => e.message ?? '');
    for (const field of [
      'copilot/frontend/manifest.yml: http.alias',
      'copilot/frontend/manifest.yml: exec',
      'copilot/frontend/manifest.yml: storage.ephemeral',
      'copilot/frontend/manifest.yml: count.requests',
      'copilot/frontend/manifest.yml: environments.qa.http.alias',
      'copilot/frontend/manifest.yml: http.healthcheck.port',
      'copilot/frontend/manifest.yml: http.healthcheck.success_codes',
      'copilot/frontend/manifest.yml: http.healthcheck.grace_period',
      'copilot/api/manifest.yml: environments.test.deployment.rolling',
      'copilot/orders-worker/manifest.yml: subscribe.queue.retention',
      'copilot/report-generator/manifest.yml: retries',
      'copilot/report-generator/manifest.yml: timeout',
      'copilot/environments/prod/manifest.yml: cdn',
      'region',
    ]) {
      expect(
        warned.some((w) => w.startsWith(`${field}: `)),
        field,
      ).toBe(true);
    }
    // What maps is not listed: the Backend Service's port and Service Connect, the job's schedule, the overrides.
    for (const field of [
      'api/manifest.yml: image.port',
      'api/manifest.yml: network.connect',
      'api/manifest.yml: image.healthcheck',
      'frontend/manifest.yml: http.healthcheck.interval',
      'frontend/manifest.yml: http.deregistration_delay',
      'report-generator/manifest.yml: type',
    ])
      expect(
        warned.some((w) => w.startsWith(`copilot/${field}: `)),
        field,
      ).toBe(false);
    expect(warned.filter((w) => /environments\.(prod|test)\.(count|variables|secrets)/.test(w))).toEqual([]);
    expect(warned.some((w) => w.startsWith('copilot/environments/test/manifest.yml'))).toBe(false);
    // The same list heads the file.
    for (const w of warned) expect(text).toContain(`# - ${w}`);
    expect(r.events.find((e) => e.code === 'import.written')?.message).toMatch(
      /4 service\(s\) \(api, frontend, orders-worker, report-generator\).*environment prod, overrides for --env prod, --env test/,
    );
  });

  it('--env picks the environment: an imported VPC, its subnets, the certificate and Container Insights', async () => {
    const dir = await workspace();
    const r = await run(['import', 'copilot', '--env', 'test', '--config', 'ecs-kit.test.yml'], dir);
    expect(r.code, r.err).toBe(0);
    const config = parse(await readFile(path.join(dir, 'ecs-kit.test.yml'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(config.network).toEqual({
      vpcId: 'vpc-0abc1234',
      publicSubnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'],
      privateSubnetIds: ['subnet-0ccc3333', 'subnet-0ddd4444'],
    });
    expect(config.loadBalancer.certificateArn).toMatch(/^arn:aws:acm:us-west-2:123456789012:certificate\//);
    expect(config.cluster).toEqual({ containerInsights: true });
    // prod becomes the override now: its own network back, and its service overrides.
    const text = await readFile(path.join(dir, 'ecs-kit.test.yml'), 'utf8');
    const prod = parseConfigText(text, 'ecs-kit.test.yml', { env: 'prod' });
    expect(prod.network).toMatchObject({ profile: 'production', cidr: '10.0.0.0/16' });
    expect(prod.network.vpcId).toBeUndefined();
    expect(prod.cluster.containerInsights).toBe(false);
    expect(prod.services.frontend!.secrets).toMatchObject({ DB_SECRET: 'secretsmanager:shop/prod/mysql' });
  });

  it('an override ecs-kit would reject for one environment: exit 2 naming --env, nothing written', async () => {
    const dir = await workspace();
    const api = path.join(dir, 'copilot/api/manifest.yml');
    await writeFile(api, `${await readFile(api, 'utf8')}  staging:\n    cpu: 300\n`);
    const r = await run(['import', 'copilot'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/would not be valid for --env staging, so nothing was written/);
    await expect(readFile(path.join(dir, 'ecs-kit.yml'), 'utf8')).rejects.toThrow();
  });

  it('takes the workspace folder as an argument and writes the config there, with build paths from it', async () => {
    const dir = await workspace();
    const r = await run(['import', 'copilot', path.basename(dir)], path.dirname(dir));
    expect(r.code, r.err).toBe(0);
    const config = parse(await readFile(path.join(dir, 'ecs-kit.yml'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(config.services.frontend.build).toEqual({ context: 'frontend', dockerfile: 'Dockerfile' });
  });

  it('without a Copilot workspace: exit 2, says where it looked and what to pass', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ecs-kit-nocopilot-'));
    const r = await run(['import', 'copilot'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/No Copilot workspace in .*copilot\/\.workspace is missing/);
    expect(r.err).toMatch(/ecs-kit import copilot <dir>/);
  });

  it('refuses to overwrite an existing ecs-kit.yml without --force (exit 2), and overwrites with it', async () => {
    const dir = await workspace();
    await writeFile(path.join(dir, 'ecs-kit.yml'), 'app: mine\n');
    const r = await run(['import', 'copilot'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/ecs-kit.yml already exists; the import did not change it/);
    expect(await readFile(path.join(dir, 'ecs-kit.yml'), 'utf8')).toBe('app: mine\n');
    expect((await run(['import', 'copilot', '--force'], dir)).code).toBe(0);
  });
});

describe('Copilot schedules as EventBridge Scheduler expressions', () => {
  it.each([
    ['@hourly', 'cron(0 * * * ? *)'],
    ['@daily', 'cron(0 0 * * ? *)'],
    ['@weekly', 'cron(0 0 ? * SUN *)'],
    ['@monthly', 'cron(0 0 1 * ? *)'],
    ['@yearly', 'cron(0 0 1 1 ? *)'],
    ['@every 30m', 'rate(30 minutes)'],
    ['@every 1h30m', 'rate(90 minutes)'],
    ['@every 2h', 'rate(2 hours)'],
    ['@every 24h', 'rate(1 day)'],
    ['0 9 * * 1-5', 'cron(0 9 ? * 2-6 *)'], // Monday-Friday: 1-5 in cron, 2-6 in EventBridge
    ['0 3 * * 0', 'cron(0 3 ? * 1 *)'], // Sunday
    ['*/15 * * * *', 'cron(*/15 * * * ? *)'],
    ['30 2 1 * *', 'cron(30 2 1 * ? *)'],
  ])('%s → %s', (copilot, expression) => {
    expect(copilotSchedule(copilot)).toEqual({ expression });
  });

  it.each([
    ['none', /does not run it on a schedule/],
    ['@every 30s', /whole minutes/],
    ['0 0 1 * 1', /both day of month and day of week/],
    ['@reboot', /not a schedule Copilot documents/],
  ])('%s has no ecs-kit schedule', (copilot, why) => {
    const out = copilotSchedule(copilot);
    expect('problem' in out && out.problem).toMatch(why);
  });

  it('a job without an ecs-kit schedule is skipped and listed; an override of the schedule maps per environment', () => {
    const job = (schedule: string, environments?: unknown) => ({
      dir: 'report',
      manifest: { name: 'report', type: 'Scheduled Job', image: { location: 'busybox' }, on: { schedule }, environments },
    });
    const ws = (s: ReturnType<typeof job>) => ({ workspace: { application: 'shop' }, services: [s], environments: [] });
    const skipped = mapCopilot(ws(job('none')), (p) => p);
    expect(skipped.config.services).toEqual({});
    expect(skipped.unmapped.map((u) => u.field)).toContain('copilot/report/manifest.yml: on.schedule');
    const per = mapCopilot(ws(job('@daily', { test: { on: { schedule: '@every 5m' } } })), (p) => p);
    expect(per.config.services).toEqual({ report: { image: 'busybox', schedule: 'cron(0 0 * * ? *)' } });
    expect(per.config.environments).toEqual({ test: { services: { report: { schedule: 'rate(5 minutes)' } } } });
  });
});

describe('Copilot health checks', () => {
  it("durations in seconds; a value outside ecs-kit's range or a command it cannot run is listed, not written", () => {
    expect(seconds('1m30s')).toBe(90);
    expect(seconds('2m')).toBe(120);
    expect(seconds(15)).toBe(15);
    expect(seconds('1.5s')).toBeUndefined();
    const notes: string[] = [];
    const note = (f: string, t: string) => notes.push(`${f}: ${t}`);
    expect(containerHealthCheck({ command: ['CMD', 'true'], interval: '10m', retries: 3 }, note)).toEqual({
      command: ['CMD', 'true'],
      retries: 3,
    });
    expect(notes).toEqual([
      expect.stringMatching(/^image\.healthcheck\.interval: Not mapped: "10m" is outside ecs-kit's interval range \(5-300 s\)/),
    ]);
    expect(containerHealthCheck({ command: 'curl localhost' }, note)).toBeUndefined();
    expect(notes.at(-1)).toMatch(/^image\.healthcheck\.command: Not mapped/);
    expect(loadBalancerHealthCheck({ healthcheck: { healthy_threshold: 1 }, deregistration_delay: '2h' }, note)).toEqual({});
    expect(notes.slice(-2).map((n) => n.split(':')[0])).toEqual(['http.healthcheck.healthy_threshold', 'http.deregistration_delay']);
  });
});
