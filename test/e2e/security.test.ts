import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, type CliResult } from './harness/cli.js';
import { startE2e, type E2e } from './harness/fixture.js';
import type { Clients } from './harness/inventory.js';
import type { Moto } from './harness/moto.js';
import type { StrictProxy } from './harness/strict/proxy.js';

/**
 * Secrets end to end through the strict AWS layer: preflight refuses a missing secret before any change,
 * `secret set` stores a value from stdin, deploy wires SSM and Secrets Manager secrets into
 * the task definition and the execution role's policy, teardown deletes only ecs-kit's
 * parameter. Canary values planted in moto and on stdin must never appear in anything the
 * CLI wrote.
 */
describe('security: secrets, least-privilege execution role, canary scan', () => {
  let env: E2e;
  let moto: Moto;
  let proxy: StrictProxy;
  let aws: Clients;
  let ssm: SSMClient;
  let sm: SecretsManagerClient;
  let secretArn: string;
  const runs: CliResult[] = [];
  const cli = async (args: string[], input?: string) => {
    const r = await env.cli(args, input !== undefined ? { input } : {});
    runs.push(r);
    return r;
  };
  const CANARY_SSM = 'canary-ssm-0d1e2f3a4b5c';
  const CANARY_SM = 'canary-sm-9a8b7c6d5e4f';
  const CANARY_STDIN = 'canary-stdin-1122334455';
  const CANARIES = [CANARY_SSM, CANARY_SM, CANARY_STDIN];

  const config = (extra = '') => `# shop config
app: shop
services:
  web:
    image: nginx:1.27
    port: 80
    secrets:   # references only
      DB_PASSWORD: "ssm:/shop/db-password"
      API_KEY: "secretsmanager:shop/api-key"
      API_PASSWORD: "secretsmanager:shop/api-key:password"
${extra}`;

  beforeAll(async () => {
    env = await startE2e('security');
    ({ moto, proxy, aws } = env);
    const cfg = {
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    };
    ssm = new SSMClient(cfg);
    sm = new SecretsManagerClient(cfg);
    // The user's own secrets, made outside ecs-kit (straight into moto, not through the layer).
    await ssm.send(new PutParameterCommand({ Name: '/shop/db-password', Value: CANARY_SSM, Type: 'SecureString' }));
    secretArn = (await sm.send(new CreateSecretCommand({ Name: 'shop/api-key', SecretString: JSON.stringify({ password: CANARY_SM }) })))
      .ARN!;
  }, 30_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('refuses a deploy that references a missing secret: exit 2, names service and variable, no mutating call', async () => {
    await writeFile(path.join(env.dir, 'ecs-kit.yml'), config('      MISSING: "ssm:/shop/not-there"\n'));
    proxy.clear();
    const r = await cli(['deploy', '--yes']);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toContain('services.web.secrets.MISSING');
    expect(proxy.calls.filter((c) => c.mutating).map((c) => `${c.service}:${c.operation}`)).toEqual([]);
    expect(proxy.calls.some((c) => /GetParameter$|GetParameters$|GetSecretValue/.test(c.operation))).toBe(false);
  });

  it('secret set stores the stdin value as a SecureString and adds the reference, keeping comments', async () => {
    await writeFile(path.join(env.dir, 'ecs-kit.yml'), config());
    const r = await cli(['secret', 'set', 'web', 'TOKEN', '--verbose'], `${CANARY_STDIN}\n`);
    expect(r.code, describeRun(r)).toBe(0);
    const text = await readFile(path.join(env.dir, 'ecs-kit.yml'), 'utf8');
    expect(text).toContain('TOKEN: ssm:/ecs-kit/shop/default/TOKEN');
    expect(text).toContain('# references only');
  });

  it('deploy wires the secrets into the task definition and the execution role policy (independent describes)', async () => {
    const r = await cli(['deploy', '--yes', '--json', '--verbose', '--timeout', '20s']);
    expect(r.code, describeRun(r)).toBe(0);
    const td = (await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'shop-default-web' }))).taskDefinition!;
    const ssmArn = (name: string) => `arn:aws:ssm:us-east-1:123456789012:parameter/${name}`;
    expect([...(td.containerDefinitions![0]!.secrets ?? [])].sort((a, b) => a.name!.localeCompare(b.name!))).toEqual([
      { name: 'API_KEY', valueFrom: secretArn },
      { name: 'API_PASSWORD', valueFrom: `${secretArn}:password::` },
      { name: 'DB_PASSWORD', valueFrom: ssmArn('shop/db-password') },
      { name: 'TOKEN', valueFrom: ssmArn('ecs-kit/shop/default/TOKEN') },
    ]);
    const policy = await aws.iam.send(new GetRolePolicyCommand({ RoleName: 'shop-default-execution', PolicyName: 'ecs-kit' }));
    const doc = JSON.parse(decodeURIComponent(policy.PolicyDocument!));
    expect(doc.Statement).toEqual([
      {
        Sid: 'ReadSsmParameters',
        Effect: 'Allow',
        Action: 'ssm:GetParameters',
        Resource: [ssmArn('ecs-kit/shop/default/TOKEN'), ssmArn('shop/db-password')],
      },
      { Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [secretArn] },
    ]);
    expect(JSON.stringify(doc)).not.toContain('"*"');
    expect(JSON.stringify(doc)).toContain(secretArn);
  });

  it('teardown deletes the parameter ecs-kit created and leaves the user’s', async () => {
    const r = await cli(['teardown', '--yes', '--json', '--verbose']);
    expect(r.code, describeRun(r)).toBe(0);
    const names = ((await ssm.send(new DescribeParametersCommand({}))).Parameters ?? []).map((p) => p.Name);
    expect(names).toContain('/shop/db-password');
    expect(names).not.toContain('/ecs-kit/shop/default/TOKEN');
  });

  it('canary scan: no secret value in stdout, stderr, the manifest or the config', async () => {
    const manifest = await readFile(path.join(env.dir, '.ecs-kit', 'default.json'), 'utf8').catch(() => '');
    const configText = await readFile(path.join(env.dir, 'ecs-kit.yml'), 'utf8');
    const outputs = [...runs.flatMap((r) => [r.stdout, r.stderr]), manifest, configText];
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(outputs.join('').length).toBeGreaterThan(1000); // the scan looked at real output
    for (const canary of CANARIES) {
      const hits = outputs.filter((o) => o.includes(canary));
      expect(hits, `canary ${canary} leaked`).toEqual([]);
    }
  });
});
