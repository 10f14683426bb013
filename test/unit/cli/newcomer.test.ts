import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runTeardown } from '../../../src/cli/commands/teardown/index.js';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/options.js';
import type { Prompter } from '../../../src/cli/prompts.js';
import { emptyManifest } from '../../../src/engine/manifest.js';
import { strict } from '../../helpers/aws-mock.js';
import { RecordingReporter } from '../../helpers/reporter.js';
import { Capture } from '../ui/streams.js';
import { ACCOUNT, mockIdentity, sts } from './day2-fixture.js';

/**
 * The errors a newcomer meets in the first hour (issue 13, item 2) that need no AWS: each runs the CLI's main() as the
 * binary does and checks the message (cause and fix) and the exit code. The ones that need AWS are in
 * test/e2e/newcomer.test.ts.
 */

const ecs = mockClient(ECSClient);
const logs = mockClient(CloudWatchLogsClient);
const GOOD = 'app: shop\nregion: us-east-1\nservices:\n  web: { image: nginx:1.27, port: 80 }\n';

beforeEach(() => {
  mockIdentity();
  for (const m of [ecs, logs]) {
    m.reset();
    strict(m);
  }
  // The SDK reads these from process.env; the tests set them one by one.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_ENDPOINT_URL', '');
  vi.stubEnv('AWS_CONFIG_FILE', '/dev/null');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/dev/null');
});
afterEach(() => vi.unstubAllEnvs());

async function tempDir(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ecs-kit-newcomer-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

async function run(args: string[], cwd: string, io: Partial<Io> = {}) {
  const full: Io = { stdout: new Capture(), stderr: new Capture(), stdin: Readable.from([]), env: { CI: 'true' }, cwd, ...io };
  const code = await main(['node', 'ecs-kit', ...args], full);
  const stdout = (full.stdout as Capture).text;
  const json = () =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, stdout, stderr: (full.stderr as Capture).text, json };
}

const awsCalls = () => sts.calls().length + ecs.calls().length + logs.calls().length;

describe('where AWS calls go: each typo is named as that typo, before any AWS call (exit 2)', () => {
  it('--endpoint-url without a scheme says so and shows the URL to write', async () => {
    const r = await run(['status', '--endpoint-url', '127.0.0.1:5000'], await tempDir({ 'ecs-kit.yml': GOOD }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--endpoint-url: "127.0.0.1:5000" is not an http:// or https:// URL');
    expect(r.stderr).toContain('--endpoint-url http://127.0.0.1:5000');
    expect(r.stderr).not.toMatch(/Invalid URL|TypeError/);
    expect(awsCalls()).toBe(0);
  });

  it('AWS_ENDPOINT_URL without a scheme names the variable; --json carries the code', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL', 'localhost:4566');
    const r = await run(['status', '--json'], await tempDir({ 'ecs-kit.yml': GOOD }));
    expect(r.code).toBe(2);
    expect(r.json().at(-1)).toMatchObject({
      type: 'error',
      code: 'aws.endpoint',
      fix: expect.stringContaining('AWS_ENDPOINT_URL=http://localhost:4566'),
    });
    expect(awsCalls()).toBe(0);
  });

  it('AWS_REGION=useast1 is a mistyped region, not a network problem', async () => {
    vi.stubEnv('AWS_REGION', 'useast1');
    const r = await run(['status'], await tempDir({ 'ecs-kit.yml': GOOD.replace('region: us-east-1\n', '') }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"useast1" is not an AWS region ecs-kit knows; did you mean us-east-1?');
    expect(r.stderr).toContain('it comes from AWS_REGION');
    expect(r.stderr).not.toMatch(/reach|network|ENOTFOUND/i);
    expect(awsCalls()).toBe(0);
  });

  it('a region in the config that does not exist is refused with the config file and a suggestion', async () => {
    const r = await run(['status'], await tempDir({ 'ecs-kit.yml': GOOD.replace('us-east-1', 'us-east-7') }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('region: "us-east-7" is not an AWS region ecs-kit knows; did you mean us-east-1?');
    expect(awsCalls()).toBe(0);
  });

  it('AWS_PROFILE naming a profile that does not exist says that (not "set AWS_PROFILE")', async () => {
    const dir = await tempDir({
      'ecs-kit.yml': GOOD,
      'aws/config': '[default]\nregion = us-east-1\n\n[profile dev]\nregion = eu-west-1\n',
    });
    vi.stubEnv('AWS_CONFIG_FILE', path.join(dir, 'aws/config'));
    vi.stubEnv('AWS_PROFILE', 'prod');
    const r = await run(['status', '--json'], dir);
    expect(r.code).toBe(2);
    const error = r.json().at(-1)!;
    expect(error).toMatchObject({ type: 'error', code: 'aws.profile' });
    expect(error.message).toBe('AWS_PROFILE names the AWS profile "prod", which does not exist.');
    expect(error.why).toContain('profiles there: default, dev');
    expect(error.fix).toContain('aws configure list-profiles');
    expect(error.fix).not.toMatch(/^Set AWS_PROFILE \(or pass --profile\)/);
    expect(awsCalls()).toBe(0);
  });

  it('a profile that exists goes through to the AWS call', async () => {
    const dir = await tempDir({ 'ecs-kit.yml': GOOD, 'aws/credentials': '[dev]\naws_access_key_id = a\naws_secret_access_key = b\n' });
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', path.join(dir, 'aws/credentials'));
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    const r = await run(['status', '--profile', 'dev'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(sts.calls()).toHaveLength(1);
  });
});

describe('init --env KEY=VALUE', () => {
  it('refuses with exit 2 and names -e, and writes nothing', async () => {
    const dir = await tempDir();
    const r = await run(['init', '--yes', '--name', 'shop', '--image', 'nginx:1.27', '--env', 'LOG_LEVEL=info'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--env names the environment');
    expect(r.stderr).toContain('use -e LOG_LEVEL=info');
    expect(existsSync(path.join(dir, 'ecs-kit.yml'))).toBe(false);
  });

  it('-e LOG_LEVEL=info sets the variable', async () => {
    const dir = await tempDir();
    const r = await run(['init', '--yes', '--name', 'shop', '--image', 'nginx:1.27', '-e', 'LOG_LEVEL=info'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'ecs-kit.yml'), 'utf8')).toMatch(/LOG_LEVEL: info/);
  });
});

describe('commands in a subfolder', () => {
  it('find ecs-kit.yml in a parent folder, as git finds its repository', async () => {
    const dir = await tempDir({ 'ecs-kit.yml': GOOD, 'src/api/index.js': '' });
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    const r = await run(['status'], path.join(dir, 'src', 'api'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('web: not deployed');
    expect(r.stderr).not.toContain('No config file');
  });

  it('init writes in the folder it runs in, not in the parent that has one', async () => {
    const dir = await tempDir({ 'ecs-kit.yml': GOOD, 'other/README': '' });
    const r = await run(['init', '--yes', '--name', 'other', '--image', 'nginx:1.27'], path.join(dir, 'other'));
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'other', 'ecs-kit.yml'))).toBe(true);
    expect(await readFile(path.join(dir, 'ecs-kit.yml'), 'utf8')).toBe(GOOD);
  });

  it('without one anywhere up the tree, the error still suggests init (exit 2)', async () => {
    const r = await run(['status'], await tempDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ecs-kit init');
  });
});

describe('one YAML slip', () => {
  it('is reported alone, with its line, instead of a cascade (exit 2)', async () => {
    const slip =
      'app: shop\nservices:\n  web:\n    image: nginx:1.27\n   port: 80\n    cpu: 256\n    memory: 512\n    environment:\n      A: "1"\n';
    const r = await run(['status'], await tempDir({ 'ecs-kit.yml': slip }));
    expect(r.code).toBe(2);
    expect(r.stderr.match(/YAML syntax error/g)).toHaveLength(1);
    expect(r.stderr).toContain('at line 5');
    expect(r.stderr).toContain('line 5:    port: 80');
    expect(awsCalls()).toBe(0);
  });

  it('once the YAML parses, every schema and rule problem comes in one pass', async () => {
    const bad =
      'app: shop\nservices:\n  web: { image: nginx, port: 80, cpu: 300, logRetentionDays: 2, build: { dockerfile: ../Dockerfile } }\n';
    const r = await run(['status'], await tempDir({ 'ecs-kit.yml': bad }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('services.web.cpu: 300 is not a Fargate size');
    expect(r.stderr).toContain('services.web.logRetentionDays');
    expect(r.stderr).toContain('services.web.build.dockerfile');
  });
});

describe('--help', () => {
  it('wraps to the terminal and ends with examples', async () => {
    const stdout = new Capture({ isTTY: true, columns: 60 });
    const r = await run(['deploy', '--help'], await tempDir(), { stdout });
    expect(r.code).toBe(0);
    const lines = stdout.text.split('\n');
    expect(
      lines.filter((l) => l.length > 60 && !l.trimStart().startsWith('$ ')),
      'lines wider than the terminal',
    ).toEqual([]);
    expect(stdout.text).toMatch(/Examples:\n {2}\$ ecs-kit deploy\n/);
  });
});

/** A terminal for inquirer: keystrokes in, the screen out. */
function fakeTerminal() {
  const stdin = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode: (on: boolean) => void };
  stdin.isTTY = true;
  stdin.setRawMode = () => undefined;
  const stderr = new Capture({ isTTY: true, columns: 100 });
  return { stdin, stderr };
}

describe('interactive init', () => {
  it('refuses an unknown region when it is typed, so no later answer is lost', async () => {
    vi.stubEnv('AWS_REGION', '');
    const dir = await tempDir();
    const { stdin, stderr } = fakeTerminal();
    const stdout = new Capture();
    const flags = ['--name', 'shop', '--image', 'nginx:1.27', '--port', '80', '--cpu', '256', '--count', '1'];
    const more = ['--health-check-path', '/', '--no-autoscaling', '-e', 'A=b', '--network', 'learning', '--capacity', 'fargate'];
    const done = main(['node', 'ecs-kit', 'init', ...flags, ...more], { stdout, stderr, stdin, env: {}, cwd: dir });
    const screen = async (text: string) => {
      for (let i = 0; i < 100 && !stderr.text.includes(text); i++) await new Promise((r) => setTimeout(r, 20));
      return stderr.text;
    };
    await screen('AWS region');
    stdin.write('\u007f'.repeat(20));
    stdin.write('us-est-1\r');
    expect(await screen('did you mean us-east-1?')).toContain('"us-est-1" is not an AWS region ecs-kit knows; did you mean us-east-1?');
    stdin.write('\u007f'.repeat(20));
    stdin.write('us-east-2\r');
    expect(await done).toBe(0);
    expect(await readFile(path.join(dir, 'ecs-kit.yml'), 'utf8')).toMatch(/^region: us-east-2$/m);
  });
});

describe('teardown', () => {
  it('asks for the app name without a look of a default, and leaves the time at the prompt out of the duration', async () => {
    const dir = await tempDir({ 'ecs-kit.yml': GOOD });
    const manifest = emptyManifest('shop', 'default', ACCOUNT, 'us-east-1');
    manifest.steps['logs:web'] = {
      kind: 'logs',
      scope: 'web',
      dependsOn: [],
      state: { logGroupName: '/ecs/shop/default/web' },
      updatedAt: manifest.updatedAt,
    };
    await mkdir(path.join(dir, '.ecs-kit'));
    await writeFile(path.join(dir, '.ecs-kit', 'default.json'), JSON.stringify(manifest));
    logs.onAnyCommand().resolves({});
    const asked: string[] = [];
    const slow: Prompter = {
      input: async (q) => {
        asked.push(q.message);
        await new Promise((r) => setTimeout(r, 600));
        return 'shop';
      },
      number: () => Promise.reject(new Error('unexpected')),
      select: () => Promise.reject(new Error('unexpected')),
      confirm: () => Promise.reject(new Error('unexpected')),
      checkbox: () => Promise.reject(new Error('unexpected')),
    };
    const tty = { isTTY: true } as const;
    const io: Io = { stdout: new Capture(), stderr: new Capture(tty), stdin: Object.assign(Readable.from([]), tty), env: {}, cwd: dir };
    const reporter = new RecordingReporter();
    expect(await runTeardown({ env: 'default', maxAttempts: 1 }, io, reporter, slow)).toBe(0);
    expect(asked).toEqual([
      'This deletes everything ecs-kit created for shop/default. To confirm, type the app name, shop, and press Enter:',
    ]);
    expect(asked[0]).not.toMatch(/\(shop\)/);
    const done = reporter.ofType('run.done')[0]!;
    expect(done.outcome).toBe('applied');
    expect(done.durationMs, 'the 600 ms at the prompt are not part of the run').toBeLessThan(500);
  });
});
