import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/options.js';
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
    expect(Object.keys(config.services)).toEqual(['api', 'frontend', 'orders-worker']); // the Scheduled Job is skipped
    expect(config.services.frontend).toEqual({
      build: { context: 'frontend', dockerfile: 'Dockerfile' },
      port: 80,
      path: '/',
      healthCheckPath: '/_deephealthcheck',
      cpu: 512,
      memory: 1024,
      autoscaling: { min: 1, max: 10, targetCpu: 70 },
      desiredCount: 1,
      environment: { LOG_LEVEL: 'info' },
      secrets: { GITHUB_TOKEN: 'ssm:GITHUB_TOKEN', DB_SECRET: 'secretsmanager:shop/default/mysql' },
    });
    // A Backend Service gets no port (ecs-kit would make it public); its secrets keep their Copilot sources.
    expect(config.services.api).toMatchObject({ image: expect.stringContaining('/api:latest'), desiredCount: 2 });
    expect(config.services.api.port).toBeUndefined();
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
    // placement: private → production network; the first environment by name (prod) is the base.
    expect(config.network).toEqual({ profile: 'production', cidr: '10.0.0.0/16' });
    expect(config.loadBalancer).toEqual({ allowedCidrs: ['10.24.34.0/23'] });

    const warned = r.events.filter((e) => e.type === 'warn' && e.code === 'import.unmapped').map((e) => e.message ?? '');
    for (const field of [
      'copilot/frontend/manifest.yml: http.alias',
      'copilot/frontend/manifest.yml: exec',
      'copilot/frontend/manifest.yml: storage.ephemeral',
      'copilot/frontend/manifest.yml: count.requests',
      'copilot/api/manifest.yml: image.port',
      'copilot/api/manifest.yml: network.connect',
      'copilot/orders-worker/manifest.yml: subscribe.queue.retention',
      'copilot/report-generator/manifest.yml: type',
      'copilot/environments/prod/manifest.yml: cdn',
      'copilot/environments/test/manifest.yml',
      'region',
    ]) {
      expect(
        warned.some((w) => w.startsWith(`${field}: `)),
        field,
      ).toBe(true);
    }
    // Environment overrides: listed with the path they take once ecs-kit has environments: (issue 11).
    expect(warned).toContain(
      'copilot/frontend/manifest.yml: environments.prod.count: Per-environment overrides are not mapped yet: once ecs-kit has environments: (issue 11), write it as environments.prod.services.frontend.desiredCount.',
    );
    // The same list heads the file.
    for (const w of warned) expect(text).toContain(`# - ${w}`);
    expect(r.events.find((e) => e.code === 'import.written')?.message).toMatch(
      /3 service\(s\) \(api, frontend, orders-worker\).*environment prod/,
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
