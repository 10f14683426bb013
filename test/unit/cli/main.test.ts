import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/options.js';
import { strict } from '../../helpers/aws-mock.js';
import { Capture } from '../ui/streams.js';

const sts = mockClient(STSClient);
const ecs = mockClient(ECSClient);
const ec2 = mockClient(EC2Client);
beforeEach(() => {
  for (const m of [sts, ecs, ec2]) {
    m.reset();
    strict(m);
  }
});
const awsCalls = () => sts.calls().length + ecs.calls().length + ec2.calls().length;

async function run(args: string[], files: Record<string, string> = {}) {
  const cwd = await mkdtemp(path.join(tmpdir(), 'ecs-kit-main-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(cwd, name), text);
  const stdout = new Capture();
  const stderr = new Capture();
  const io: Io = { stdout, stderr, stdin: Readable.from([]), env: { CI: 'true', AWS_REGION: 'us-east-1' }, cwd };
  const code = await main(['node', 'ecs-kit', ...args], io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const GOOD = 'app: shop\nservices:\n  web: { image: nginx:1.27, port: 80 }\n';

describe('ecs-kit main', () => {
  it('--help lists the commands and the exit codes, exit 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/init/);
    expect(r.stdout).toMatch(/deploy/);
    expect(r.stdout).toMatch(/teardown/);
    expect(r.stdout).toMatch(/Exit codes:[\s\S]*130/);
  });

  it('--version prints the package version', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([[['deploy', '--bogus']], [['nonsense']], [['deploy', '--max-attempts', 'zero']]])(
    'usage errors from the parser exit 2: %j',
    async (args) => {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(awsCalls()).toBe(0);
    },
  );

  it('a bad --timeout exits 2 and names the flag', async () => {
    const r = await run(['deploy', '--yes', '--timeout', 'soon'], { 'ecs-kit.yml': GOOD });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--timeout: "soon" is not a duration/);
    expect(awsCalls()).toBe(0);
  });

  it('deploy without a config file exits 2, suggests init, and calls no AWS API', async () => {
    const r = await run(['deploy', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/No config file/);
    expect(r.stderr).toMatch(/ecs-kit init/);
    expect(awsCalls()).toBe(0);
  });

  it('a bad config exits 2 naming the field and the fix, before any AWS call', async () => {
    const r = await run(['deploy', '--yes'], { 'ecs-kit.yml': GOOD.replace('port: 80', 'port: 80, cpu: 300') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('services.web.cpu: 300 is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384');
    expect(awsCalls()).toBe(0);
  });

  it('global flags work before the command too (--env is validated either way)', async () => {
    for (const args of [
      ['--env', 'Bad_Env', 'deploy', '--yes'],
      ['deploy', '--env', 'Bad_Env', '--yes'],
    ]) {
      const r = await run(args, { 'ecs-kit.yml': GOOD });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--env: "Bad_Env" is not a valid environment name/);
    }
    expect(awsCalls()).toBe(0);
  });

  it('--config points at another file, and .json configs work', async () => {
    const r = await run(['deploy', '--yes', '--config', 'other.json'], {
      'other.json': '{"app": "shop", "services": {"web": {"image": "nginx", "cpu": 300}}}',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('other.json is not valid');
    expect(r.stderr).toContain('services.web.cpu');
  });

  it('with --json, errors are JSON events on stdout and nothing else is there', async () => {
    const r = await run(['deploy', '--yes', '--json'], { 'ecs-kit.yml': 'app: shop\nservices: {}\n' });
    expect(r.code).toBe(2);
    const lines = r.stdout.trim().split('\n');
    const events = lines.map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'config.invalid' });
    expect(events.at(-1).message).toContain('services: define at least one service');
  });

  it('an AWS credentials problem is explained, not dumped, exit 1', async () => {
    sts.onAnyCommand().rejects(
      Object.assign(new Error('The security token included in the request is invalid.'), {
        name: 'InvalidClientTokenId',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const r = await run(['deploy', '--yes'], { 'ecs-kit.yml': `region: us-east-1\n${GOOD}` });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/checking your AWS identity/);
    expect(r.stderr).toMatch(/Why: AWS rejected the credentials \(InvalidClientTokenId\)/);
    expect(r.stderr).toMatch(/Fix: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
