import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, cleanEnv, describeRun, runCli } from './harness/cli.js';
import { createDockerStub, type DockerStub } from './harness/docker.js';
import { startE2e, type E2e } from './harness/fixture.js';
import { copyFixture, tempDir } from './harness/workdir.js';

/**
 * The errors of a newcomer's first hour that involve AWS or Docker (issue 13, item 2), through the built CLI against
 * moto and the strict layer: each checks the message (cause and fix), the exit code and that nothing was changed.
 * The ones that need no AWS run main() in test/unit/cli/newcomer.test.ts.
 */

/** A loopback port nothing listens on: bound, noted, closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('newcomer errors against AWS', () => {
  let env: E2e;
  let docker: DockerStub;

  beforeAll(async () => {
    env = await startE2e('newcomer');
    docker = await createDockerStub();
  });

  afterAll(async () => {
    await env?.stop();
    await docker?.remove();
  });

  it('a Dockerfile deploy with no Docker daemon says so plainly before any change (no VPC, no NAT gateway)', async () => {
    const work = await tempDir('newcomer-docker');
    try {
      await copyFixture('build', work.dir, '.');
      env.proxy.clear();
      const r = await env.cli(['deploy', '--yes'], {
        cwd: work.dir,
        env: { ...docker.env({ ecrEndpoint: env.moto.endpoint }), DOCKER_STUB_NO_DAEMON: '1' },
      });
      expect(r.code, describeRun(r)).toBe(1);
      expect(r.stderr).toMatch(/Docker is not ready: the docker command cannot reach the Docker daemon/);
      expect(r.stderr).toMatch(/Start Docker/);
      expect(r.stderr).toMatch(/Nothing was changed in AWS/);
      expect(r.stderr).not.toMatch(/legacy builder is deprecated/);
      expect(env.mutating(), `AWS calls:\n${env.callList()}`).toEqual([]);
      expect((await docker.calls()).map((c) => c[0])).not.toContain('build');
    } finally {
      await work.cleanup();
    }
  });

  it('missing secrets of every service are reported at once, each with `ecs-kit secret set`, and nothing is created', async () => {
    await writeFile(
      path.join(env.dir, 'ecs-kit.yml'),
      [
        'app: shop',
        'region: us-east-1',
        'services:',
        '  web:',
        '    image: nginx:1.27',
        '    port: 80',
        '    secrets: { DB_PASSWORD: "ssm:/shop/db-password", API_KEY: "ssm:/shop/api-key" }',
        '  worker:',
        '    image: busybox:1.36',
        '    secrets: { QUEUE_TOKEN: "ssm:/shop/queue-token" }',
        '',
      ].join('\n'),
    );
    env.proxy.clear();
    const r = await env.cli(['deploy', '--yes']);
    expect(r.code, describeRun(r)).toBe(2);
    for (const name of ['/shop/db-password', '/shop/api-key', '/shop/queue-token']) expect(r.stderr).toContain(name);
    expect(r.stderr).toMatch(/ecs-kit secret set web DB_PASSWORD/);
    expect(r.stderr).toMatch(/ecs-kit secret set worker QUEUE_TOKEN/);
    expect(env.mutating(), `AWS calls:\n${env.callList()}`).toEqual([]);
  });

  it('connection refused names the URL it tried and the setting that holds it (exit 1)', async () => {
    const port = await closedPort();
    const r = await runCli(['plan'], { cwd: env.dir, endpoint: `http://127.0.0.1:${port}`, env: { AWS_MAX_ATTEMPTS: '1' } });
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${port}`);
    expect(r.stderr).toMatch(/ECONNREFUSED: nothing is listening there/);
    expect(r.stderr).toMatch(/--endpoint-url/);
  });

  it('https:// against the plain-HTTP emulator is explained without the OpenSSL text (exit 1)', async () => {
    const r = await runCli(['plan'], {
      cwd: env.dir,
      endpoint: env.proxy.endpoint.replace(/^http:/, 'https:'),
      env: { AWS_MAX_ATTEMPTS: '1' },
    });
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.stderr).toMatch(/the URL says https:\/\/, but the server answered in plain HTTP/);
    expect(r.stderr).toMatch(/Use http:\/\//);
    expect(r.stderr).not.toMatch(/ssl3_get_record|SSL routines|wrong version number/i);
  });

  it('a mistyped AWS_REGION is named as a region, not a network problem, before any AWS call (exit 2)', async () => {
    // No region in the config: AWS_REGION is the one that counts.
    await writeFile(path.join(env.dir, 'ecs-kit.yml'), 'app: shop\nservices:\n  web: { image: nginx:1.27, port: 80 }\n');
    env.proxy.clear();
    const r = await env.cli(['plan'], { env: { AWS_REGION: 'useast1' } });
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/useast1/);
    expect(r.stderr).toMatch(/AWS_REGION/);
    expect(r.stderr).not.toMatch(/reach|network/i);
    expect(env.callList()).toBe('');
  });
});

describe('the plan of a change reads as words', () => {
  let env: E2e;

  beforeAll(async () => {
    env = await startE2e('newcomer-plan');
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('names the environment variable that changed (never its value), no step ids, no guessed revision; outputs as words', async () => {
    const write = (level: string) =>
      writeFile(
        path.join(env.dir, 'ecs-kit.yml'),
        `app: shop\nregion: us-east-1\nservices:\n  web: { image: nginx:1.27, port: 80, environment: { LOG_LEVEL: ${level}, API_TOKEN_HINT: s3cr3t-value } }\n`,
      );
    await write('info');
    const deployed = await env.cli(['deploy', '--yes']);
    expect(deployed.code, describeRun(deployed)).toBe(0);
    expect(deployed.stdout).toMatch(/URL \(web\): http:\/\//);
    expect(deployed.stdout).not.toMatch(/url\.web:/);
    await write('debug');
    const r = await env.cli(['plan', '--verbose']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toMatch(/environment variable LOG_LEVEL: changed \(value not shown\)/);
    expect(r.stdout).not.toMatch(/API_TOKEN_HINT/); // unchanged: not listed
    expect(r.stdout).not.toMatch(/debug|s3cr3t-value/);
    expect(r.stdout).not.toMatch(/after [a-z-]+:[a-z]/); // no "after service:web"
    expect(r.stdout).not.toMatch(/:2\b|revision 2/); // the next revision number is AWS's to give
  });

  it('logs --follow stops on Ctrl-C with exit 0, as documented', async () => {
    const child = spawn(process.execPath, [CLI_BIN, 'logs', '--endpoint-url', env.proxy.endpoint, '--follow', '--poll-interval', '1s'], {
      cwd: env.dir,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Following: it has read the log group at least once (an AWS call through the layer) before the Ctrl-C.
    for (let i = 0; i < 100 && !env.proxy.calls.some((c) => c.operation === 'FilterLogEvents'); i++)
      await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    if (code === 'still running') child.kill('SIGKILL');
    expect(code, out).toBe(0);
    expect(out).not.toMatch(/Error|aborted/i);
  });
});
