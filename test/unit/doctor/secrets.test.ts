import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { secretsCheck } from '../../../src/doctor/secrets.js';
import { awsError, calls, doctorContext, mocks, mutatingCalls, useStrictMocks } from './fixture.js';

useStrictMocks();

const YAML = `app: shop
services:
  web:
    image: nginx
    port: 80
    secrets:
      DB_PASSWORD: "ssm:/shop/db-password"
      API_KEY: "secretsmanager:shop/api-key"
      OTHER: "arn:aws:ssm:eu-west-1:999999999999:parameter/shared/token"
`;

describe('secrets', () => {
  it('skips an app without secret references', async () => {
    expect(await secretsCheck.run(doctorContext())).toEqual({ status: 'skip', message: 'no secrets referenced' });
  });

  it('checks every reference with metadata calls only (the deploy preflight), and warns about ones it cannot look into', async () => {
    mocks.ssm.on(DescribeParametersCommand).resolves({ Parameters: [{ Name: '/shop/db-password' }] });
    mocks.sm
      .on(DescribeSecretCommand, { SecretId: 'shop/api-key' })
      .resolves({ ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/api-key-AbCdEf' });
    const r = await secretsCheck.run(doctorContext(YAML));
    expect(r.status).toBe('warn');
    expect(r.message).toBe('3 referenced secret(s) found');
    expect(r.details).toEqual([
      'services.web.secrets.DB_PASSWORD: exists',
      'services.web.secrets.API_KEY: exists',
      expect.stringMatching(/^services\.web\.secrets\.OTHER: .* is in another account or region; ecs-kit cannot check that it exists\.$/),
    ]);
    // Never GetParameter(s) / GetSecretValue: values are not read.
    expect(calls()).toEqual(['DescribeParameters', 'DescribeSecret']);
    expect(mutatingCalls()).toEqual([]);
  });

  it("fails for a missing parameter or secret, with the preflight's fix", async () => {
    mocks.ssm.on(DescribeParametersCommand).resolves({ Parameters: [] });
    mocks.sm.on(DescribeSecretCommand).rejects(awsError('ResourceNotFoundException'));
    const r = await secretsCheck.run(doctorContext(YAML));
    expect(r.status).toBe('fail');
    expect(r.message).toBe('2 of 3 referenced secrets missing');
    expect(r.details?.slice(0, 2)).toEqual([
      'services.web.secrets.DB_PASSWORD: the SSM parameter /shop/db-password does not exist in this account and region.',
      'services.web.secrets.API_KEY: the Secrets Manager secret shop/api-key does not exist in this account and region.',
    ]);
    expect(r.fix).toMatch(/ecs-kit secret set web DB_PASSWORD/);
  });
});
