import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ListTagsForResourceCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/options.js';
import { parseConfigText } from '../../../src/config/load.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { Capture } from '../ui/streams.js';

const sts = mockClient(STSClient);
const ssm = mockClient(SSMClient);
beforeEach(() => {
  for (const m of [sts, ssm]) {
    m.reset();
    strict(m);
  }
  sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/me' });
});

const CANARY = 'canary-7f3a9c2e-DO-NOT-PRINT';
const CONFIG = `# my shop
app: shop
services:
  web:
    image: nginx:1.27   # the image
    port: 80
    environment:
      LOG_LEVEL: info   # keep
`;

async function run(args: string[], stdin: string | undefined, files: Record<string, string> = { 'ecs-kit.yml': CONFIG }) {
  const cwd = await mkdtemp(path.join(tmpdir(), 'ecs-kit-secret-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(cwd, name), text);
  const stdout = new Capture();
  const stderr = new Capture();
  const io: Io = {
    stdout,
    stderr,
    stdin: Readable.from(stdin === undefined ? [] : [Buffer.from(stdin)]),
    env: { CI: 'true', AWS_REGION: 'us-east-1' },
    cwd,
  };
  const code = await main(['node', 'ecs-kit', ...args, '--region', 'us-east-1'], io);
  return { code, stdout: stdout.text, stderr: stderr.text, cwd };
}

describe('ecs-kit secret set', () => {
  it('stores stdin as a tagged SecureString, records it, adds the reference keeping comments, and never prints the value', async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    const r = await run(['secret', 'set', 'web', 'DB_PASSWORD', '--json', '--verbose'], `${CANARY}\n`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const put = ssm.commandCalls(PutParameterCommand)[0]!.args[0].input;
    expect(put).toMatchObject({
      Name: '/ecs-kit/shop/default/DB_PASSWORD',
      Value: CANARY,
      Type: 'SecureString',
      Tags: [
        { Key: 'ecs-kit:app', Value: 'shop' },
        { Key: 'ecs-kit:env', Value: 'default' },
      ],
    });
    const text = await readFile(path.join(r.cwd, 'ecs-kit.yml'), 'utf8');
    expect(text).toContain('# my shop');
    expect(text).toContain('# the image');
    expect(text).toContain('# keep');
    expect(parseConfigText(text).services.web!.secrets).toEqual({ DB_PASSWORD: 'ssm:/ecs-kit/shop/default/DB_PASSWORD' });
    const manifest = await readFile(path.join(r.cwd, '.ecs-kit', 'default.json'), 'utf8');
    expect(JSON.parse(manifest).steps.parameters.state).toEqual({ parameters: ['/ecs-kit/shop/default/DB_PASSWORD'] });
    for (const out of [r.stdout, r.stderr, manifest, text]) expect(out).not.toContain(CANARY);
    expect(r.stdout).toContain('ssm:/ecs-kit/shop/default/DB_PASSWORD');
  });

  it('works for apps named aws… or ssm…: the parameter lives under /ecs-kit/, and the written config loads again', async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    const r = await run(['secret', 'set', 'web', 'TOKEN'], CANARY, { 'ecs-kit.yml': CONFIG.replace('app: shop', 'app: aws-tools') });
    expect(r.code, r.stderr).toBe(0);
    expect(ssm.commandCalls(PutParameterCommand)[0]!.args[0].input.Name).toBe('/ecs-kit/aws-tools/default/TOKEN');
    const text = await readFile(path.join(r.cwd, 'ecs-kit.yml'), 'utf8');
    expect(parseConfigText(text).services.web!.secrets).toEqual({ TOKEN: 'ssm:/ecs-kit/aws-tools/default/TOKEN' });
  });

  it('keeps updating a parameter an older ecs-kit created at /<app>/<env>/NAME when the config references it', async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 3 });
    const cfg = `${CONFIG}    secrets:\n      DB: "ssm:/shop/default/DB"\n`;
    const r = await run(['secret', 'set', 'web', 'DB'], CANARY, { 'ecs-kit.yml': cfg });
    expect(r.code, r.stderr).toBe(0);
    expect(ssm.commandCalls(PutParameterCommand)[0]!.args[0].input.Name).toBe('/shop/default/DB');
    expect(await readFile(path.join(r.cwd, 'ecs-kit.yml'), 'utf8')).toBe(cfg);
  });

  it('overwrites a parameter it created before (no tags with Overwrite), and refuses one it did not', async () => {
    const exists = Object.assign(new Error('exists'), { name: 'ParameterAlreadyExists' });
    ssm.on(PutParameterCommand, { Overwrite: undefined }).rejects(exists);
    ssm.on(PutParameterCommand, { Overwrite: true }).resolves({ Version: 2 });
    ssm.on(ListTagsForResourceCommand).resolves({
      TagList: [
        { Key: 'ecs-kit:app', Value: 'shop' },
        { Key: 'ecs-kit:env', Value: 'default' },
      ],
    });
    const ok = await run(['secret', 'set', 'web', 'DB_PASSWORD'], CANARY);
    expect(ok.code).toBe(0);
    expect(commandNames(ssm)).toEqual(['PutParameter', 'ListTagsForResource', 'PutParameter']);
    expect(ssm.commandCalls(PutParameterCommand)[1]!.args[0].input.Tags).toBeUndefined();

    ssm.reset();
    strict(ssm);
    ssm.on(PutParameterCommand).rejects(exists);
    ssm.on(ListTagsForResourceCommand).resolves({ TagList: [] });
    const refused = await run(['secret', 'set', 'web', 'DB_PASSWORD'], CANARY);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not created by ecs-kit');
    expect(commandNames(ssm)).toEqual(['PutParameter', 'ListTagsForResource']);
    expect(refused.stderr).not.toContain(CANARY);
  });

  it.each([
    ['invalid variable name', ['secret', 'set', 'web', 'db-password'], CANARY, 'NAME'],
    ['reserved prefix', ['secret', 'set', 'web', 'AWS_KEY'], CANARY, 'reserves'],
    ['unknown service', ['secret', 'set', 'api', 'DB'], CANARY, 'Use one of: web'],
    ['value on argv', ['secret', 'set', 'web', 'DB', CANARY], CANARY, 'too many arguments'],
    ['empty value', ['secret', 'set', 'web', 'DB'], '\n', 'is empty'],
    ['conflicts with environment', ['secret', 'set', 'web', 'LOG_LEVEL'], CANARY, 'plain environment variable'],
    ['parameter name too long for SSM', ['secret', 'set', 'web', `A${'B'.repeat(1000)}`], CANARY, 'longer than 1011 characters'],
  ])('%s → exit 2, no AWS call, value not echoed', async (_n, args, stdin, expected) => {
    const r = await run(args, stdin);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(expected);
    expect(sts.calls().length + ssm.calls().length).toBe(0);
    if (!args.includes(CANARY)) expect(r.stderr + r.stdout).not.toContain(CANARY);
  });

  it('secret list shows names and where they live, without AWS calls', async () => {
    const cfg = `${CONFIG}    secrets:\n      DB: "ssm:/ecs-kit/shop/default/DB"\n      OLD: "ssm:/shop/default/OLD"\n      MINE: "ssm:/shop/mine"\n      API: "secretsmanager:shop/api"\n`;
    const r = await run(['secret', 'list', '--json'], undefined, { 'ecs-kit.yml': cfg });
    expect(r.code).toBe(0);
    const outputs = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'output');
    expect(outputs).toEqual(
      [
        { type: 'output', name: 'web.API', value: 'secretsmanager:shop/api (Secrets Manager)' },
        { type: 'output', name: 'web.DB', value: 'ssm:/ecs-kit/shop/default/DB (SSM Parameter Store, created by ecs-kit secret set)' },
        { type: 'output', name: 'web.MINE', value: 'ssm:/shop/mine (SSM Parameter Store)' },
        { type: 'output', name: 'web.OLD', value: 'ssm:/shop/default/OLD (SSM Parameter Store, created by ecs-kit secret set)' },
      ].map((o) => expect.objectContaining(o)),
    );
    expect(sts.calls().length + ssm.calls().length).toBe(0);
  });
});
